//! A scripted player: joins a room and plays the space arena with random intents,
//! counting what it saw. Used by `orrery-bot`, `cargo xtask up` and the tests.

use crate::connection::{Connection, Event};
use crate::Result;
use orrery_arena::{Intent, encode_intent};
use orrery_common::protocol::client::{FrameKind, ServerMsg};
use orrery_common::{InputSeq, RoomId};
use rand::{Rng, SeedableRng};
use std::time::Duration;
use tokio::time::Instant;

/// What a bot saw while playing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BotStats {
    pub frames: u64,
    pub keyframes: u64,
    pub gaps: u64,
    pub duplicates: u64,
    pub inputs_sent: u64,
    pub last_ack: Option<InputSeq>,
    pub bytes_in: u64,
    pub closed: Option<u16>,
}

/// How a bot plays.
#[derive(Clone, Debug)]
pub struct BotPlan {
    /// How long to play.
    pub duration: Duration,
    /// How often the bot changes its mind (and sends an input).
    pub input_every: Duration,
    /// Seed of its choices.
    pub seed: u64,
}

impl Default for BotPlan {
    fn default() -> Self {
        Self { duration: Duration::from_secs(10), input_every: Duration::from_millis(100), seed: 1 }
    }
}

/// Join `room` and play until the plan's time is up or the server closes the socket.
pub async fn play(conn: &mut Connection, room: RoomId, plan: &BotPlan) -> Result<BotStats> {
    conn.join(room).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(plan.seed);
    let mut stats = BotStats::default();
    let until = Instant::now() + plan.duration;
    let mut think = tokio::time::interval(plan.input_every);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until) => break,
            _ = think.tick() => {
                let intent = Intent { turn: rng.random_range(-1.0..=1.0), thrust: rng.random_bool(0.7), fire: rng.random_bool(0.3) };
                conn.send_input(encode_intent(&intent)).await?;
                stats.inputs_sent += 1;
            }
            event = conn.next_event() => match event? {
                Event::Frame(frame) => {
                    stats.frames += 1;
                    if frame.kind == FrameKind::Keyframe {
                        stats.keyframes += 1;
                    }
                    stats.last_ack = stats.last_ack.max(frame.ack);
                }
                Event::Gap { .. } => stats.gaps += 1,
                Event::Duplicate { .. } => stats.duplicates += 1,
                Event::Closed { code, .. } => {
                    stats.closed = Some(code);
                    break;
                }
                Event::Message(ServerMsg::GoAway { .. }) | Event::Message(_) => {}
            }
        }
    }
    stats.bytes_in = conn.bytes_in();
    Ok(stats)
}
