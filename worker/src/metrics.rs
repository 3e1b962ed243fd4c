//! The worker's Prometheus metrics (`orrery_worker_*`).

use orrery_common::telemetry::{counter, counter_vec_zeroed, gauge, seconds_histogram, seconds_histogram_with};
use prometheus::{Histogram, IntCounter, IntCounterVec, IntGauge, Registry};

/// Every `quota` of `orrery_worker_quota_refusals_total`.
pub const QUOTAS: [&str; 1] = ["persisted_events"];

/// Buckets of a retention pass (10 ms to 10 minutes).
const PASS_BUCKETS: &[f64] = &[0.01, 0.05, 0.25, 1.0, 5.0, 30.0, 120.0, 600.0];

/// Every metric the worker exports.
#[derive(Clone, Debug)]
pub struct Metrics {
    pub tick_duration: Histogram,
    pub tick_lateness: Histogram,
    pub tick_overruns: IntCounter,
    pub rooms_owned: IntGauge,
    pub leases_acquired: IntCounter,
    pub leases_renewed: IntCounter,
    pub leases_lost: IntCounter,
    pub leases_expired_by_deadline: IntCounter,
    pub leases_released: IntCounter,
    pub rooms_closed: IntCounter,
    pub failovers: IntCounter,
    pub restore_duration: Histogram,
    pub snapshot_duration: Histogram,
    pub snapshot_bytes: IntCounter,
    pub durable_coalesced: IntCounter,
    pub hot_batches: IntCounter,
    pub hot_skipped: IntCounter,
    pub durable_in_flight: IntGauge,
    pub fenced_writes: IntCounter,
    pub frames_published: IntCounter,
    pub frame_bytes: IntCounter,
    pub inputs_applied: IntCounter,
    pub inputs_rejected: IntCounter,
    pub shed_refused: IntCounter,
    pub quota_refusals: IntCounterVec,
    pub retention_deleted: IntCounterVec,
    pub retention_pass_duration: Histogram,
}

impl Metrics {
    pub fn new(r: &Registry) -> Self {
        Self {
            tick_duration: seconds_histogram(r, "orrery_worker_tick_duration_seconds", "Time to step a room and publish its frame."),
            tick_lateness: seconds_histogram(r, "orrery_worker_tick_lateness_seconds", "How late a tick started against its schedule."),
            tick_overruns: counter(r, "orrery_worker_tick_overruns_total", "Ticks skipped because a room fell too far behind."),
            rooms_owned: gauge(r, "orrery_worker_rooms_owned", "Rooms this worker owns."),
            leases_acquired: counter(r, "orrery_worker_leases_acquired_total", "Room leases acquired."),
            leases_renewed: counter(r, "orrery_worker_leases_renewed_total", "Room leases renewed."),
            leases_lost: counter(r, "orrery_worker_leases_lost_total", "Room leases lost (renewal refused or write fenced)."),
            leases_expired_by_deadline: counter(
                r,
                "orrery_worker_leases_expired_by_deadline_total",
                "Rooms stopped because their local lease deadline passed without a renewal.",
            ),
            leases_released: counter(r, "orrery_worker_leases_released_total", "Room leases released on drain or close."),
            rooms_closed: counter(r, "orrery_worker_rooms_closed_total", "Rooms closed after their match ended."),
            failovers: counter(r, "orrery_worker_failovers_total", "Rooms claimed that had a previous owner."),
            restore_duration: seconds_histogram(
                r,
                "orrery_worker_restore_duration_seconds",
                "Time from lease to first tick of a claimed room.",
            ),
            snapshot_duration: seconds_histogram(r, "orrery_worker_snapshot_duration_seconds", "Time to write a snapshot."),
            snapshot_bytes: counter(r, "orrery_worker_snapshot_bytes_total", "Bytes of snapshots written."),
            hot_batches: counter(
                r,
                "orrery_worker_hot_snapshot_batches_total",
                "Redis round trips that wrote hot snapshots (one pipeline for every room due at once).",
            ),
            hot_skipped: counter(
                r,
                "orrery_worker_hot_snapshots_skipped_total",
                "Hot snapshots not written because nothing but the tick changed since the last one.",
            ),
            durable_coalesced: counter(
                r,
                "orrery_worker_durable_snapshots_coalesced_total",
                "Durable snapshots replaced by a newer one of the same room before they were written (PostgreSQL slower than the durable period).",
            ),
            durable_in_flight: gauge(
                r,
                "orrery_worker_durable_writes_in_flight",
                "Durable snapshot writes under way (one per room at most).",
            ),
            fenced_writes: counter(r, "orrery_worker_fenced_writes_total", "Snapshot writes refused because a newer epoch owns the room."),
            frames_published: counter(r, "orrery_worker_frames_published_total", "State frames published."),
            frame_bytes: counter(r, "orrery_worker_frame_bytes_total", "Bytes of state frames published."),
            inputs_applied: counter(r, "orrery_worker_inputs_applied_total", "Player inputs applied."),
            inputs_rejected: counter(r, "orrery_worker_inputs_rejected_total", "Player inputs rejected (stale sequence or invalid)."),
            shed_refused: counter(r, "orrery_worker_shed_refused_total", "`POST /v1/shed` calls refused for a missing or wrong secret."),
            quota_refusals: counter_vec_zeroed(
                r,
                "orrery_worker_quota_refusals_total",
                "Things a player did beyond a quota (not persisted), by quota.",
                "quota",
                &QUOTAS,
            ),
            retention_deleted: counter_vec_zeroed(
                r,
                "orrery_worker_retention_deleted_total",
                "Rows the retention job deleted, by table.",
                "table",
                &crate::retention::sweep::Table::ALL.map(|t| t.name()),
            ),
            retention_pass_duration: seconds_histogram_with(
                r,
                "orrery_worker_retention_pass_seconds",
                "Time a retention pass took (passes another worker ran are not counted).",
                PASS_BUCKETS,
            ),
        }
    }
}
