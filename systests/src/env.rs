//! A private Orrery per test: its own NATS subject prefix, Redis key prefix and
//! PostgreSQL database, with gateways and workers running in this process against the
//! real services, each on a port-0 listener.
//!
//! Everything is torn down by dropping: a [`GatewayHandle`] or [`WorkerHandle`] stops its
//! server, and [`Env`] deletes its Redis keys and drops its database when the test passed.
//! A failed test keeps both for inspection and prints where they are. NATS keeps nothing
//! for a prefix once its subscribers are gone.

use orrery_client::Connection;
use orrery_client::http::Api;
use orrery_common::RoomId;
use orrery_common::names::Names;
use orrery_gateway::Gateway;
use orrery_worker::Worker;
use orrery_worker::owned_rooms::OwnedRooms;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SECRET: &str = "test-secret-test-secret-test-secret";
/// Gateway quotas for tests, where every client has the same address and many players
/// are made in a burst (a test of a quota sets its own).
pub const RELAXED_QUOTAS: [(&str, &str); 8] = [
    ("--quota-guest-token-burst", "100000"),
    ("--quota-guest-tokens-per-minute", "100000"),
    ("--quota-room-burst", "100000"),
    ("--quota-rooms-per-minute", "100000"),
    ("--quota-live-rooms", "100000"),
    ("--quota-kick-burst", "100000"),
    ("--quota-invite-lookup-burst", "100000"),
    ("--quota-sockets-per-address", "100000"),
];

/// The bearer secret of the test workers' `POST /v1/shed`.
pub const SHED_SECRET: &str = "test-shed-secret-0123456789";

fn service_url(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// One isolated deployment; torn down when dropped (declare it first in a test, so the
/// servers it started drop before it).
pub struct Env {
    pub prefix: String,
    pub database: String,
    pub database_url: String,
    pub nats_url: String,
    pub redis_url: String,
    admin_url: String,
    pub dir: PathBuf,
}

impl Env {
    pub async fn new() -> Env {
        let prefix = format!("t{:016x}", rand::random::<u64>());
        let pg = service_url("ORRERY_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432");
        let admin_url = format!("{pg}/postgres");
        let database = format!("orrery_{prefix}");
        let admin = sqlx::PgPool::connect(&admin_url).await.expect("PostgreSQL must be running (cargo xtask test starts it)");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}"))).execute(&admin).await.expect("create test database");
        admin.close().await;
        let dir = std::env::temp_dir().join(&prefix);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("jwt-secret"), SECRET).unwrap();
        Env {
            database_url: format!("{pg}/{database}"),
            database,
            nats_url: service_url("ORRERY_TEST_NATS", "nats://127.0.0.1:4222"),
            redis_url: service_url("ORRERY_TEST_REDIS", "redis://127.0.0.1:6379"),
            admin_url,
            prefix,
            dir,
        }
    }

    /// This test's NATS subjects and Redis keys.
    pub fn names(&self) -> Names {
        Names::new(&self.prefix)
    }

    /// Flags every binary shares: where the services are, and this test's prefix.
    pub fn service_args(&self) -> Vec<String> {
        [
            "--nats-url",
            &self.nats_url,
            "--redis-url",
            &self.redis_url,
            "--database-url",
            &self.database_url,
            "--prefix",
            &self.prefix,
            "--log",
            "warn",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// A gateway with the test secret and any extra flags.
    pub async fn gateway_with(&self, extra: &[&str]) -> GatewayHandle {
        let mut args = vec!["orrery-gateway".to_string()];
        args.extend(self.service_args());
        if !extra.contains(&"--jwt-public-key-file") {
            args.extend(["--jwt-secret-file".to_string(), self.dir.join("jwt-secret").display().to_string()]);
        }
        // Every test client comes from 127.0.0.1: quotas are generous unless a test sets one.
        for (flag, value) in RELAXED_QUOTAS {
            if !extra.contains(&flag) {
                args.extend([flag.to_string(), value.to_string()]);
            }
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let config = <orrery_gateway::config::Config as clap::Parser>::try_parse_from(args).expect("valid gateway flags");
        let gateway = Gateway::connect(config).await.expect("gateway connects");
        let public = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ops_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (addr, ops) = (public.local_addr().unwrap(), ops_listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            gateway
                .run(orrery_gateway::Listeners { public, ops: ops_listener }, async {
                    let _ = stopped.await;
                })
                .await
                .expect("gateway runs");
        });
        GatewayHandle { addr, ops, stop: Some(stop), task }
    }

    pub async fn gateway(&self) -> GatewayHandle {
        self.gateway_with(&[]).await
    }

    /// A worker with this test's prefix and any extra flags.
    pub async fn worker_with(&self, extra: &[&str]) -> WorkerHandle {
        self.worker_of(Arc::new(orrery_arena::ArenaFactory), extra).await
    }

    /// A worker running rooms of `factory`'s game (the arena's otherwise), with any extra flags.
    pub async fn worker_of(&self, factory: Arc<dyn orrery_common::game::GameFactory>, extra: &[&str]) -> WorkerHandle {
        let mut args = vec!["orrery-worker".to_string()];
        args.extend(self.service_args());
        args.extend(["--shed-token".to_string(), SHED_SECRET.to_string()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let config = <orrery_worker::config::Config as clap::Parser>::try_parse_from(args).expect("valid worker flags");
        let worker = Worker::connect(&config, factory).await.expect("worker connects");
        let id = worker.id().to_owned();
        let owned = worker.owned();
        let worker_lease = worker.worker_lease();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ops = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            worker
                .run(listener, async {
                    let _ = stopped.await;
                })
                .await
                .expect("worker runs");
        });
        WorkerHandle { id, owned, worker_lease, ops, stop: Some(stop), task }
    }

    pub async fn worker(&self) -> WorkerHandle {
        self.worker_with(&[]).await
    }

    /// Delete this test's Redis keys and drop its database and files (best effort).
    async fn tear_down(&self) {
        if let Ok(admin) = sqlx::PgPool::connect(&self.admin_url).await {
            let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database);
            let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&admin).await;
            admin.close().await;
        }
        if let Ok(mut redis) = orrery_common::services::connect_redis(&self.redis_url, None).await {
            let keys: Vec<String> = redis::cmd("KEYS").arg(self.names().all_keys()).query_async(&mut redis).await.unwrap_or_default();
            if !keys.is_empty() {
                let _: redis::RedisResult<()> = redis::cmd("DEL").arg(&keys).query_async(&mut redis).await;
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "{} failed: kept its database {} ({}) and its Redis keys {} for inspection",
                std::thread::current().name().unwrap_or("the test"),
                self.database,
                self.database_url,
                self.names().all_keys()
            );
            return;
        }
        // Drop runs inside the test's runtime, which cannot be blocked on: tear down on a
        // thread of its own with a runtime of its own, and wait for it.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime for the teardown");
                runtime.block_on(self.tear_down());
            });
        });
    }
}

