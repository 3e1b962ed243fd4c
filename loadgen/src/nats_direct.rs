//! `--nats-direct`: the worker alone under load. Players' inputs are published straight
//! onto the rooms' NATS subjects, the same wire as a gateway's (`ControlRequest::Join` on
//! `room.<id>.control`, then `InputEnvelope`s on `room.<id>.input`), so a worker is measured
//! without gateways and clients sharing its cores. Nobody subscribes to the frames.
//!
//! Rooms are created through `--gateways` (only for that: no socket is opened, so the
//! gateway is idle during the window). Each room is one task that sends its players'
//! inputs (an arena `Intent` every `--input-interval-ms` × U(0.5, 1.5) per player), over
//! a few NATS connections shared round-robin. The worker's own figures come from its
//! `/metrics` (`--worker-metrics`), read at the start and the end of the window:
//! tick lateness (`orrery_worker_tick_lateness_seconds`, quantiles interpolated in its
//! buckets), frames published against the ticks due (rooms × `--tick-hz` × window: the
//! difference is the missed ticks) and overruns.

use crate::cli::Args;
use crate::gateway_timing::GatewayTiming;
use crate::proc_cost::{self, ProcCost};
use anyhow::{Context, bail};
use futures::StreamExt;
use orrery_arena::{Intent, encode_intent};
use orrery_client::http::Api;
use orrery_common::names::Names;
use orrery_common::protocol::internal::{ControlReply, ControlRequest, InputEnvelope};
use orrery_common::protocol::{decode, encode};
use orrery_common::{InputSeq, PlayerId, RoomId, SocketId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep, sleep_until};

/// The worker's tick lateness histogram.
pub const TICK_LATENESS: &str = "orrery_worker_tick_lateness_seconds";
const FRAMES_PUBLISHED: &str = "orrery_worker_frames_published_total";
const OVERRUNS: &str = "orrery_worker_tick_overruns_total";
/// NATS connections the inputs are spread over.
const CONNECTIONS: usize = 4;
/// How long a join waits for the owner (the room may not be claimed yet), and how often.
const JOIN_TIMEOUT: Duration = Duration::from_secs(2);
const JOIN_ATTEMPTS: u32 = 30;

/// What the run measured.
#[derive(Debug, Serialize)]
pub struct DirectReport {
    pub mode: &'static str,
    pub args: Args,
    pub rooms: usize,
    pub players_joined: u64,
    pub joins_failed: u64,
    pub window_secs: f64,
    pub inputs_published: u64,
    pub publish_errors: u64,
    /// The worker's tick lateness over the window.
    pub tick_lateness: GatewayTiming,
    pub ticks_due: u64,
    pub frames_published: u64,
    /// Ticks due in the window that were not run (never negative).
    pub missed_ticks: u64,
    pub overruns: u64,
    /// Worker metrics endpoints that did not answer.
    pub metrics_unreadable: usize,
    pub procs: Vec<ProcCost>,
    pub procs_total_us_per_player_second: Option<f64>,
}

