//! Retention: periodically delete the rows closed rooms leave behind (`match_events`,
//! `room_bans`, then the `rooms` rows themselves), so the tables stop growing forever.
//!
//! Every worker runs [`retention_loop`], but a pass first takes a PostgreSQL advisory lock
//! ([`lock`]): of N workers one deletes at a time, the others skip that period. Deletes are
//! bounded ([`sweep`]): at most `--retention-batch` rows per statement, each its own
//! transaction. Nothing of a room that is open (status other than `closed`) or owned is
//! touched, and rooms with `match_results` are kept: the leaderboard is summed from them
//! (their events, bans and the rest still go). Metrics:
//! `orrery_worker_retention_deleted_total{table}`, `orrery_worker_retention_pass_seconds`.

pub mod lock;
pub mod sweep;

use crate::metrics::Metrics;
use lock::PassLock;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use sweep::{Swept, Table};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// The retention flags.
#[derive(clap::Args, Clone, Debug)]
pub struct RetentionArgs {
    /// Seconds between retention passes (one worker runs a pass at a time); 0 turns retention off.
    #[arg(long, env = "ORRERY_RETENTION_EVERY_SECS", default_value_t = RetentionArgs::default().retention_every_secs)]
    pub retention_every_secs: u64,
    /// Days after a room closed that its `match_events` are deleted.
    #[arg(long, env = "ORRERY_RETAIN_EVENTS_DAYS", default_value_t = RetentionArgs::default().retain_events_days)]
    pub retain_events_days: u32,
    /// Days after a room closed that its `room_bans` are deleted (a ban only matters while the room is open).
    #[arg(long, env = "ORRERY_RETAIN_BANS_DAYS", default_value_t = RetentionArgs::default().retain_bans_days)]
    pub retain_bans_days: u32,
    /// Days after a room closed that its `rooms` row (and snapshot) is deleted, unless it has
    /// match results (those rooms are kept: the leaderboard is built from them). A room's
    /// events and bans never outlive this.
    #[arg(long, env = "ORRERY_RETAIN_ROOMS_DAYS", default_value_t = RetentionArgs::default().retain_rooms_days)]
    pub retain_rooms_days: u32,
    /// Most rows one retention DELETE removes (each its own short transaction).
    #[arg(long, env = "ORRERY_RETENTION_BATCH", default_value_t = RetentionArgs::default().retention_batch)]
    pub retention_batch: u32,
}

impl Default for RetentionArgs {
    fn default() -> Self {
        Self { retention_every_secs: 3600, retain_events_days: 30, retain_bans_days: 90, retain_rooms_days: 90, retention_batch: 1000 }
    }
}

impl RetentionArgs {
    /// The period between passes; `None`: retention is off.
    pub fn every(&self) -> Option<Duration> {
        (self.retention_every_secs > 0).then(|| Duration::from_secs(self.retention_every_secs))
    }

    /// Days after a room closed that `table`'s rows of it go: a room's events and bans go
    /// no later than the room (so deleting a room never cascades into many rows).
    pub fn days(&self, table: Table) -> u32 {
        match table {
            Table::MatchEvents => self.retain_events_days.min(self.retain_rooms_days),
            Table::RoomBans => self.retain_bans_days.min(self.retain_rooms_days),
            Table::Rooms => self.retain_rooms_days,
        }
    }
}

/// Why a pass failed (the next period tries again).
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("retention pass failed: {0}")]
    Db(#[from] sqlx::Error),
}

/// What a pass did.
#[derive(Debug)]
pub enum Pass {
    /// Another worker holds the retention lock: nothing was deleted.
    Skipped,
    /// The pass ran: rows deleted per table, in [`Table::ALL`] order.
    Done { swept: Vec<(Table, Swept)>, elapsed: Duration },
}

impl Pass {
    /// Rows deleted from `table` (0 when skipped).
    pub fn deleted(&self, table: Table) -> u64 {
        match self {
            Pass::Skipped => 0,
            Pass::Done { swept, .. } => swept.iter().filter(|(t, _)| *t == table).map(|(_, s)| s.rows).sum(),
        }
    }
}

/// The retention job of one worker.
pub struct Retention {
    pg: PgPool,
    args: RetentionArgs,
    metrics: Metrics,
}

impl Retention {
    pub fn new(pg: PgPool, args: RetentionArgs, metrics: Metrics) -> Self {
        Self { pg, args, metrics }
    }

    /// One pass, if no other worker is running one. Stops between statements once `stop`
    /// is cancelled.
    pub async fn run_pass(&self, stop: &CancellationToken) -> Result<Pass, RetentionError> {
        let Some(mut lock) = PassLock::try_acquire(&self.pg).await? else {
            return Ok(Pass::Skipped);
        };
        let started = Instant::now();
        let mut swept = Vec::with_capacity(Table::ALL.len());
        for table in Table::ALL {
            let counter = self.metrics.retention_deleted.with_label_values(&[table.name()]);
            let done = sweep::sweep(
                lock.conn(),
                table,
                self.args.days(table),
                self.args.retention_batch,
                |n| counter.inc_by(n),
                || stop.is_cancelled(),
            )
            .await?;
            swept.push((table, done));
        }
        lock.release().await?;
        let elapsed = started.elapsed();
        self.metrics.retention_pass_duration.observe(elapsed.as_secs_f64());
        Ok(Pass::Done { swept, elapsed })
    }
}

/// Run a pass every period until `stop` is cancelled (the first one at start).
pub async fn retention_loop(retention: Retention, stop: CancellationToken) {
    let Some(every) = retention.args.every() else {
        info!("retention is off (--retention-every-secs 0)");
        return;
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        match retention.run_pass(&stop).await {
            Ok(pass) => log_pass(&pass),
            Err(e) => warn!(error = %e, "retention pass failed; the next period tries again"),
        }
    }
}

/// The log line of a pass.
fn log_pass(pass: &Pass) {
    let Pass::Done { swept, elapsed } = pass else {
        debug!("retention pass skipped: another worker is running one");
        return;
    };
    info!(
        match_events = pass.deleted(Table::MatchEvents),
        room_bans = pass.deleted(Table::RoomBans),
        rooms = pass.deleted(Table::Rooms),
        statements = swept.iter().map(|(_, s)| s.statements).sum::<u64>(),
        seconds = elapsed.as_secs_f64(),
        "retention pass done"
    );
}
