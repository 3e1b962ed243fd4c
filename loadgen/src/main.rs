//! `orrery-loadgen`: N scripted players spread over running gateways for a bounded time,
//! with a progress line and a final report (text on stdout, JSON with `--json`):
//! input-to-ack latency with and without the tick wait, frame interval jitter, bytes per
//! second per player each way, reconnect times, errors by kind — HDR histograms — and the
//! gateways' own timing of the input pipeline, read from their `/metrics`. With
//! `--idle`, gateway memory per idle connection instead; with `--nats-floor`, the round
//! trip through NATS alone; with `--nats-direct`, a worker alone, its players' inputs
//! published straight onto NATS.
//!
//! It starts no servers and kills nothing: point it at gateways you run (see
//! `docs/BENCHMARKS.md`), and kill one yourself to measure reconnects.

mod cli;
mod gateway_timing;
mod idle;
mod nats_direct;
mod nats_floor;
mod player;
mod proc_cost;
mod procfs;
mod progress;
mod report;
mod stats;
mod tickclock;

use anyhow::{Context, bail};
use clap::Parser;
use cli::Args;
use orrery_client::http::Api;
use orrery_common::RoomId;
use player::{Ctx, Plan};
use stats::{Live, Shared};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, sleep};

/// Time after the window for sockets to close and tasks to finish.
const DRAIN: Duration = Duration::from_secs(3);

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    args.validate()?;
    if args.nats_floor {
        let rtt = nats_floor::measure(&args.nats_url, Duration::from_secs(args.duration_secs))?;
        println!(
            "NATS round trip alone (2 crossings, {} samples), µs: mean {:.0}  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            rtt.count, rtt.mean, rtt.p50, rtt.p90, rtt.p99, rtt.p999, rtt.max
        );
        if let Some(path) = &args.json {
            std::fs::write(path, serde_json::to_vec_pretty(&rtt)?).with_context(|| format!("writing {}", path.display()))?;
        }
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if args.nats_direct {
        let report = runtime.block_on(nats_direct::run(args.clone()))?;
        print!("{}", report.text());
        if let Some(path) = &args.json {
            std::fs::write(path, serde_json::to_vec_pretty(&report)?).with_context(|| format!("writing {}", path.display()))?;
        }
        return Ok(());
    }
    raise_open_files(args.players as u64 * 2 + 256)?;
    let report = runtime.block_on(run(args.clone()))?;
    print!("{}", report.text());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?).with_context(|| format!("writing {}", path.display()))?;
        println!("\nJSON report: {}", path.display());
    }
    if report.players.joined == 0 {
        bail!("no player got in: see the errors above");
    }
    Ok(())
}

