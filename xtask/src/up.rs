//! `cargo xtask up`: the whole system on this machine — 2 workers, 2 gateways serving the
//! web page, and bots — against local NATS, Redis and PostgreSQL, until Ctrl-C (or
//! `--duration-secs`).
//!
//! Two groups of bots play: `--bots` in a room of their own (the first hosts it, a new one
//! after each match), and `--fill-bots` that keep `arena`-mode matchmaking tickets waiting
//! (two at a time, one below the mode's minimum of 3) so a person's Quick play on the page
//! is placed at once in a room with two bots; placed bots play the match out while idle
//! ones take their place in the queue.

use crate::children::{Proc, wait_ready};
use crate::services;
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The development secret `up` uses when `ORRERY_JWT_SECRET` is not set. Never deploy it.
const DEV_SECRET: &str = "orrery-dev-secret-do-not-deploy-0123456789";

#[derive(clap::Args, Debug, Clone)]
pub struct UpArgs {
    /// Gateways to run (ports from --gateway-port up).
    #[arg(long, default_value_t = 2)]
    pub gateways: u16,
    /// Workers to run (ops ports from --worker-port up).
    #[arg(long, default_value_t = 2)]
    pub workers: u16,
    /// Bots playing in a room of their own.
    #[arg(long, default_value_t = 5)]
    pub bots: usize,
    /// Bots that fill the rooms of people who press Quick play (0: none).
    #[arg(long, default_value_t = 6)]
    pub fill_bots: usize,
    #[arg(long, default_value_t = 8080)]
    pub gateway_port: u16,
    #[arg(long, default_value_t = 9300)]
    pub worker_port: u16,
    /// NATS subject / Redis key prefix.
    #[arg(long, default_value = "orrery")]
    pub prefix: String,
    /// PostgreSQL database (created if missing).
    #[arg(long, default_value = "orrery")]
    pub database: String,
    /// Stop by itself after this many seconds, and fail unless the bots played.
    #[arg(long)]
    pub duration_secs: Option<u64>,
    /// Use the binaries already built.
    #[arg(long)]
    pub no_build: bool,
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| crate::root().join("target")).join("debug")
}

/// The mode the page's Quick play queues for (web/src/main.ts), which the fill bots keep
/// tickets waiting in.
pub const QUICK_PLAY_MODE: &str = "arena";

/// Build the gateway, worker, bot and chaos binaries (debug).
pub fn build() -> anyhow::Result<()> {
    println!("Building…");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--bins", "-p", "orrery-gateway", "-p", "orrery-worker", "-p", "orrery-client", "-p", "orrery-chaos"])
        .current_dir(crate::root())
        .status()?;
    if !status.success() {
        bail!("build failed");
    }
    Ok(())
}

/// The environment every server gets: service URLs, database, prefix, JWT secret.
pub fn server_env(services: &services::Services, database: &str, prefix: &str) -> Vec<(String, String)> {
    let secret = std::env::var("ORRERY_JWT_SECRET").unwrap_or_else(|_| DEV_SECRET.to_owned());
    vec![
        ("ORRERY_NATS_URL".into(), services.nats_url.clone()),
        ("ORRERY_REDIS_URL".into(), services.redis_url.clone()),
        ("ORRERY_DATABASE_URL".into(), format!("{}/{database}", services.postgres_url)),
        ("ORRERY_PREFIX".into(), prefix.to_owned()),
        ("ORRERY_JWT_SECRET".into(), secret),
    ]
}

/// A gateway's ops port (`/metrics`) in the local fleets: its public port + 1000.
pub fn gateway_ops_port(port: u16) -> u16 {
    port + 1000
}

/// Quotas for a fleet on this machine: every player (bots included) comes from 127.0.0.1.
pub const LOCAL_QUOTAS: [&str; 10] = [
    "--quota-guest-token-burst",
    "100000",
    "--quota-guest-tokens-per-minute",
    "100000",
    "--quota-sockets-per-address",
    "100000",
    "--quota-room-burst",
    "1000",
    "--quota-live-rooms",
    "1000",
];

