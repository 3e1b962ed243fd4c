//! The players of a chaos run: SDK clients that wander (turn and thrust, never fire, so
//! matches last), and report what they received — duplicates or frames of an older
//! epoch after a newer one, gaps, undecodable frames, acks that went backwards within an
//! epoch — and whether they are still seated at the end.

use orrery_arena::{ArenaView, Intent, encode_intent};
use orrery_client::http::Api;
use orrery_client::{Connection, Event};
use orrery_common::protocol::client::FrameKind;
use orrery_common::{Epoch, InputSeq, RoomId};
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
    pub ack_regressions: u64,
    pub epochs: BTreeSet<Epoch>,
    pub seated_at_end: bool,
    pub error: Option<String>,
}

/// Play in `room` through `gateway` until `stop` turns true.
pub async fn play(gateway: String, room: RoomId, seed: u64, mut stop: watch::Receiver<bool>) -> PlayerReport {
    let mut report = PlayerReport { room, ..PlayerReport::default() };
    if let Err(e) = run(&gateway, room, seed, &mut stop, &mut report).await {
        report.error = Some(format!("{e:#}"));
    }
    report
}

async fn run(gateway: &str, room: RoomId, seed: u64, stop: &mut watch::Receiver<bool>, report: &mut PlayerReport) -> anyhow::Result<()> {
    let api = Api::new(gateway);
    let token = api.guest(Some(&format!("chaos-{seed}"))).await?.token;
    let mut conn = Connection::connect(&api.ws_url(), &token).await?;
    conn.join(room).await?;
    let me = conn.player();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut view: Option<ArenaView> = None;
    let mut last_ack: Option<(Epoch, InputSeq)> = None;
    let mut think = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = think.tick() => {
                let intent = Intent { turn: rng.random_range(-1.0..=1.0), thrust: rng.random_bool(0.3), fire: false };
                conn.send_input(encode_intent(&intent)).await?;
            }
            event = conn.next_event() => match event? {
                Event::Frame(frame) => {
                    report.frames += 1;
                    report.epochs.insert(frame.epoch);
                    let applied = match frame.kind {
                        FrameKind::Keyframe => ArenaView::from_keyframe(&frame.payload).map(|v| view = Some(v)),
                        FrameKind::Delta { .. } => view.as_mut().map_or(Ok(()), |v| v.apply_delta(&frame.payload)),
                    };
                    if applied.is_err() {
                        report.decode_errors += 1;
                    }
                    if let Some(ack) = frame.ack {
                        if let Some((e, a)) = last_ack && e == frame.epoch && ack < a {
                            report.ack_regressions += 1;
                        }
                        last_ack = Some((frame.epoch, ack));
                    }
                }
                Event::Duplicate { .. } => report.duplicates += 1,
                Event::Gap { .. } => report.gaps += 1,
                Event::Closed { code, reason } => anyhow::bail!("socket closed: {code} {reason}"),
                Event::Message(_) => {}
            }
        }
    }
    report.seated_at_end = view.as_ref().and_then(|v| v.ship_of(me)).is_some();
    let _ = conn.close().await;
    Ok(())
}
