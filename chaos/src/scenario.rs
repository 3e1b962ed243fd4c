//! One chaos scenario from start to verdict: bring up a private cluster, seat players in
//! rooms, inject the fault, wait for recovery, and check the invariants from what the
//! processes wrote (frames on NATS, PostgreSQL, Redis, metrics, what players received).

use crate::cluster::{Cluster, Setup, metric};
use crate::observer::{Observer, Seen, Timeline};
use crate::players::{self, PlayerReport};
use anyhow::{Context, bail};
use nix::sys::signal::Signal;
use orrery_arena::MODE_LARGE;
use orrery_client::http::Api;
use orrery_common::{Epoch, RoomId};
use orrery_worker::snapshot::RoomSnapshot;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Players seated in the per-viewer (`arena-large`) room of every scenario.
const LARGE_ROOM_PLAYERS: usize = 3;

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// `kill -9` the busiest worker (of those owning the per-viewer room, if one does).
    Kill,
    /// `SIGSTOP` it for longer than its lease TTL, then `SIGCONT`.
    Zombie,
    /// `SIGSTOP` it for less than half the TTL.
    Blip,
    /// `SIGTERM` it: drain and hand over.
    Term,
    /// `kill -9` a gateway: its players resume through the other one.
    GatewayKill,
    /// Restart NATS.
    NatsRestart,
    /// Restart Redis (it keeps nothing: every lease and hot snapshot is gone).
    RedisRestart,
    /// No fault of the processes: a hostile player attacks a gateway while an honest one
    /// plays through it (`hostile.rs`).
    Hostile,
}

/// How big a run is.
#[derive(Clone, Debug)]
pub struct Size {
    pub rooms: usize,
    pub players_per_room: usize,
    pub tick_hz: f64,
    pub lease_ttl: Duration,
}

/// One invariant's verdict.
#[derive(Debug)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// What a scenario measured and concluded.
#[derive(Debug, Default)]
pub struct Outcome {
    pub affected_rooms: usize,
    /// Per affected room: fault to first frame of the new epoch.
    pub rto: Vec<Duration>,
    /// Per affected room: simulation rolled back.
    pub rpo: Vec<Duration>,
    /// Per affected room: the longest time between two frames around the fault.
    pub longest_gap: Vec<Duration>,
    /// Per player that had to reconnect: losing the socket to joining again.
    pub reconnects: Vec<Duration>,
    pub checks: Vec<Check>,
}

