//! A Frontier player away past the grace (issue 16, test 2), through gateway processes and
//! a worker process: ada plays two turns, closes her socket at the start of the third,
//! and stays away while the room's bot plays her seat for at least two turns; she comes
//! back through the other gateway with the position of the last frame she applied and
//! plays to the end.
//!
//! Checked against the durable timeline: the bot took her seat only once the grace had
//! passed, ordered for her (no `Orders` of hers while away, yet her units moved), and
//! stopped when she came back. What she was sent after coming back: first one keyframe
//! past where she left, which is exactly her own part of the true state then (her sight,
//! nothing of anyone else's outside it, her log); then only deltas, each chained on the
//! frame before, each carrying exactly the events of its own run that she may know (never
//! one already in the keyframe, never another seat's hidden one), each leaving her view
//! equal to her part of the true state. (A keyframe mid-stream is allowed only under a new
//! epoch, when a stalled worker lost the room's lease, and is checked the same way.)

use super::frontier_gateways::{assert_orders_match_the_timeline, blitz_room};
use super::frontier_timeline::{Timeline, assert_played_to_the_end};
use super::processes::{self, GatewayProcess};
use orrery_client::frontier::{FrontierPlayer, Note};
use orrery_common::game::Phase;
use orrery_common::protocol::client::{Frame, FrameKind};
use orrery_common::{HistoryPos, PlayerId};
use orrery_frontier::events::What;
use orrery_frontier::wire::{MineDelta, Public};
use orrery_frontier::{FrontierGame, FrontierView};
use orrery_systests::Env;
use std::time::Duration;

/// The kinds of the room's events so far, in order.
async fn kinds(pg: &sqlx::PgPool, room: orrery_common::RoomId) -> Vec<String> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT kind FROM match_events WHERE room = $1 ORDER BY seq").bind(room.get() as i64).fetch_all(pg).await.unwrap();
    rows.into_iter().map(|(k,)| k).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_away_past_the_grace_is_played_by_a_bot_and_resumes_with_their_snapshot_then_only_later_events() {
    let env = Env::new().await;
    let _worker = processes::worker(&env, "frontier");
    let (g1, g2) = (GatewayProcess::start(&env).await, GatewayProcess::start(&env).await);
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let room = blitz_room(&g1).await;
    let (ada_token, bob_token) = (g1.api().guest(Some("ada")).await.unwrap(), g2.api().guest(Some("bob")).await.unwrap());
    let mut ada = FrontierPlayer::new(vec![g1.ws_url(), g2.ws_url()], ada_token.token, room);
    let mut bob = FrontierPlayer::new(vec![g2.ws_url(), g1.ws_url()], bob_token.token, room);
    // Bob thinks a little each turn, so that the match outlasts her absence. Ada orders at
    // once: back, she must wait for her keyframe rather than order from the view she left with.
    bob.think = Duration::from_millis(100);
    let limit = Duration::from_secs(75);

    let ada_side = async {
        let at_turn_3 = &mut |v: &FrontierView| v.public.phase == Phase::Running && v.public.turn >= 3;
        ada.play_until(limit, at_turn_3, &mut |_| {}).await.unwrap();
        let left_at = ada.cursor().expect("she applied frames");
        ada.disconnect().await;
        // Away until her bot has played two turns of hers.
        let until = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let kinds = kinds(&pg, room).await;
            assert!(!kinds.iter().any(|k| k == "over"), "the match ended while she was away");
            let bot = kinds.iter().position(|k| k == "bot_plays");
            if bot.is_some_and(|b| kinds[b..].iter().filter(|k| *k == "resolved").count() >= 2) {
                break;
            }
            assert!(tokio::time::Instant::now() < until, "no bot played her seat");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut frames: Vec<Frame> = Vec::new();
        ada.play(limit, &mut |note| {
            if let Note::Frame(f) = note {
                frames.push(f.clone());
            }
        })
        .await
        .unwrap();
        (left_at, frames)
    };
    let mut quiet = |_: Note<'_>| {};
    let ((left_at, frames), b) = tokio::join!(ada_side, bob.play(limit, &mut quiet));
    b.unwrap();
    for s in [&ada.stats, &bob.stats] {
        assert_played_to_the_end(s);
        assert_eq!(s.gaps, 0);
        assert!(s.rejected.is_empty(), "no order refused: {:?}", s.rejected);
    }
    assert_eq!(ada.stats.reconnects, 1, "she came back once");

    let t = Timeline::load(&pg, room).await;
    let me: PlayerId = ada.stats.player.unwrap();
    let seat = t.last.state().seat_of(me).expect("her seat");
    let ours = |s: &u8| *s == seat;
    let away = t.find(0, |w| matches!(w, What::Away { seat } if ours(seat))).expect("the room saw her go");
    let bot = t.find(away, |w| matches!(w, What::BotPlays { seat } if ours(seat))).expect("a bot took her seat");
    let back = t.find(bot, |w| matches!(w, What::Returned { seat } if ours(seat))).expect("the room saw her come back");
    let grace = t.last.state().config.grace_ms;
    assert!(t.happenings[bot].at.0 >= t.happenings[away].at.0 + grace, "the bot waited for the grace");
    let played: Vec<u32> =
        t.happenings[bot..back].iter().filter_map(|h| if let What::Resolved { turn } = h.what { Some(turn) } else { None }).collect();
    assert!(played.len() >= 2, "her bot played turns {played:?}");
    for &turn in &played {
        assert!(t.orders_of(seat, turn).is_empty(), "turn {turn} was her bot's, not hers");
        assert!(!ada.stats.submissions.iter().any(|s| s.turn == turn), "she ordered nothing while away (turn {turn})");
    }
    let (before, after) = (t.replay_first(bot), t.replay_first(back));
    let moved =
        before.state().units.iter().filter(|u| u.owner == seat).any(|u| after.state().units.iter().any(|v| v.id == u.id && v.pos != u.pos));
    assert!(moved, "her bot moved her units while she was away");

    // What she was sent after coming back.
    let first = frames.first().expect("frames after her return");
    assert_eq!(first.kind, FrameKind::Keyframe, "her return starts with a keyframe");
    assert!(first.pos() > left_at, "past where she left");
    assert!(t.events[back].0 <= first.pos(), "it holds her return");
    let mut view = FrontierView::from_keyframe(&first.payload).unwrap();
    let mut truth = t.replay_on((0, FrontierGame::new(&t.settings)), first.pos());
    assert_keyframe_log(&t, &view, &truth.1, seat, first);
    assert_sees_exactly(&view, &truth.1, seat, first);
    let mut last = first.pos();
    for f in &frames[1..] {
        assert!(f.pos() > last, "{:?} after {last:?}: only later frames", f.pos());
        truth = t.replay_on(truth, f.pos());
        match f.kind {
            FrameKind::Delta { base } => {
                assert_eq!(HistoryPos::new(f.epoch, base), last, "each delta on the frame before");
                let (_, rest) = postcard::take_from_bytes::<Public>(&f.payload).unwrap();
                let delta: MineDelta = postcard::from_bytes(rest).unwrap();
                assert_eq!(delta.log, t.seen_at(f.pos(), seat), "frame {:?}: exactly its own run's events that she may know", f.pos());
                view.apply_delta(&f.payload).unwrap();
            }
            // A loaded machine may stall the worker past its lease: the room's new epoch
            // starts with a keyframe (protocol §7.7), which must hold her part exactly too.
            FrameKind::Keyframe => {
                assert!(f.epoch > last.epoch, "{:?} after {last:?}: a keyframe mid-stream only from a new owner", f.pos());
                view = FrontierView::from_keyframe(&f.payload).unwrap();
                assert_keyframe_log(&t, &view, &truth.1, seat, f);
            }
        }
        assert_sees_exactly(&view, &truth.1, seat, f);
        last = f.pos();
    }

    assert_orders_match_the_timeline(&t, &[(&ada.stats, &played), (&bob.stats, &[])]);
    let (va, vb) = (ada.stats.view.as_ref().unwrap(), bob.stats.view.as_ref().unwrap());
    assert_eq!(va.public.winner, vb.public.winner, "one winner for both");
    assert_eq!(t.last.state().winner, va.public.winner, "the winner both saw is the durable one");
    t.assert_replays_to_the_final_state();
}

