//! Two SDK clients connected through two different gateways to the same room
//! each see the other's ship react to its inputs within 3 ticks, and each input
//! sequence comes back acked in the frames.

use orrery_arena::{ArenaView, Intent, encode_intent};
use orrery_client::{Connection, Event};
use orrery_common::protocol::client::{Frame, FrameKind};
use orrery_common::{InputSeq, PlayerId, Tick};
use orrery_systests::Env;
use std::time::Duration;

/// A connection and the arena as it sees it.
struct Player {
    conn: Connection,
    view: Option<ArenaView>,
    last_tick: Tick,
    last_ack: Option<InputSeq>,
}

impl Player {
    fn new(conn: Connection) -> Self {
        Self { conn, view: None, last_tick: Tick(0), last_ack: None }
    }

    /// Apply one server event; returns the frame applied, if it was one.
    async fn step(&mut self) -> Option<Frame> {
        match self.conn.next_event().await.expect("socket stays up") {
            Event::Frame(frame) => {
                match frame.kind {
                    FrameKind::Keyframe => self.view = Some(ArenaView::from_keyframe(&frame.payload).expect("keyframe decodes")),
                    FrameKind::Delta { .. } => {
                        self.view.as_mut().expect("a keyframe came first").apply_delta(&frame.payload).expect("delta applies")
                    }
                }
                self.last_tick = frame.tick;
                self.last_ack = self.last_ack.max(frame.ack);
                Some(frame)
            }
            Event::Gap { .. } | Event::Duplicate { .. } => panic!("the stream has a gap or a duplicate"),
            Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
            Event::Message(_) => None,
        }
    }

    fn angle_of(&self, player: PlayerId) -> Option<f32> {
        self.view.as_ref()?.ship_of(player).map(|s| s.angle())
    }
}

/// `actor` turns; returns (tick at which the input was acked to the actor, tick at
/// which the observer saw the actor's ship turn), both against the tick the actor
/// had seen when it sent.
async fn react(actor: &mut Player, observer: &mut Player, turn: f32) -> (u64, u64) {
    let who = actor.conn.player();
    // Both have seen the actor's ship.
    while actor.angle_of(who).is_none() || observer.angle_of(who).is_none() {
        tokio::select! { _ = actor.step() => {}, _ = observer.step() => {} }
    }
    let before = observer.angle_of(who).unwrap();
    let sent_at = actor.last_tick.get().max(observer.last_tick.get());
    let seq = actor.conn.send_input(encode_intent(&Intent { turn, thrust: false, fire: false })).await.unwrap();
    let (mut acked_at, mut seen_at) = (None, None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while acked_at.is_none() || seen_at.is_none() {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => panic!("no reaction within 5 s (acked {acked_at:?}, seen {seen_at:?})"),
            Some(f) = actor.step() => if acked_at.is_none() && f.ack >= Some(seq) { acked_at = Some(f.tick.get()) },
            Some(f) = observer.step() => if seen_at.is_none() && observer.angle_of(who) != Some(before) { seen_at = Some(f.tick.get()) },
        }
    }
    // Stop turning so the next round starts from a still ship.
    actor.conn.send_input(encode_intent(&Intent::default())).await.unwrap();
    (acked_at.unwrap() - sent_at, seen_at.unwrap() - sent_at)
}

#[tokio::test]
async fn two_clients_through_two_gateways_see_each_other_within_three_ticks() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw1 = env.gateway().await;
    let gw2 = env.gateway().await;
    let room = gw1.room(serde_json::json!({ "mode": "arena-duel" })).await;

    let mut a = Player::new(gw1.guest("ada").await);
    let mut b = Player::new(gw2.guest("bob").await);
    a.conn.join(room).await.expect("a joins through gateway 1");
    b.conn.join(room).await.expect("b joins through gateway 2");

    for round in 0..3 {
        let (acked, seen) = react(&mut a, &mut b, 1.0).await;
        assert!(acked <= 3 && seen <= 3, "round {round}: a's turn acked after {acked} ticks, seen by b after {seen}");
        let (acked, seen) = react(&mut b, &mut a, -1.0).await;
        assert!(acked <= 3 && seen <= 3, "round {round}: b's turn acked after {acked} ticks, seen by a after {seen}");
    }
    // The last "stop turning" inputs are acked too.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while (a.last_ack, b.last_ack) != (Some(InputSeq(6)), Some(InputSeq(6))) {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            _ = a.step() => {}
            _ = b.step() => {}
        }
    }
    assert_eq!(a.last_ack, Some(InputSeq(6)), "every input of a was acked");
    assert_eq!(b.last_ack, Some(InputSeq(6)), "every input of b was acked");
}