pub struct GatewayHandle {
    /// The public API and WebSocket.
    pub addr: SocketAddr,
    /// `/metrics`, `/healthz`, `/readyz`.
    pub ops: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<()>,
}

impl GatewayHandle {
    pub fn api(&self) -> Api {
        Api::new(format!("http://{}", self.addr))
    }

    pub fn ws_url(&self) -> String {
        self.api().ws_url()
    }

    /// A guest connected through this gateway.
    pub async fn guest(&self, name: &str) -> Connection {
        let token = self.api().guest(Some(name)).await.expect("guest token").token;
        Connection::connect(&self.ws_url(), &token).await.expect("connects")
    }

    /// Create a room with the given JSON settings.
    pub async fn room(&self, settings: serde_json::Value) -> RoomId {
        let token = self.api().guest(Some("host")).await.unwrap().token;
        self.api().create_room(&token, settings).await.expect("room created")
    }

    /// Drain and stop.
    pub async fn stop(mut self) {
        self.begin_stop();
        let _ = (&mut self.task).await;
    }

    /// Start draining without waiting for it.
    pub fn begin_stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub struct WorkerHandle {
    pub id: String,
    pub owned: Arc<OwnedRooms>,
    /// The lease its sleeping rooms hold theirs through.
    pub worker_lease: Arc<orrery_worker::worker_lease::WorkerLease>,
    pub ops: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Drain and stop.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// A gateway whose handle drops stops at once, without draining.
impl Drop for GatewayHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A worker whose handle drops stops at once, without draining or releasing its leases.
impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Wait until `check` holds, polling, or panic with `what` after `secs`.
pub async fn eventually<F: FnMut() -> bool>(secs: u64, what: &str, mut check: F) {
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !check() {
        assert!(tokio::time::Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The first event `pick` accepts, within 5 s; panics naming `what` otherwise (or when the
/// socket fails underneath).
pub async fn next_event_where<T>(conn: &mut Connection, what: &str, mut pick: impl FnMut(orrery_client::Event) -> Option<T>) -> T {
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let event = tokio::time::timeout_at(until, conn.next_event())
            .await
            .unwrap_or_else(|_| panic!("no {what} within 5 s"))
            .unwrap_or_else(|e| panic!("the socket failed while waiting for {what}: {e}"));
        if let Some(found) = pick(event) {
            return found;
        }
    }
}

/// The value of an unlabelled sample (`name value`) on a server's `/metrics` (a gateway's
/// or a worker's ops address); 0 when absent. Panics when `addr` serves no `/metrics`, so
/// a test that reads the wrong port fails instead of reading zeros.
pub async fn metric(addr: SocketAddr, name: &str) -> f64 {
    let resp = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
    assert!(resp.status().is_success(), "{addr} answers /metrics with {} (metrics are on the ops listener)", resp.status());
    let text = resp.text().await.unwrap();
    let key = format!("{name} ");
    text.lines().find_map(|l| l.strip_prefix(&key)).map_or(0.0, |v| v.trim().parse().expect("a number"))
}
