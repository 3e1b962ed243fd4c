//! `orrery-chaos` (run it with `cargo xtask chaos`): real processes on loopback — 3
//! workers, 2 gateways, a private NATS and Redis — players in many rooms, and one fault
//! per scenario. For each it prints the time until every affected room ticked again
//! (RTO), the simulation time rolled back (RPO), the longest gap between two frames of a
//! moved room, and the verdict of every invariant. Bounded in time; stops by itself.

mod cluster;
mod hostile;
mod observer;
mod players;
mod scenario;

use clap::Parser;
use cluster::Setup;
use orrery_worker::config::Timing;
use scenario::{Fault, Size};
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(name = "orrery-chaos", about = "Kill, pause and restart Orrery's processes and check that no match is lost")]
struct Args {
    /// Scenarios to run (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    scenarios: Vec<Fault>,
    /// Rooms in play.
    #[arg(long, default_value_t = 50)]
    rooms: usize,
    /// Players per room.
    #[arg(long, default_value_t = 2)]
    players_per_room: usize,
    /// Workers and gateways.
    #[arg(long, default_value_t = 3)]
    workers: usize,
    #[arg(long, default_value_t = 2)]
    gateways: usize,
    /// The short version for the test suite: 10 rooms; kill, zombie, term, a gateway kill
    /// and the hostile player.
    #[arg(long)]
    quick: bool,
    /// PostgreSQL server URL (a database per scenario is created in it).
    #[arg(long, env = "ORRERY_TEST_POSTGRES", default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.quick {
        args.rooms = args.rooms.min(10);
        args.players_per_room = 1;
        if args.scenarios.is_empty() {
            args.scenarios = vec![Fault::Kill, Fault::Zombie, Fault::Term, Fault::GatewayKill, Fault::Hostile];
        }
    }
    if args.scenarios.is_empty() {
        args.scenarios = vec![
            Fault::Kill,
            Fault::Zombie,
            Fault::Blip,
            Fault::Term,
            Fault::GatewayKill,
            Fault::NatsRestart,
            Fault::RedisRestart,
            Fault::Hostile,
        ];
    }
    let exe = std::env::current_exe()?;
    let bin_dir = exe.parent().expect("a binary lives in a folder").to_path_buf();
    let root = bin_dir.ancestors().nth(2).expect("target/<profile>/orrery-chaos").to_path_buf();
    let setup = Setup {
        bin_dir,
        logs: root.join(".orrery").join("chaos"),
        postgres: args.postgres.clone(),
        workers: args.workers,
        gateways: args.gateways,
        worker_args: Vec::new(),
        default_quotas: false,
    };
    let size = Size { rooms: args.rooms, players_per_room: args.players_per_room, tick_hz: 30.0, lease_ttl: Timing::default().lease_ttl() };
    println!(
        "chaos: {} workers, {} gateways, {} rooms, {} players per room; logs in {}",
        args.workers,
        args.gateways,
        args.rooms,
        args.players_per_room,
        setup.logs.display()
    );

    let (mut passed, mut failed) = (0, 0);
    for fault in &args.scenarios {
        println!("\n== {fault:?}");
        match scenario::run(*fault, &setup, &size).await {
            Ok(out) => {
                println!("  affected rooms: {}", out.affected_rooms);
                if !out.rto.is_empty() {
                    println!("  RTO (fault to first frame of the new epoch): {}", summary(&out.rto));
                    println!("  RPO (simulation rolled back): {}", summary(&out.rpo));
                }
                if !out.reconnects.is_empty() {
                    println!("  player reconnects (socket lost to joined again): {}", summary(&out.reconnects));
                }
                if !out.longest_gap.is_empty() {
                    println!("  longest gap between two frames of an affected room: {}", summary(&out.longest_gap));
                }
                for c in &out.checks {
                    println!(
                        "  [{}] {}{}",
                        if c.ok { "ok" } else { "FAIL" },
                        c.name,
                        if c.detail.is_empty() { String::new() } else { format!(" — {}", c.detail) }
                    );
                }
                if out.passed() {
                    passed += 1;
                } else {
                    failed += 1;
                }
            }
            Err(e) => {
                println!("  [FAIL] the scenario could not run: {e:#}");
                failed += 1;
            }
        }
    }
    println!("\nchaos: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// p50 / p99 / max of durations, in milliseconds.
fn summary(values: &[Duration]) -> String {
    let mut v: Vec<f64> = values.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!("p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (n = {})", at(0.5), at(0.99), v[v.len() - 1], v.len())
}
