//! `cargo xtask bench-snapshots`: what snapshots cost a worker running 1,000 rooms.
//!
//! One worker owns N rooms (default 1,000, created straight in PostgreSQL and Redis) and
//! runs twice for the same measured window: with the default snapshot periods (hot every
//! 100 ms, durable every 2 s), and with both periods so long that no periodic snapshot is
//! taken. The difference in CPU time the process used (user + system, from
//! `/proc/<pid>/stat`) is the cost of snapshots, reported as a share of one core.

use crate::children::{Proc, http_get, wait_ready};
use crate::{services, up};
use anyhow::{Context, bail};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Rooms the worker runs.
    #[arg(long, default_value_t = 1000)]
    pub rooms: u32,
    /// Seconds measured per run (after every room is claimed).
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Use release binaries (built here) instead of debug.
    #[arg(long)]
    pub release: bool,
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let services = services::ensure()?;
    let profile = if args.release { "release" } else { "debug" };
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--bins", "-p", "orrery-worker"]).current_dir(crate::root());
    if args.release {
        build.arg("--release");
    }
    if !build.status()?.success() {
        bail!("build failed");
    }
    let bin = up::target_dir().with_file_name(profile).join("orrery-worker");
    let logs = crate::root().join(".orrery").join("bench-snapshots");
    std::fs::create_dir_all(&logs)?;
    let mut cores = Vec::new();
    for (label, extra) in
        [("with snapshots", vec![]), ("without snapshots", vec!["--hot-snapshot-ms", "3600000", "--durable-snapshot-ms", "3600000"])]
    {
        let database = "orrery_bench_snapshots";
        let prefix = format!("bsnap{}x{}", std::process::id(), cores.len());
        recreate_database(&services, database)?;
        let mut cmd = Command::new(&bin);
        for (k, v) in up::server_env(&services, database, &prefix) {
            cmd.env(k, v);
        }
        let port = 29399;
        cmd.args(["--ops-listen", &format!("127.0.0.1:{port}"), "--capacity", &args.rooms.to_string(), "--claim-batch", "200"]);
        cmd.args(&extra);
        let mut worker = Proc::spawn("worker", cmd, &logs)?;
        wait_ready(&mut worker, port, Duration::from_secs(30))?;
        create_rooms(&services, database, &prefix, args.rooms)?;
        let until = Instant::now() + Duration::from_secs(60);
        while owned(port) < args.rooms {
            if Instant::now() > until {
                bail!("the worker owns {} of {} rooms after 60 s", owned(port), args.rooms);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        std::thread::sleep(Duration::from_secs(2));
        let pid = worker.pid();
        let (t0, c0) = (Instant::now(), cpu_seconds(pid)?);
        std::thread::sleep(Duration::from_secs(args.seconds));
        let used = (cpu_seconds(pid)? - c0) / t0.elapsed().as_secs_f64();
        worker.stop(Duration::from_secs(15));
        println!("{label}: {} rooms, {used:.3} of a core ({profile} build)", args.rooms);
        cores.push(used);
    }
    let cost = cores[0] - cores[1];
    println!("snapshots cost {:.1}% of one core for {} rooms ({profile} build)", cost * 100.0, args.rooms);
    Ok(())
}

fn owned(port: u16) -> u32 {
    http_get(port, "/metrics")
        .and_then(|(_, body)| body.lines().find_map(|l| l.strip_prefix("orrery_worker_rooms_owned ")?.trim().parse::<f64>().ok()))
        .map_or(0, |v| v as u32)
}

/// User + system CPU seconds of a process.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).context("reading /proc/<pid>/stat")?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').context("malformed stat")? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

fn psql(services: &services::Services, database: &str, sql: &str) -> anyhow::Result<()> {
    let status = Command::new("psql").args([&format!("{}/{database}", services.postgres_url), "-qc", sql]).status()?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

fn recreate_database(services: &services::Services, database: &str) -> anyhow::Result<()> {
    psql(services, "postgres", &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))?;
    services::create_database(services, database)
}

/// N lobby rooms of 5 seats at 30 Hz, waiting for an owner.
fn create_rooms(services: &services::Services, database: &str, prefix: &str, n: u32) -> anyhow::Result<()> {
    psql(
        services,
        database,
        &format!(
            "INSERT INTO rooms (mode, settings) SELECT 'arena', jsonb_build_object('mode', 'arena', 'max_players', 5, 'tick_hz', 30, 'seed', g) FROM generate_series(1, {n}) g"
        ),
    )?;
    let ids: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    let status =
        Command::new("redis-cli").args(["-u", &services.redis_url, "SADD", &format!("{prefix}:rooms:unowned")]).args(&ids).status()?;
    if !status.success() {
        bail!("redis-cli failed");
    }
    Ok(())
}