/// Start `workers.0` workers (ops ports from `workers.1`), then `gateways.0` gateways (ports
/// from `gateways.1`, ops ports [`gateway_ops_port`]), each waited on until ready, pushing each onto `servers` as it starts
/// (so the caller can stop what started when a later one fails).
pub fn start_servers(
    servers: &mut Vec<Proc>,
    env: &[(String, String)],
    logs: &std::path::Path,
    workers: (u16, u16),
    gateways: (u16, u16),
) -> anyhow::Result<()> {
    start_servers_with(servers, env, logs, workers, gateways, &[])
}

/// [`start_servers`] with extra flags for every gateway.
pub fn start_servers_with(
    servers: &mut Vec<Proc>,
    env: &[(String, String)],
    logs: &std::path::Path,
    workers: (u16, u16),
    gateways: (u16, u16),
    gateway_args: &[String],
) -> anyhow::Result<()> {
    let bin = target_dir();
    for i in 0..workers.0 {
        let port = workers.1 + i;
        let mut cmd = Command::new(bin.join("orrery-worker"));
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        cmd.args(["--ops-listen", &format!("127.0.0.1:{port}"), "--worker-id", &format!("worker-{i}")]);
        servers.push(Proc::spawn(&format!("worker-{i}"), cmd, logs)?);
        wait_ready(servers.last_mut().expect("just pushed"), port, Duration::from_secs(30))?;
    }
    for i in 0..gateways.0 {
        let port = gateways.1 + i;
        let mut cmd = Command::new(bin.join("orrery-gateway"));
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        cmd.args(["--listen", &format!("127.0.0.1:{port}"), "--ops-listen", &format!("127.0.0.1:{}", gateway_ops_port(port))]);
        cmd.args(LOCAL_QUOTAS);
        cmd.args(gateway_args);
        servers.push(Proc::spawn(&format!("gateway-{i}"), cmd, logs)?);
        wait_ready(servers.last_mut().expect("just pushed"), port, Duration::from_secs(30))?;
    }
    Ok(())
}

/// Gateway flags for the page: its directory, the other gateways it may use, and the
/// origins allowed to open sockets (every gateway's, so a page served by one can resume
/// through another).
fn web_args(web_dir: &std::path::Path, gateways: &[String], first_port: u16) -> Vec<String> {
    let mut origins: Vec<String> = gateways.iter().flat_map(|g| [g.clone(), g.replace("127.0.0.1", "localhost")]).collect();
    if first_port != 8080 {
        // Keep the defaults too (a page opened on the usual ports).
        origins.extend(["http://localhost:8080", "http://127.0.0.1:8080"].map(String::from));
    }
    let mut args = vec!["--allowed-origins".to_string(), origins.join(",")];
    if web_dir.join("index.html").is_file() {
        args.extend(["--web-dir".to_string(), web_dir.display().to_string(), "--web-peers".to_string(), gateways.join(",")]);
    }
    args
}