/// `view` holds exactly `seat`'s sight of `truth`: its tiles, the units and cities it may
/// see and no others (as `frontier/tests/support` checks in-process).
fn assert_sees_exactly(view: &FrontierView, truth: &FrontierGame, seat: u8, frame: &Frame) {
    let (mine, expected) = (view.mine.as_ref().unwrap(), truth.mine(seat));
    let at = frame.pos();
    assert_eq!(mine.seat, seat);
    assert_eq!(mine.tiles, expected.tiles, "{at:?}: her map is her explored tiles, marked seen as she sees them");
    assert_eq!(mine.units, expected.units, "{at:?}: the units she sees, and only those");
    assert_eq!(mine.cities, expected.cities, "{at:?}: the cities she sees, and only those");
    let visible = truth.state().visible(seat);
    for u in mine.units.iter().filter(|u| u.owner != seat) {
        assert!(visible[truth.state().map.index(u.pos)], "{at:?}: she was shown a unit she cannot see: {u:?}");
    }
    assert_eq!(view.public.turn, truth.state().turn);
    assert_eq!(view.public.phase, truth.state().phase);
}

/// A keyframe's log is `seat`'s log in the true state, and every entry of it is an event up
/// to the keyframe that `seat` may know (checked against the timeline itself).
fn assert_keyframe_log(t: &Timeline, view: &FrontierView, truth: &FrontierGame, seat: u8, frame: &Frame) {
    let mine = view.mine.as_ref().expect("her own part");
    assert_eq!(mine.log, truth.mine(seat).log, "{:?}: her snapshot's log is what she may know, up to it", frame.pos());
    for entry in &mine.log {
        let known = t
            .events
            .iter()
            .zip(&t.happenings)
            .any(|((p, _), h)| *p <= frame.pos() && h.seen_by(Some(seat)) && (h.turn, &h.what) == (entry.turn, &entry.what));
        assert!(known, "her snapshot tells her of something she may not know: {entry:?}");
    }
}
