//! The players of a chaos run: SDK sessions (reconnecting through any gateway) that
//! wander (turn and thrust, never fire, so matches last) and report what they received —
//! duplicates or frames of an older epoch after a newer one, gaps, undecodable frames,
//! acks that went backwards within an epoch, how long their reconnects took, inputs
//! never acknowledged — and whether they are still seated at the end. In a room where each
//! player is sent only its own view (`arena-large`), every decoded frame is also checked
//! against invariant I8: nothing in the view beyond the leave radius of the player's ship
//! at that tick, and nothing at all while it has no ship.

use orrery_arena::fixed::Vec2;
use orrery_arena::interest::Interest;
use orrery_arena::{ArenaView, Intent, MODE_LARGE, encode_intent};
use orrery_client::http::Api;
use orrery_client::session::{Session, SessionConfig, SessionEvent};
use orrery_common::protocol::client::FrameKind;
use orrery_common::{Epoch, InputSeq, PlayerId, RoomId};
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::watch;

/// What one player saw.
#[derive(Clone, Debug, Default)]
pub struct PlayerReport {
    pub room: RoomId,
    pub frames: u64,
    pub duplicates: u64,
    pub gaps: u64,
    pub decode_errors: u64,
    /// Frames of a per-viewer room that decoded to something outside the player's view (I8).
    pub view_leaks: u64,
    /// Frames checked for I8 (those of a per-viewer room).
    pub views_checked: u64,
    pub ack_regressions: u64,
    pub epochs: BTreeSet<Epoch>,
    /// Time from losing the connection to joining again, per reconnect.
    pub reconnects: Vec<Duration>,
    /// Inputs the room never acknowledged (after a final wait).
    pub unacked_at_end: usize,
    pub seated_at_end: bool,
    pub error: Option<String>,
}

/// Play in `room` through `gateways` (the first one first) until `stop` turns true.
pub async fn play(gateways: Vec<String>, room: RoomId, seed: u64, mut stop: watch::Receiver<bool>) -> PlayerReport {
    let mut report = PlayerReport { room, ..PlayerReport::default() };
    if let Err(e) = run(gateways, room, seed, &mut stop, &mut report).await {
        report.error = Some(format!("{e:#}"));
    }
    report
}

async fn run(
    gateways: Vec<String>,
    room: RoomId,
    seed: u64,
    stop: &mut watch::Receiver<bool>,
    report: &mut PlayerReport,
) -> anyhow::Result<()> {
    let api = Api::new(gateways[0].clone());
    let guest = api.guest(Some(&format!("chaos-{seed}"))).await?;
    let me: PlayerId = guest.player.parse()?;
    let urls = gateways.iter().map(|g| Api::new(g.clone()).ws_url()).collect();
    let mut session = Session::start(SessionConfig::new(urls, guest.token, room)).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut view: Option<ArenaView> = None;
    let mut last_ack: Option<(Epoch, InputSeq)> = None;
    let mut think = tokio::time::interval(Duration::from_millis(200));
    let mut stopping: Option<tokio::time::Instant> = None;
    loop {
        if let Some(since) = stopping
            && (session.unacked() == 0 || since.elapsed() > Duration::from_secs(3))
        {
            break;
        }
        tokio::select! {
            _ = stop.changed(), if stopping.is_none() => stopping = Some(tokio::time::Instant::now()),
            _ = think.tick(), if stopping.is_none() => {
                let intent = Intent { turn: rng.random_range(-1.0..=1.0), thrust: rng.random_bool(0.3), fire: false };
                session.send_input(encode_intent(&intent)).await;
            }
            event = session.next_event() => match event? {
                SessionEvent::Frame(frame) => {
                    report.frames += 1;
                    if report.epochs.last().is_some_and(|e| frame.epoch < *e) {
                        report.duplicates += 1;
                    }
                    report.epochs.insert(frame.epoch);
                    let applied = match frame.kind {
                        FrameKind::Keyframe => ArenaView::from_keyframe(&frame.payload).map(|v| view = Some(v)),
                        FrameKind::Delta { .. } => view.as_mut().map_or(Ok(()), |v| v.apply_delta(&frame.payload)),
                    };
                    if applied.is_err() {
                        report.decode_errors += 1;
                    }
                    if let Some(view) = view.as_ref().filter(|v| v.board().is_some()) {
                        report.views_checked += 1;
                        if !within_view(view, me) {
                            report.view_leaks += 1;
                        }
                    }
                    if let Some(ack) = frame.ack {
                        if let Some((e, a)) = last_ack && e == frame.epoch && ack < a {
                            report.ack_regressions += 1;
                        }
                        last_ack = Some((frame.epoch, ack));
                    }
                }
                SessionEvent::Gap => report.gaps += 1,
                SessionEvent::Resumed { after, .. } => {
                    if report.frames > 0 {
                        report.reconnects.push(after);
                    }
                }
                SessionEvent::CommandAck(_) | SessionEvent::Message(_) => {}
            }
        }
    }
    report.unacked_at_end = session.unacked();
    report.seated_at_end = view.as_ref().and_then(|v| v.ship_of(me)).is_some();
    Ok(())
}

/// Whether everything `view` (a per-viewer room's) holds is within the leave radius of
/// `me`'s ship, the centre the server filtered around (I8); with no ship, whether it holds
/// no ship, bullet or pickup at all.
fn within_view(view: &ArenaView, me: PlayerId) -> bool {
    let world = view.world();
    let Some(centre) = view.ship_of(me).map(|s| s.ship.pos) else {
        return world.seated_count() == 0 && world.bullets.is_empty() && world.pickups.is_empty();
    };
    let leave = i64::from(Interest::for_mode(MODE_LARGE).map_or(0, |i| i.leave));
    let near = |pos: Vec2| pos.distance_squared(centre) <= leave * leave;
    world.seated().all(|(_, s)| near(s.pos)) && world.bullets.iter().all(|b| near(b.pos)) && world.pickups.iter().all(|p| near(p.pos))
}