impl Outcome {
    pub fn check(&mut self, name: &'static str, ok: bool, detail: impl Into<String>) {
        self.checks.push(Check { name, ok, detail: detail.into() });
    }

    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Run one scenario.
pub async fn run(fault: Fault, setup: &Setup, size: &Size) -> anyhow::Result<Outcome> {
    let name = format!("{fault:?}").to_lowercase();
    // The hostile run measures the quotas a deployment gets by default.
    let setup = Setup { default_quotas: fault == Fault::Hostile, ..setup.clone() };
    let mut cluster = Cluster::start(&setup, &name).await?;
    let result = match fault {
        Fault::Hostile => crate::hostile::drive(&mut cluster).await,
        _ => drive(fault, &mut cluster, size).await,
    };
    cluster.teardown().await;
    result
}

async fn drive(fault: Fault, cluster: &mut Cluster, size: &Size) -> anyhow::Result<Outcome> {
    let observer = Observer::start(&cluster.nats_url, &cluster.redis_url, &cluster.database_url, &cluster.prefix).await?;
    let pg = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(&cluster.database_url).await?;
    let gateways = cluster.gateway_urls();
    let api = Api::new(gateways[0].clone());
    let token = api.guest(Some("chaos-host")).await?.token;
    let mut rooms = Vec::new();
    for _ in 0..size.rooms {
        rooms.push(api.create_room(&token, serde_json::json!({ "mode": "arena-duel" })).await?);
    }
    // One room where each player is sent only its own view, for I8 on real processes.
    let large = api.create_room(&token, serde_json::json!({ "mode": MODE_LARGE })).await?;
    rooms.push(large);
    wait_until(Duration::from_secs(20), "every room ticks", || {
        let t = observer.timeline();
        rooms.iter().all(|r| t.get(r).is_some_and(|f| !f.is_empty()))
    })
    .await?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut seats = Vec::new();
    for (i, room) in rooms.iter().enumerate() {
        let players = if *room == large { LARGE_ROOM_PLAYERS.max(size.players_per_room) } else { size.players_per_room };
        for j in 0..players {
            // Each player starts on one gateway and knows them all.
            let mut order = gateways.clone();
            order.rotate_left((i + j) % gateways.len());
            seats.push(tokio::spawn(players::play(order, *room, (i * 100 + j) as u64, stop_rx.clone())));
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let owners: Vec<(i64, Option<String>, i64)> = sqlx::query_as("SELECT id, owner, epoch FROM rooms").fetch_all(&pg).await?;
    let mut per_worker: HashMap<String, Vec<(RoomId, Epoch)>> = HashMap::new();
    for (id, owner, epoch) in &owners {
        if let Some(o) = owner {
            per_worker.entry(o.clone()).or_default().push((RoomId(*id as u64), Epoch(*epoch as u64)));
        }
    }
    // The busiest of the workers that own the per-viewer room (if one does), so that a
    // worker fault takes it over too and its players' views are checked across it.
    let (victim_id, affected) =
        per_worker.into_iter().max_by_key(|(_, r)| (r.iter().any(|(room, _)| *room == large), r.len())).context("no room has an owner")?;
    let victim = victim_id.strip_prefix("worker-").and_then(|n| n.parse::<usize>().ok()).context("worker ids are worker-N")?;
    let before: HashMap<RoomId, Epoch> = owners.iter().map(|(id, _, e)| (RoomId(*id as u64), Epoch(*e as u64))).collect();
    let mut out = Outcome { affected_rooms: affected.len(), ..Outcome::default() };
    let ttl = size.lease_ttl;

    let fault_at = Instant::now();
    let moved = matches!(fault, Fault::Kill | Fault::Zombie | Fault::Term);
    match fault {
        Fault::Kill => cluster.workers[victim].signal(Signal::SIGKILL)?,
        Fault::Term => cluster.workers[victim].signal(Signal::SIGTERM)?,
        Fault::Zombie | Fault::Blip => {
            cluster.workers[victim].signal(Signal::SIGSTOP)?;
            let pause = if fault == Fault::Zombie { ttl * 2 + Duration::from_millis(500) } else { ttl * 3 / 10 };
            tokio::time::sleep(pause).await;
            cluster.workers[victim].signal(Signal::SIGCONT)?;
        }
        Fault::GatewayKill => cluster.gateways[0].signal(Signal::SIGKILL)?,
        Fault::NatsRestart => cluster.nats.restart().await?,
        Fault::RedisRestart => cluster.redis.restart().await?,
        Fault::Hostile => unreachable!("run() sends the hostile run to hostile::drive"),
    }
    let resumed_at = Instant::now();

    if moved {
        let recovered = wait_until(Duration::from_secs(15), "every affected room ticks under a higher epoch", || {
            let t = observer.timeline();
            affected.iter().all(|(r, e)| t.get(r).is_some_and(|f| f.iter().any(|s| s.epoch > *e)))
        })
        .await;
        out.check("I4: affected rooms tick again under a higher epoch", recovered.is_ok(), format!("{} rooms", affected.len()));
    }
    if fault == Fault::Zombie {
        // Within one renewal period of waking up, the zombie runs nothing.
        let port = cluster.workers[victim].port;
        let mut owned = f64::NAN;
        let until = Instant::now() + ttl / 3 + Duration::from_millis(500);
        while Instant::now() < until {
            if let Ok(m) = cluster.metrics(port).await {
                owned = metric(&m, "orrery_worker_rooms_owned").unwrap_or(f64::NAN);
                if owned == 0.0 {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        out.check("I6: the woken zombie stops its rooms within a renewal period", owned == 0.0, format!("rooms owned: {owned}"));
        if let Ok(m) = cluster.metrics(port).await {
            let expired = metric(&m, "orrery_worker_leases_expired_by_deadline_total").unwrap_or(0.0);
            let lost = metric(&m, "orrery_worker_leases_lost_total").unwrap_or(0.0);
            let fenced = metric(&m, "orrery_worker_fenced_writes_total").unwrap_or(0.0);
            out.check(
                "I6: the zombie found itself fenced",
                lost >= affected.len() as f64,
                format!("{lost} leases lost, {expired} stopped by their local deadline, {fenced} writes refused"),
            );
        }
    }
    // Every room, not only the affected ones, is ticking now (after a restart, within 15 s).
    let all_tick = wait_until(Duration::from_secs(15), "every room ticks after the fault", || {
        let t = observer.timeline();
        let since = resumed_at + Duration::from_millis(300);
        rooms.iter().all(|r| t.get(r).is_some_and(|f| f.last().is_some_and(|s| s.at > since)))
    })
    .await;
    out.check("every room ticks after the fault", all_tick.is_ok(), format!("{} rooms", rooms.len()));
    tokio::time::sleep(Duration::from_secs(2)).await;

    let _ = stop_tx.send(true);
    let mut reports: Vec<PlayerReport> = Vec::new();
    for s in seats {
        reports.push(s.await?);
    }
    let (timeline, violations) = observer.stop();
    let tick = Duration::from_secs_f64(1.0 / size.tick_hz);

    // RTO, RPO and the longest gap of every affected room.
    for (room, epoch) in &affected {
        let frames = &timeline[room];
        let old: Vec<&Seen> = frames.iter().filter(|s| s.epoch <= *epoch).collect();
        if let Some(first_new) = frames.iter().find(|s| s.epoch > *epoch) {
            out.rto.push(first_new.at.saturating_duration_since(fault_at));
            let last_old = old.iter().filter(|s| s.at < first_new.at).map(|s| s.tick.get()).max().unwrap_or(0);
            let rolled_back = (last_old + 1).saturating_sub(first_new.tick.get());
            out.rpo.push(tick * rolled_back as u32);
        }
        let around = frames.iter().filter(|s| s.at + Duration::from_secs(1) > fault_at);
        let gaps = around.collect::<Vec<_>>().windows(2).map(|w| w[1].at - w[0].at).max();
        out.longest_gap.extend(gaps);
    }
    match fault {
        Fault::Blip => {
            let same = affected.iter().all(|(r, e)| timeline[r].iter().all(|s| s.epoch == *e));
            out.check("a short pause causes no takeover", same, format!("{} rooms kept their epoch", affected.len()));
        }
        Fault::Kill | Fault::Term => {
            let late = zombie_frames(&timeline, &affected);
            out.check("no frame of the old epoch is published after the new one", late == 0, format!("{late} late frames"));
        }
        Fault::Zombie => {
            // A process stopped between its deadline check and its publish (or with a frame
            // in its client's buffer) sends that frame when it wakes: no check-then-act can
            // prevent it. The gateways' epoch fence (I3) must drop every such frame.
            let late = zombie_frames(&timeline, &affected);
            let mut dropped = 0.0;
            for g in &cluster.gateways {
                if let Ok(m) = cluster.metrics(g.ops_port).await {
                    dropped += metric(&m, "orrery_gateway_stale_epoch_frames_total").unwrap_or(0.0);
                }
            }
            out.check(
                "I3: every frame the zombie sent after the new epoch began was dropped by the gateways",
                dropped >= late as f64,
                format!("{late} late frames on NATS, {dropped} dropped as stale by gateways"),
            );
        }
        _ => {}
    }
    out.check("I1/I2: epochs and committed (epoch, tick) never went down", violations.is_empty(), violations.join("; "));
    let _ = before;

    out.reconnects = reports.iter().flat_map(|r| r.reconnects.iter().copied()).collect();
    if fault == Fault::GatewayKill {
        let expected = rooms.len() * size.players_per_room / gateways.len();
        out.check(
            "players of the killed gateway resumed through the other one",
            out.reconnects.len() >= expected,
            format!("{} of about {expected} players reconnected", out.reconnects.len()),
        );
    }
    let leaks: u64 = reports.iter().map(|r| r.view_leaks).sum();
    let checked: u64 = reports.iter().map(|r| r.views_checked).sum();
    let moved = if affected.iter().any(|(room, _)| *room == large) { "on" } else { "not on" };
    let resumed = reports.iter().filter(|r| r.room == large && !r.reconnects.is_empty()).count();
    out.check(
        "I8: players of the per-viewer room never decoded anything outside their view",
        leaks == 0 && checked > 0,
        format!(
            "{leaks} of {checked} frames leaked (joins and resyncs included); the room was {moved} the worker picked as the victim, {resumed} of its players resumed"
        ),
    );
    let unacked: usize = reports.iter().map(|r| r.unacked_at_end).sum();
    out.check("I5: no input was left unacknowledged (resent after a resume, applied once)", unacked == 0, format!("{unacked} unacked"));
    let bad: Vec<String> = reports
        .iter()
        .filter(|r| {
            r.duplicates > 0 || r.decode_errors > 0 || r.ack_regressions > 0 || r.error.is_some() || !r.seated_at_end || r.frames == 0
        })
        .map(|r| format!("room {}: {r:?}", r.room))
        .collect();
    out.check(
        "I3/I5: players got no duplicate or older-epoch frame, no ack went back, all still seated",
        bad.is_empty(),
        if bad.is_empty() { format!("{} players", reports.len()) } else { bad.join("; ") },
    );

    let events = check_events(&pg, &rooms).await?;
    out.check("the durable event log is the prefix of the restored history", events.is_empty(), events.join("; "));
    Ok(out)
}

/// Frames of an old epoch published after a newer epoch's first frame.
fn zombie_frames(timeline: &Timeline, affected: &[(RoomId, Epoch)]) -> usize {
    affected
        .iter()
        .map(|(room, _)| {
            let frames = &timeline[room];
            let mut max = Epoch(0);
            frames
                .iter()
                .filter(|s| {
                    let late = s.epoch < max;
                    max = max.max(s.epoch);
                    late
                })
                .count()
        })
        .sum()
}

/// Per room: sequence numbers 1..=n with no hole, ticks in order, and the log ends exactly
/// where the newest durable snapshot says the history is.
async fn check_events(pg: &sqlx::PgPool, rooms: &[RoomId]) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for room in rooms {
        let events: Vec<(i64, i64)> =
            sqlx::query_as("SELECT seq, tick FROM match_events WHERE room = $1 ORDER BY seq").bind(room.get() as i64).fetch_all(pg).await?;
        for (i, (seq, _)) in events.iter().enumerate() {
            if *seq != i as i64 + 1 {
                problems.push(format!("room {room}: event {} has seq {seq}", i + 1));
                break;
            }
        }
        if events.windows(2).any(|w| w[1].1 < w[0].1) {
            problems.push(format!("room {room}: event ticks go backwards"));
        }
        let snap: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT state FROM room_snapshots WHERE room = $1").bind(room.get() as i64).fetch_optional(pg).await?;
        if let Some((state,)) = snap {
            let snap = RoomSnapshot::decode(&state)?;
            if snap.next_event_seq != events.len() as u64 + 1 {
                problems.push(format!(
                    "room {room}: log holds {} events, the durable snapshot expects {}",
                    events.len(),
                    snap.next_event_seq - 1
                ));
            }
        }
    }
    Ok(problems)
}

async fn wait_until(limit: Duration, what: &str, mut f: impl FnMut() -> bool) -> anyhow::Result<()> {
    let until = Instant::now() + limit;
    while !f() {
        if Instant::now() > until {
            bail!("timed out: {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}