/// Each socket is a file descriptor: raise the soft limit to what the run needs.
fn raise_open_files(needed: u64) -> anyhow::Result<()> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft >= needed {
        return Ok(());
    }
    if hard < needed {
        bail!(
            "this run needs {needed} open files but the hard limit is {hard}: raise it (ulimit -Hn, or limits.conf) or run fewer players"
        );
    }
    setrlimit(Resource::RLIMIT_NOFILE, needed, hard).context("raising the open-file soft limit")?;
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<report::Report> {
    let args = Arc::new(args);
    let shared = Arc::new(Shared::new(Duration::from_secs(args.duration_secs)));
    let apis: Arc<Vec<Api>> = Arc::new(args.gateways.iter().map(|g| Api::new(g.clone())).collect());
    let ops_apis: Vec<Api> = args.gateway_metrics.iter().map(|g| Api::new(g.clone())).collect();
    let hard_end = Instant::now() + Duration::from_secs(args.setup_timeout_secs + args.warmup_secs + args.duration_secs) + DRAIN;
    let ctx = Ctx {
        args: args.clone(),
        apis: apis.clone(),
        shared: shared.clone(),
        setup: Arc::new(Semaphore::new(args.connect_concurrency)),
        hard_end,
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    let progress = (!args.no_progress).then(|| tokio::spawn(progress::run(shared.clone(), args.players, stop_rx)));

    let before = idle::sample_all(&args.gateway_pid);
    let mut tasks = Vec::with_capacity(args.players);
    if args.idle {
        for i in 0..args.players {
            tasks.push(tokio::spawn(idle::hold(i, ctx.clone())));
        }
    } else {
        let rooms = create_rooms(&args, &apis).await?;
        for i in 0..args.players {
            let plan = Plan { index: i, room: rooms[i / args.per_room] };
            tasks.push(tokio::spawn(player::run(plan, ctx.clone())));
        }
    }

    // The window starts when every player is in (or has failed), or at the setup timeout,
    // plus the warm-up.
    let setup_end = Instant::now() + Duration::from_secs(args.setup_timeout_secs);
    while Instant::now() < setup_end {
        let done = Live::get(&shared.live.joined) + Live::get(&shared.live.setup_failed);
        if done >= args.players as u64 {
            break;
        }
        sleep(Duration::from_millis(50)).await;
    }
    if !args.idle {
        sleep(Duration::from_secs(args.warmup_secs)).await;
    }
    let (start, end) = {
        shared.start_window();
        shared.window().expect("just started")
    };

    // Sockets still open just before the end (players close theirs at the end itself).
    let near_end = tokio::spawn({
        let shared = shared.clone();
        async move {
            tokio::time::sleep_until(end - Duration::from_millis(200)).await;
            Live::get(&shared.live.sockets_open)
        }
    });
    let mut idle_report = None;
    let mut server_timing = None;
    let (gw_before, gw_after);
    let (mut procs_before, mut procs_after) = (Vec::new(), Vec::new());
    if args.idle {
        // Memory: before any socket opened, and once they are all open and settled.
        sleep(idle::SETTLE).await;
        let held = Live::get(&shared.live.sockets_open);
        let after = idle::sample_all(&args.gateway_pid);
        tokio::time::sleep_until(end).await;
        let at_end = idle::sample_all(&args.gateway_pid);
        let per = |later: &[procfs::Sample]| -> Vec<(i32, f64)> {
            before
                .iter()
                .filter_map(|b| {
                    later.iter().find(|a| a.pid == b.pid).map(|a| (b.pid, (a.rss_bytes as f64 - b.rss_bytes as f64) / held.max(1) as f64))
                })
                .collect()
        };
        idle_report =
            Some(report::Idle { connections: held, bytes_per_connection: per(&after), bytes_per_connection_at_end: per(&at_end) });
        (gw_before, gw_after) = (before, after);
    } else {
        gw_before = idle::sample_all(&args.gateway_pid);
        procs_before = proc_cost::sample(&args.procs);
        let timed_before = gateway_timing::read_all(&ops_apis).await;
        tokio::time::sleep_until(end).await;
        gw_after = idle::sample_all(&args.gateway_pid);
        procs_after = proc_cost::sample(&args.procs);
        let timed_after = gateway_timing::read_all(&ops_apis).await;
        for _ in timed_before.iter().zip(&timed_after).filter(|(b, a)| b.is_none() || a.is_none()) {
            shared.error("gateway_metrics_unreadable");
        }
        server_timing = Some((
            gateway_timing::window(&timed_before, &timed_after, gateway_timing::PIPELINE),
            gateway_timing::window(&timed_before, &timed_after, gateway_timing::FANOUT),
        ));
    }
    let sockets_open_at_end = near_end.await.unwrap_or(0);
    let wall = (Instant::now() - start).as_secs_f64();
    let procs = proc_cost::costs(&args.procs, &procs_before, &procs_after, wall, args.players);
    let gateways = gw_before.iter().filter_map(|b| gw_after.iter().find(|a| a.pid == b.pid).map(|a| procfs::delta(b, a, wall))).collect();

    let drain_until = Instant::now() + DRAIN;
    for t in tasks {
        if tokio::time::timeout_at(drain_until, t).await.is_err() {
            shared.error("task_did_not_finish");
        }
    }
    let _ = stop_tx.send(true);
    if let Some(p) = progress {
        let _ = p.await;
    }
    let timings = server_timing.map(|(p, f)| (gateway_timing::GatewayTiming::of(&p), gateway_timing::GatewayTiming::of(&f)));
    Ok(report::Report::build(&args, &shared, gateways, idle_report, timings, sockets_open_at_end).with_procs(procs))
}

/// One room per `per_room` players, created round-robin over the gateways.
async fn create_rooms(args: &Args, apis: &[Api]) -> anyhow::Result<Vec<RoomId>> {
    use futures::StreamExt;
    let count = args.players.div_ceil(args.per_room);
    let host = apis[0].guest(Some("lg-host")).await.context("getting a guest token to create rooms")?.token;
    let settings = serde_json::json!({ "mode": args.mode, "max_players": args.per_room.max(1), "tick_hz": args.tick_hz });
    let rooms: Vec<_> = futures::stream::iter(0..count)
        .map(|i| {
            let (api, host, settings) = (&apis[i % apis.len()], &host, settings.clone());
            async move { api.create_room(host, settings).await }
        })
        .buffered(16)
        .collect()
        .await;
    rooms.into_iter().collect::<Result<Vec<_>, _>>().context("creating rooms")
}
