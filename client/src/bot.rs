//! A scripted player of the space arena: it keeps the arena as the server sends it
//! ([`ArenaView`]), hunts the nearest ship — turn toward it, thrust when far, fire when
//! aimed — and plays until the match ends or its time is up, counting what it saw.
//! Used by `orrery-bot`, `cargo xtask up` and the tests.

use crate::Result;
use crate::connection::ws_header_len;
use crate::connection::{Connection, Event};
use orrery_arena::{ArenaView, Intent, encode_intent};
use orrery_common::game::Phase;
use orrery_common::protocol::client::{Frame, FrameKind, ServerMsg};
use orrery_common::protocol::encode;
use orrery_common::{InputSeq, PlayerId, RoomId};
use rand::{Rng, SeedableRng};
use std::f32::consts::{PI, TAU};
use std::time::Duration;
use tokio::time::Instant;

/// What a bot saw while playing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BotStats {
    pub frames: u64,
    pub keyframes: u64,
    pub gaps: u64,
    pub duplicates: u64,
    pub decode_errors: u64,
    pub inputs_sent: u64,
    pub last_ack: Option<InputSeq>,
    /// WebSocket payload bytes received.
    pub bytes_in: u64,
    /// Bytes received including WebSocket framing.
    pub wire_bytes_in: u64,
    /// The same frames as full JSON of the arena each tick, plus the same framing.
    pub json_equivalent_bytes: u64,
    /// How long it played.
    pub played: Duration,
    /// The match reached its end (the room became closable).
    pub match_ended: bool,
    pub closed: Option<u16>,
}

impl BotStats {
    /// Downstream bytes per second, framing included.
    pub fn wire_bytes_per_second(&self) -> f64 {
        self.wire_bytes_in as f64 / self.played.as_secs_f64().max(1e-9)
    }

    /// What the same frames would cost as JSON, bytes per second.
    pub fn json_bytes_per_second(&self) -> f64 {
        self.json_equivalent_bytes as f64 / self.played.as_secs_f64().max(1e-9)
    }
}

/// How a bot plays.
#[derive(Clone, Debug)]
pub struct BotPlan {
    /// Longest it plays.
    pub duration: Duration,
    /// How often it thinks (and sends an input when its intent changed).
    pub think_every: Duration,
    /// Seed of its choices.
    pub seed: u64,
    /// Also measure what the frames would cost as JSON (costs CPU).
    pub measure_json: bool,
}

impl Default for BotPlan {
    fn default() -> Self {
        Self { duration: Duration::from_secs(10), think_every: Duration::from_millis(100), seed: 1, measure_json: false }
    }
}

/// Join `room` and play until the match ends, the plan's time is up or the socket closes.
pub async fn play(conn: &mut Connection, room: RoomId, plan: &BotPlan) -> Result<BotStats> {
    conn.join(room).await?;
    play_seated(conn, plan).await
}

/// Play in the room this connection is already seated in (after a join, or after the
/// gateway joined it on a `Matched`), until the match ends or the room closes, the plan's
/// time is up or the socket closes.
pub async fn play_seated(conn: &mut Connection, plan: &BotPlan) -> Result<BotStats> {
    let started = Instant::now();
    let me = conn.player();
    let mut rng = rand::rngs::StdRng::seed_from_u64(plan.seed);
    let mut stats = BotStats::default();
    let mut view: Option<ArenaView> = None;
    let mut intent = Intent::default();
    let mut think = tokio::time::interval(plan.think_every);
    let (bytes0, wire0) = (conn.bytes_in(), conn.wire_bytes_in());
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(started + plan.duration) => break,
            _ = think.tick() => {
                let next = view.as_ref().map(|v| decide(v, me, &mut rng)).unwrap_or_default();
                if next != intent || stats.inputs_sent == 0 {
                    intent = next;
                    conn.send_input(encode_intent(&intent)).await?;
                    stats.inputs_sent += 1;
                }
            }
            event = conn.next_event() => match event? {
                Event::Frame(frame) => {
                    stats.frames += 1;
                    stats.last_ack = stats.last_ack.max(frame.ack);
                    let applied = match frame.kind {
                        FrameKind::Keyframe => {
                            stats.keyframes += 1;
                            ArenaView::from_keyframe(&frame.payload).map(|v| view = Some(v))
                        }
                        FrameKind::Delta { .. } => match view.as_mut() {
                            Some(v) => v.apply_delta(&frame.payload),
                            None => Ok(()),
                        },
                    };
                    if applied.is_err() {
                        stats.decode_errors += 1;
                    }
                    if let Some(v) = &view {
                        if plan.measure_json {
                            // The same frame (envelope and WebSocket framing included) with the
                            // whole arena as JSON for its payload.
                            let json = serde_json::to_vec(v.world()).unwrap_or_default();
                            let as_json = ServerMsg::Frame(Frame { payload: json, ..frame });
                            let len = encode(&as_json).len();
                            stats.json_equivalent_bytes += len as u64 + ws_header_len(len);
                        }
                        if v.phase() == Phase::Closable {
                            stats.match_ended = true;
                            break;
                        }
                    }
                }
                Event::Gap { .. } => stats.gaps += 1,
                Event::Duplicate { .. } => stats.duplicates += 1,
                Event::Closed { code, .. } => {
                    stats.closed = Some(code);
                    break;
                }
                Event::Message(ServerMsg::RoomClosed { .. }) => {
                    stats.match_ended = true;
                    break;
                }
                Event::Message(_) => {}
            }
        }
    }
    stats.played = started.elapsed();
    stats.bytes_in = conn.bytes_in() - bytes0;
    stats.wire_bytes_in = conn.wire_bytes_in() - wire0;
    Ok(stats)
}

/// Hunt the nearest living ship: turn toward it, thrust when far, fire when aimed.
pub fn decide(view: &ArenaView, me: PlayerId, rng: &mut impl Rng) -> Intent {
    let Some(mine) = view.ship_of(me).filter(|s| s.alive()) else { return Intent::default() };
    let (x, y) = mine.position();
    let target = view
        .ships()
        .filter(|s| s.player() != me && s.alive())
        .map(|s| {
            let (tx, ty) = s.position();
            ((tx - x).hypot(ty - y), tx, ty)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let Some((distance, tx, ty)) = target else {
        return Intent { turn: rng.random_range(-0.3..=0.3), thrust: false, fire: false };
    };
    let wanted = (ty - y).atan2(tx - x);
    let error = wrap(wanted - mine.angle()) + rng.random_range(-0.15..=0.15);
    Intent {
        turn: (error * 3.0).clamp(-1.0, 1.0),
        thrust: distance > 250.0 && error.abs() < 0.6,
        fire: distance < 600.0 && error.abs() < 0.25,
    }
}

/// An angle in (-π, π].
fn wrap(a: f32) -> f32 {
    let a = a.rem_euclid(TAU);
    if a > PI { a - TAU } else { a }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn angles_wrap_to_the_short_way_round() {
        assert!((wrap(3.5 * std::f32::consts::PI) + 0.5 * std::f32::consts::PI).abs() < 1e-5);
        assert!((wrap(-0.25) + 0.25).abs() < 1e-6);
    }
}