/// Run it: create the rooms, seat the players, publish inputs, measure one window.
pub async fn run(args: Args) -> anyhow::Result<DirectReport> {
    if args.worker_metrics.is_empty() {
        bail!("--nats-direct needs --worker-metrics (the workers' ops endpoints, for their tick figures)");
    }
    let names = Names::new(&args.prefix);
    let mut conns = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let options = async_nats::ConnectOptions::new().custom_inbox_prefix(names.inbox_prefix());
        conns.push(options.connect(&args.nats_url).await.with_context(|| format!("connecting to NATS at {}", args.nats_url))?);
    }
    let apis: Vec<Api> = args.gateways.iter().map(|g| Api::new(g.clone())).collect();
    let rooms = crate::create_rooms(&args, &apis).await?;
    eprintln!("{} rooms created; seating {} players over NATS", rooms.len(), args.players);

    let joined = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let seated: Vec<(RoomId, Vec<PlayerId>)> = futures::stream::iter(rooms.iter().enumerate())
        .map(|(r, &room)| {
            let nats = conns[r % CONNECTIONS].clone();
            let (names, joined, failed) = (names.clone(), joined.clone(), failed.clone());
            let count = args.per_room.min(args.players - r * args.per_room);
            async move {
                let mut players = Vec::with_capacity(count);
                for i in 0..count {
                    let player = PlayerId::random();
                    match join(&nats, &names, room, player, (r * 16 + i) as u64).await {
                        Ok(()) => {
                            joined.fetch_add(1, Ordering::Relaxed);
                            players.push(player);
                        }
                        Err(e) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            eprintln!("room {room}: a join failed: {e:#}");
                        }
                    }
                }
                (room, players)
            }
        })
        .buffer_unordered(args.connect_concurrency)
        .collect()
        .await;
    if joined.load(Ordering::Relaxed) == 0 {
        bail!("no player was seated: is a worker running with --prefix {}?", args.prefix);
    }

    let inputs = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_secs(args.warmup_secs);
    let end = start + Duration::from_secs(args.duration_secs);
    let mut tasks = Vec::with_capacity(seated.len());
    for (r, (room, players)) in seated.into_iter().enumerate() {
        let ctx = RoomInputs {
            nats: conns[r % CONNECTIONS].clone(),
            subject: names.room_input(room),
            players,
            interval_ms: args.input_interval_ms,
            rng: StdRng::seed_from_u64(args.seed.wrapping_add(r as u64)),
            counted_from: start,
            stop_at: end,
            inputs: inputs.clone(),
            errors: errors.clone(),
        };
        tasks.push(tokio::spawn(ctx.run()));
    }

    let metrics: Vec<Api> = args.worker_metrics.iter().map(|g| Api::new(g.clone())).collect();
    sleep_until(start).await;
    let procs_before = proc_cost::sample(&args.procs);
    let before = crate::gateway_timing::read_all(&metrics).await;
    let window_start = Instant::now();
    sleep_until(end).await;
    let procs_after = proc_cost::sample(&args.procs);
    let after = crate::gateway_timing::read_all(&metrics).await;
    let wall = window_start.elapsed().as_secs_f64();
    for t in tasks {
        let _ = t.await;
    }
    for c in &conns {
        let _ = c.flush().await;
    }

    let lateness = crate::gateway_timing::window(&before, &after, TICK_LATENESS);
    let counter_delta = |name: &str| -> u64 {
        before
            .iter()
            .zip(&after)
            .filter_map(|(b, a)| Some(counter(a.as_deref()?, name)?.saturating_sub(counter(b.as_deref()?, name)?)))
            .sum()
    };
    let frames_published = counter_delta(FRAMES_PUBLISHED);
    let ticks_due = (rooms.len() as f64 * f64::from(args.tick_hz) * wall).round() as u64;
    let players = joined.load(Ordering::Relaxed) as usize;
    let procs = proc_cost::costs(&args.procs, &procs_before, &procs_after, wall, players);
    Ok(DirectReport {
        mode: "nats-direct",
        rooms: rooms.len(),
        players_joined: joined.load(Ordering::Relaxed),
        joins_failed: failed.load(Ordering::Relaxed),
        window_secs: wall,
        inputs_published: inputs.load(Ordering::Relaxed),
        publish_errors: errors.load(Ordering::Relaxed),
        tick_lateness: GatewayTiming::of(&lateness),
        ticks_due,
        frames_published,
        missed_ticks: ticks_due.saturating_sub(frames_published),
        overruns: counter_delta(OVERRUNS),
        metrics_unreadable: before.iter().zip(&after).filter(|(b, a)| b.is_none() || a.is_none()).count(),
        procs_total_us_per_player_second: (!procs.is_empty()).then(|| procs.iter().map(|p| p.us_per_player_second).sum()),
        procs,
        args,
    })
}

/// Seat `player` in `room` the way a gateway does, asking again while nobody answers.
async fn join(nats: &async_nats::Client, names: &Names, room: RoomId, player: PlayerId, session: u64) -> anyhow::Result<()> {
    let request = encode(&ControlRequest::Join { player, name: format!("lg-{session}"), session: SocketId(session) });
    let mut last = None;
    for _ in 0..JOIN_ATTEMPTS {
        match tokio::time::timeout(JOIN_TIMEOUT, nats.request(names.room_control(room), request.clone().into())).await {
            Ok(Ok(msg)) => {
                return match decode::<ControlReply>(&msg.payload) {
                    Ok(ControlReply::Keyframe { .. }) => Ok(()),
                    Ok(other) => bail!("the owner answered the join with {other:?}"),
                    Err(e) => bail!("an undecodable join reply: {e}"),
                };
            }
            Ok(Err(e)) => last = Some(e.to_string()),
            Err(_) => last = Some("no answer within 2 s".into()),
        }
        sleep(Duration::from_millis(200)).await;
    }
    bail!("no owner answered ({})", last.unwrap_or_default())
}

