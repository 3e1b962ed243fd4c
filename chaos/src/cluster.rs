//! A private Orrery made of real processes: its own NATS and Redis (on free ports, so a
//! scenario may restart them), its own PostgreSQL database, 3 workers and 2 gateways
//! started from the built binaries, with their logs in one folder.

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// The HS256 secret of the chaos deployment (test only).
pub const SECRET: &str = "orrery-chaos-secret-0123456789abcdef";

/// Where the ports handed to the cluster's processes come from: below Linux's ephemeral
/// range (32768–60999), which the kernel draws the local ports of outgoing connections
/// from. A port the kernel handed out as free (`bind(:0)`) could be taken by any
/// process's next outgoing connection before the server that was given it binds it (a run
/// failed so: "cannot listen on 127.0.0.1:44295: Address already in use"); one below the
/// range stays free unless something binds it on purpose.
const PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A free TCP port on 127.0.0.1 from [`PORTS`], never the same twice in one run.
fn free_port() -> anyhow::Result<u16> {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let span = PORTS.end - PORTS.start;
    // The first call starts at a random place, so that two runs at once rarely meet.
    let _ = NEXT.compare_exchange(0, rand::random_range(0..span) + 1, Ordering::Relaxed, Ordering::Relaxed);
    for _ in 0..span {
        let port = PORTS.start + NEXT.fetch_add(1, Ordering::Relaxed) % span;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no free port in {PORTS:?}")
}

/// Gateway quotas for a fleet whose players all come from 127.0.0.1 and whose rooms one
/// host creates (every scenario but the hostile run, which keeps the defaults).
const LOOSE_QUOTAS: [&str; 12] = [
    "--quota-guest-token-burst",
    "100000",
    "--quota-guest-tokens-per-minute",
    "100000",
    "--quota-sockets-per-address",
    "100000",
    "--quota-rooms-per-minute",
    "100000",
    "--quota-room-burst",
    "100000",
    "--quota-live-rooms",
    "100000",
];

/// One child process.
pub struct Proc {
    pub name: String,
    /// Where `/readyz` answers (a gateway's public port, a worker's ops port).
    pub port: u16,
    /// Where `/metrics` answers (a worker's ops port is its `port`).
    pub ops_port: u16,
    child: Child,
    program: PathBuf,
    args: Vec<String>,
    log: PathBuf,
}

impl Proc {
    async fn spawn(name: &str, program: PathBuf, args: Vec<String>, (port, ops_port): (u16, u16), logs: &Path) -> anyhow::Result<Self> {
        let log = logs.join(format!("{name}.log"));
        let child = start(&program, &args, &log).with_context(|| format!("starting {name}"))?;
        Ok(Self { name: name.into(), port, ops_port, child, program, args, log })
    }

    pub fn pid(&self) -> Option<Pid> {
        self.child.id().map(|id| Pid::from_raw(id as i32))
    }

    /// Send a signal (SIGKILL, SIGSTOP, SIGCONT, SIGTERM).
    pub fn signal(&self, signal: Signal) -> anyhow::Result<()> {
        let pid = self.pid().with_context(|| format!("{} is not running", self.name))?;
        kill(pid, signal)?;
        Ok(())
    }

    /// Wait for the process to exit; its success.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<bool> {
        tokio::time::timeout(limit, self.child.wait()).await.ok().and_then(Result::ok).map(|s| s.success())
    }

    /// Kill and start again with the same arguments (services).
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
        self.child = start(&self.program, &self.args, &self.log)?;
        Ok(())
    }

    /// Stop: SIGTERM, then SIGKILL after `grace`.
    pub async fn stop(&mut self, grace: Duration) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = self.signal(Signal::SIGCONT);
        let _ = self.signal(Signal::SIGTERM);
        if self.wait_exit(grace).await.is_none() {
            let _ = self.child.kill().await;
        }
    }
}

fn start(program: &Path, args: &[String], log: &Path) -> anyhow::Result<Child> {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    Ok(Command::new(program).args(args).stdout(file.try_clone()?).stderr(file).stdin(Stdio::null()).kill_on_drop(true).spawn()?)
}

/// The running deployment.
pub struct Cluster {
    pub prefix: String,
    pub database: String,
    pub database_url: String,
    pub nats_url: String,
    pub redis_url: String,
    pub nats: Proc,
    pub redis: Proc,
    pub workers: Vec<Proc>,
    pub gateways: Vec<Proc>,
    admin_url: String,
    http: reqwest::Client,
}

/// Where the chaos harness finds things.
#[derive(Clone, Debug)]
pub struct Setup {
    pub bin_dir: PathBuf,
    pub logs: PathBuf,
    pub postgres: String,
    pub workers: usize,
    pub gateways: usize,
    pub worker_args: Vec<String>,
    /// Keep the gateways' default quotas (the hostile run) instead of loosening the
    /// per-address ones for a fleet whose players all come from 127.0.0.1.
    pub default_quotas: bool,
}

fn find(name: &str) -> anyhow::Result<PathBuf> {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!("`{name}` is not installed (Debian package: {name})")
}

