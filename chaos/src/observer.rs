//! What the harness watches while a scenario runs: every frame every owner publishes
//! (straight from NATS, before any gateway filters it), and, every 100 ms, the epoch and
//! committed (epoch, tick) of every room in PostgreSQL and Redis — so a value that ever
//! goes down is caught when it happens, not guessed at afterwards.

use futures::StreamExt;
use orrery_common::names::Names;
use orrery_common::protocol::decode;
use orrery_common::protocol::internal::StateFrame;
use orrery_common::{Epoch, RoomId, Tick};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A frame as published.
#[derive(Clone, Copy, Debug)]
pub struct Seen {
    pub epoch: Epoch,
    pub tick: Tick,
    pub at: Instant,
}

/// Frames per room, in arrival order.
pub type Timeline = HashMap<RoomId, Vec<Seen>>;

/// The running watchers.
pub struct Observer {
    timeline: Arc<Mutex<Timeline>>,
    violations: Arc<Mutex<Vec<String>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Observer {
    pub async fn start(nats_url: &str, redis_url: &str, database_url: &str, prefix: &str) -> anyhow::Result<Self> {
        let timeline: Arc<Mutex<Timeline>> = Default::default();
        let violations: Arc<Mutex<Vec<String>>> = Default::default();
        let nats = async_nats::ConnectOptions::new().max_reconnects(None).connect(nats_url).await?;
        let mut frames = nats.subscribe(Names::new(prefix).all_room_states()).await?;
        let t = timeline.clone();
        let watch_frames = tokio::spawn(async move {
            let _keep = nats;
            while let Some(msg) = frames.next().await {
                if let Ok(f) = decode::<StateFrame>(&msg.payload) {
                    t.lock().unwrap().entry(f.room).or_default().push(Seen { epoch: f.epoch, tick: f.tick, at: Instant::now() });
                }
            }
        });
        let pg = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(database_url).await?;
        let redis = redis::aio::ConnectionManager::new(redis::Client::open(redis_url)?).await?;
        let sampler = tokio::spawn(sample(pg, redis, prefix.to_owned(), violations.clone()));
        Ok(Self { timeline, violations, tasks: vec![watch_frames, sampler] })
    }

    /// A copy of what was seen so far.
    pub fn timeline(&self) -> Timeline {
        self.timeline.lock().unwrap().clone()
    }

    /// Monotonicity violations found so far.
    pub fn violations(&self) -> Vec<String> {
        self.violations.lock().unwrap().clone()
    }

    pub fn stop(self) -> (Timeline, Vec<String>) {
        for t in &self.tasks {
            t.abort();
        }
        (self.timeline(), self.violations())
    }
}

/// Every 100 ms: rooms.epoch, the durable (epoch, tick) and the hot (epoch, tick) of every
/// room must never go down.
async fn sample(pg: sqlx::PgPool, mut redis: redis::aio::ConnectionManager, prefix: String, violations: Arc<Mutex<Vec<String>>>) {
    let names = Names::new(&prefix);
    let mut seen: BTreeMap<(RoomId, &'static str), (u64, u64)> = BTreeMap::new();
    let mut check = |room: RoomId, what: &'static str, now: (u64, u64)| {
        let last = seen.entry((room, what)).or_insert(now);
        if now < *last {
            violations.lock().unwrap().push(format!("room {room}: {what} went down from {last:?} to {now:?}"));
        }
        *last = now.max(*last);
    };
    let mut every = tokio::time::interval(Duration::from_millis(100));
    loop {
        every.tick().await;
        let rows: Vec<(i64, i64, Option<i64>, Option<i64>)> =
            match sqlx::query_as("SELECT r.id, r.epoch, s.epoch, s.tick FROM rooms r LEFT JOIN room_snapshots s ON s.room = r.id")
                .fetch_all(&pg)
                .await
            {
                Ok(rows) => rows,
                Err(_) => continue,
            };
        let mut pipe = redis::pipe();
        for (id, ..) in &rows {
            pipe.cmd("HMGET").arg(names.hot_snapshot(RoomId(*id as u64))).arg("epoch").arg("tick");
        }
        let hot: Vec<(Option<u64>, Option<u64>)> = pipe.query_async(&mut redis).await.unwrap_or_default();
        for (i, (id, epoch, s_epoch, s_tick)) in rows.iter().enumerate() {
            let room = RoomId(*id as u64);
            check(room, "rooms.epoch", (*epoch as u64, 0));
            if let (Some(e), Some(t)) = (s_epoch, s_tick) {
                check(room, "durable (epoch, tick)", (*e as u64, *t as u64));
            }
            // A hot snapshot that vanished (Redis restarted) is not a decrease; a smaller one is.
            if let Some((Some(e), Some(t))) = hot.get(i) {
                check(room, "hot (epoch, tick)", (*e, *t));
            }
        }
    }
}