/// One room's players sending inputs until `stop_at`.
struct RoomInputs {
    nats: async_nats::Client,
    subject: String,
    players: Vec<PlayerId>,
    interval_ms: u64,
    rng: StdRng,
    counted_from: Instant,
    stop_at: Instant,
    inputs: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
}

impl RoomInputs {
    async fn run(mut self) {
        let now = Instant::now();
        let mut next: Vec<(Instant, u32)> =
            self.players.iter().map(|_| (now + Duration::from_millis(self.rng.random_range(0..=self.interval_ms)), 0)).collect();
        loop {
            let Some((i, &(due, _))) = next.iter().enumerate().min_by_key(|(_, (at, _))| *at) else { return };
            if due >= self.stop_at {
                return;
            }
            sleep_until(due).await;
            let intent = Intent { turn: self.rng.random_range(-1.0..=1.0), thrust: self.rng.random_bool(0.2), ..Intent::default() };
            next[i].1 += 1;
            let envelope = InputEnvelope { player: self.players[i], seq: InputSeq(next[i].1), payload: encode_intent(&intent) };
            let sent = self.nats.publish(self.subject.clone(), encode(&envelope).into()).await;
            if due >= self.counted_from {
                let counter = if sent.is_ok() { &self.inputs } else { &self.errors };
                counter.fetch_add(1, Ordering::Relaxed);
            }
            let gap = self.interval_ms as f64 * self.rng.random_range(0.5..1.5);
            next[i].0 = due + Duration::from_secs_f64(gap / 1000.0);
        }
    }
}

/// An unlabelled counter's value in a Prometheus text exposition.
fn counter(text: &str, name: &str) -> Option<u64> {
    let key = format!("{name} ");
    text.lines().find_map(|l| l.strip_prefix(&key)).and_then(|v| v.trim().parse::<f64>().ok()).map(|v| v as u64)
}

impl DirectReport {
    /// The human-readable report.
    pub fn text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "orrery-loadgen: nats-direct mode, {:.1} s window", self.window_secs);
        let _ = writeln!(
            o,
            "rooms {}  players seated {} (failed {})  inputs published {} ({:.0}/s, errors {})",
            self.rooms,
            self.players_joined,
            self.joins_failed,
            self.inputs_published,
            self.inputs_published as f64 / self.window_secs.max(1e-9),
            self.publish_errors
        );
        let _ = writeln!(o, "worker tick lateness: {}", self.tick_lateness.summary_line());
        let _ = writeln!(
            o,
            "ticks due {}  frames published {}  missed ticks {}  overruns {}",
            self.ticks_due, self.frames_published, self.missed_ticks, self.overruns
        );
        if self.metrics_unreadable > 0 {
            let _ = writeln!(o, "worker metrics unreadable: {} endpoint(s)", self.metrics_unreadable);
        }
        if !self.procs.is_empty() {
            let _ = writeln!(o, "\nserver CPU ({} players):", self.players_joined);
            for p in &self.procs {
                let _ = writeln!(
                    o,
                    "  {:<12} pid {:>8}  procs {:>3}  CPU {:>8.2} s = {:.3} cores  {:>8.0} µs/player-s",
                    p.label, p.pid, p.processes, p.cpu_secs, p.cores_used, p.us_per_player_second
                );
            }
            if let Some(t) = self.procs_total_us_per_player_second {
                let _ = writeln!(o, "  total {t:.0} µs/player-s");
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_by_their_exact_name() {
        let text = "orrery_worker_frames_published_total 1234\norrery_worker_frames_published_total_x 9\nother 1\n";
        assert_eq!(counter(text, FRAMES_PUBLISHED), Some(1234));
        assert_eq!(counter(text, OVERRUNS), None);
    }

    #[test]
    fn the_worker_tick_lateness_is_read_with_the_gateway_histogram_parser() {
        let before = "orrery_worker_tick_lateness_seconds_bucket{le=\"0.001\"} 10\norrery_worker_tick_lateness_seconds_bucket{le=\"0.002\"} 10\norrery_worker_tick_lateness_seconds_bucket{le=\"+Inf\"} 10\n";
        let after = "orrery_worker_tick_lateness_seconds_bucket{le=\"0.001\"} 109\norrery_worker_tick_lateness_seconds_bucket{le=\"0.002\"} 110\norrery_worker_tick_lateness_seconds_bucket{le=\"+Inf\"} 110\n";
        let w = crate::gateway_timing::window(&[Some(before.into())], &[Some(after.into())], TICK_LATENESS);
        assert_eq!(w.count(), 100);
        assert_eq!(w.share_within(0.001), Some(0.99));
    }
}