impl Cluster {
    pub async fn start(setup: &Setup, scenario: &str) -> anyhow::Result<Self> {
        let logs = setup.logs.join(scenario);
        std::fs::create_dir_all(&logs)?;
        let prefix = format!("chaos{:08x}", rand::random::<u32>());
        let (nats_port, redis_port) = (free_port()?, free_port()?);
        let nats_dir = logs.join("nats-store");
        let nats = Proc::spawn(
            "nats",
            find("nats-server")?,
            ["-a", "127.0.0.1", "-p", &nats_port.to_string(), "-js", "-sd", &nats_dir.display().to_string()].map(String::from).to_vec(),
            (nats_port, nats_port),
            &logs,
        )
        .await?;
        let redis = Proc::spawn(
            "redis",
            find("redis-server")?,
            ["--bind", "127.0.0.1", "--port", &redis_port.to_string(), "--save", "", "--appendonly", "no"].map(String::from).to_vec(),
            (redis_port, redis_port),
            &logs,
        )
        .await?;
        wait_port(nats_port).await?;
        wait_port(redis_port).await?;

        let admin_url = format!("{}/postgres", setup.postgres);
        let database = format!("orrery_{prefix}");
        let admin = sqlx::PgPool::connect(&admin_url).await.context("PostgreSQL must be running")?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}"))).execute(&admin).await?;
        admin.close().await;

        let mut cluster = Cluster {
            database_url: format!("{}/{database}", setup.postgres),
            nats_url: format!("nats://127.0.0.1:{nats_port}"),
            redis_url: format!("redis://127.0.0.1:{redis_port}"),
            prefix,
            database,
            nats,
            redis,
            workers: Vec::new(),
            gateways: Vec::new(),
            admin_url,
            http: reqwest::Client::new(),
        };
        std::fs::write(logs.join("jwt-secret"), SECRET)?;
        let common = |c: &Cluster| {
            vec![
                "--nats-url".to_string(),
                c.nats_url.clone(),
                "--redis-url".into(),
                c.redis_url.clone(),
                "--database-url".into(),
                c.database_url.clone(),
                "--prefix".into(),
                c.prefix.clone(),
                "--log".into(),
                "info".into(),
            ]
        };
        for i in 0..setup.workers {
            let port = free_port()?;
            let mut args = common(&cluster);
            args.extend(["--ops-listen".into(), format!("127.0.0.1:{port}"), "--worker-id".into(), format!("worker-{i}")]);
            args.extend(setup.worker_args.iter().cloned());
            cluster
                .workers
                .push(Proc::spawn(&format!("worker-{i}"), setup.bin_dir.join("orrery-worker"), args, (port, port), &logs).await?);
        }
        for i in 0..setup.gateways {
            let (port, ops_port) = (free_port()?, free_port()?);
            let mut args = common(&cluster);
            args.extend(["--listen".into(), format!("127.0.0.1:{port}"), "--ops-listen".into(), format!("127.0.0.1:{ops_port}")]);
            args.extend(["--jwt-secret-file".into(), logs.join("jwt-secret").display().to_string()]);
            // Every player of the run comes from 127.0.0.1.
            if !setup.default_quotas {
                args.extend(LOOSE_QUOTAS.map(String::from));
            }
            let program = setup.bin_dir.join("orrery-gateway");
            cluster.gateways.push(Proc::spawn(&format!("gateway-{i}"), program, args, (port, ops_port), &logs).await?);
        }
        for p in cluster.workers.iter().chain(&cluster.gateways) {
            cluster.wait_ready(p.port, &p.name).await?;
        }
        Ok(cluster)
    }

    async fn wait_ready(&self, port: u16, name: &str) -> anyhow::Result<()> {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = self.http.get(format!("http://127.0.0.1:{port}/readyz")).send().await.is_ok_and(|r| r.status().is_success());
            if ok {
                return Ok(());
            }
            if Instant::now() > until {
                bail!("{name} not ready after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The `/metrics` text of a worker's or gateway's ops port.
    pub async fn metrics(&self, port: u16) -> anyhow::Result<String> {
        Ok(self.http.get(format!("http://127.0.0.1:{port}/metrics")).timeout(Duration::from_secs(2)).send().await?.text().await?)
    }

    pub fn gateway_urls(&self) -> Vec<String> {
        self.gateways.iter().map(|g| format!("http://127.0.0.1:{}", g.port)).collect()
    }

    /// Stop everything and drop the database.
    pub async fn teardown(mut self) {
        for p in self.gateways.iter_mut().chain(self.workers.iter_mut()) {
            p.stop(Duration::from_secs(8)).await;
        }
        self.nats.stop(Duration::from_secs(2)).await;
        self.redis.stop(Duration::from_secs(2)).await;
        if let Ok(admin) = sqlx::PgPool::connect(&self.admin_url).await {
            let _ =
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database))).execute(&admin).await;
        }
    }
}

async fn wait_port(port: u16) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if Instant::now() > until {
            bail!("nothing listens on 127.0.0.1:{port}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// The value of an unlabelled metric in Prometheus text.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok()))
}