pub fn run(args: UpArgs) -> anyhow::Result<()> {
    println!("Checking services…");
    let services = services::ensure()?;
    services::create_database(&services, &args.database)?;
    if !args.no_build {
        build()?;
    }
    let dist = crate::root().join("web").join("dist");
    let web_dir = if args.no_build {
        dist
    } else {
        // Without Node.js the rest of the system still runs: say why there is no page.
        crate::web::build_page(&crate::root()).unwrap_or_else(|e| {
            println!("The web page was not built ({e:#}); the gateways serve the API only.");
            let _ = std::fs::remove_file(dist.join("index.html"));
            dist
        })
    };
    let bin = target_dir();
    let logs = crate::root().join(".orrery").join("logs");
    std::fs::create_dir_all(&logs)?;
    let env = server_env(&services, &args.database, &args.prefix);

    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).context("installing the Ctrl-C handler")?;

    let mut servers: Vec<Proc> = Vec::new();
    let result = (|| -> anyhow::Result<(Option<Proc>, Option<Proc>)> {
        let gateways: Vec<String> = (0..args.gateways).map(|i| format!("http://127.0.0.1:{}", args.gateway_port + i)).collect();
        let gateway_args = web_args(&web_dir, &gateways, args.gateway_port);
        start_servers_with(&mut servers, &env, &logs, (args.workers, args.worker_port), (args.gateways, args.gateway_port), &gateway_args)?;
        let bots = if args.bots > 0 {
            let mut cmd = Command::new(bin.join("orrery-bot"));
            cmd.args(["--gateway", &gateways.join(","), "--bots", &args.bots.to_string()]);
            cmd.args(["--duration-secs", &args.duration_secs.map_or(86_400, |d| d.saturating_sub(2).max(1)).to_string()]);
            Some(Proc::spawn("bots", cmd, &logs)?)
        } else {
            None
        };
        let fillers = if args.fill_bots > 0 {
            let mut cmd = Command::new(bin.join("orrery-bot"));
            cmd.args(["--gateway", &gateways.join(","), "--bots", &args.fill_bots.to_string(), "--name", "filler"]);
            cmd.args(["--queue", QUICK_PLAY_MODE, "--waiting", "2"]);
            cmd.args(["--duration-secs", &args.duration_secs.map_or(86_400, |d| d.saturating_sub(2).max(1)).to_string()]);
            Some(Proc::spawn("fill-bots", cmd, &logs)?)
        } else {
            None
        };
        Ok((bots, fillers))
    })();
    let (mut bots, mut fillers) = match result {
        Ok(b) => b,
        Err(e) => {
            for p in servers.iter_mut().rev() {
                p.stop(Duration::from_secs(10));
            }
            return Err(e);
        }
    };

    println!("\nOrrery is up (prefix {:?}, database {:?}):", args.prefix, args.database);
    if web_dir.join("index.html").is_file() {
        println!("\n  Open http://127.0.0.1:{}/ to play (Quick play puts you with bots at once)\n", args.gateway_port);
    }
    for i in 0..args.gateways {
        let port = args.gateway_port + i;
        println!(
            "  gateway-{i}  http://127.0.0.1:{port}  (WebSocket ws://127.0.0.1:{port}/v1/ws, /readyz; /metrics on http://127.0.0.1:{})",
            gateway_ops_port(port)
        );
    }
    for i in 0..args.workers {
        println!("  worker-{i}   http://127.0.0.1:{}/metrics", args.worker_port + i);
    }
    if bots.is_some() {
        println!("  bots       {} playing", args.bots);
    }
    if fillers.is_some() {
        println!("  fill bots  {} keeping 2 Quick play ({QUICK_PLAY_MODE}) tickets waiting", args.fill_bots);
    }
    println!("  logs       {}", logs.display());
    println!("Ctrl-C stops everything.\n");

    let deadline = args.duration_secs.map(|d| Instant::now() + Duration::from_secs(d));
    let mut failure = None;
    while !stop.load(Ordering::SeqCst) && deadline.is_none_or(|d| Instant::now() < d) {
        if let Some(p) = servers.iter_mut().find_map(|p| p.exited().map(|s| (p.name.clone(), s))) {
            failure = Some(format!("{} exited unexpectedly with {}", p.0, p.1));
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    println!("Stopping…");
    let timed = args.duration_secs.is_some();
    let players_ok = bots.as_mut().is_none_or(|b| finish_bots(b, timed, true));
    let fillers_ok = fillers.as_mut().is_none_or(|f| finish_bots(f, timed, false));
    let bots_ok = players_ok && fillers_ok;
    let mut clean = true;
    // Gateways first (they tell clients to go), then workers (they hand rooms back).
    for p in servers.iter_mut().rev() {
        let ok = p.stop(Duration::from_secs(15));
        println!("  {:<10} {}", p.name, if ok { "stopped cleanly" } else { "did not stop cleanly" });
        clean &= ok;
    }
    if let Some(f) = failure {
        bail!("{f}");
    }
    if !bots_ok {
        bail!("the bots did not finish cleanly; see {}", logs.join("bots.log").display());
    }
    if !clean {
        bail!("not every process stopped cleanly; see {}", logs.display());
    }
    Ok(())
}

/// Lets bots with a time limit finish (bots that run until Ctrl-C are stopped), prints their
/// log (always, or only when they did not finish cleanly), and says whether they did.
fn finish_bots(bots: &mut Proc, timed: bool, always_log: bool) -> bool {
    let ok = if timed {
        bots.wait(Duration::from_secs(15)).is_some_and(|s| s.success())
    } else {
        bots.stop(Duration::from_secs(5));
        true
    };
    if !ok {
        bots.stop(Duration::from_secs(1));
    }
    if always_log || !ok {
        print!("{}", std::fs::read_to_string(&bots.log).unwrap_or_default());
    }
    ok
}
