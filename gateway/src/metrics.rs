//! The gateway's Prometheus metrics (`orrery_gateway_*`).

use crate::error::SessionEnd;
use orrery_common::auth::AuthError;
use orrery_common::telemetry::{counter, counter_vec_zeroed, gauge, seconds_histogram, seconds_histogram_with};
use prometheus::{Histogram, IntCounter, IntCounterVec, IntGauge, Registry};

/// Finer than the common buckets: the pipeline's targets are 250 µs (p50) and 1 ms (p99).
pub const PIPELINE_BUCKETS: &[f64] = &[
    0.000025, 0.00005, 0.000075, 0.0001, 0.00015, 0.0002, 0.00025, 0.0003, 0.0004, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005,
    0.01, 0.025, 0.05, 0.1,
];

/// The `reason` of a refusal for a foreign `Origin`.
pub const REFUSED_ORIGIN: &str = "origin";
/// The `reason` of a refusal for a missing `orrery.v1` subprotocol.
pub const REFUSED_SUBPROTOCOL: &str = "subprotocol";
/// Every reason a frame is dropped.
pub const DROP_REASONS: [&str; 2] = ["gap", "slow_consumer"];

/// Every `reason` of `orrery_gateway_auth_failures_total`: the token's, then the upgrade's own.
pub fn auth_failure_reasons() -> Vec<&'static str> {
    AuthError::ALL.iter().map(AuthError::reason).chain([REFUSED_ORIGIN, REFUSED_SUBPROTOCOL]).collect()
}

/// Every metric the gateway exports. Labelled counters start with every known label value
/// at 0, so a fresh gateway's dashboards show 0 rather than "No data".
#[derive(Clone, Debug)]
pub struct Metrics {
    pub connections_open: IntGauge,
    pub connects: IntCounter,
    pub disconnects: IntCounterVec,
    pub auth_failures: IntCounterVec,
    pub messages_in: IntCounter,
    pub bytes_in: IntCounter,
    pub messages_out: IntCounter,
    pub bytes_out: IntCounter,
    pub frames_dropped: IntCounterVec,
    pub stale_epoch_frames: IntCounter,
    pub unconfirmed_epoch_frames: IntCounter,
    pub epoch_checks: IntCounter,
    pub room_subscriptions: IntGauge,
    pub joins: IntCounter,
    pub resumes: IntCounter,
    pub resyncs: IntCounter,
    pub join_duration: Histogram,
    pub resume_duration: Histogram,
    pub input_pipeline: Histogram,
    pub fanout: Histogram,
    pub quota_refusals: IntCounterVec,
}

impl Metrics {
    pub fn new(r: &Registry) -> Self {
        let disconnect_reasons: Vec<&str> = SessionEnd::ALL.iter().map(|e| e.label()).collect();
        Self {
            connections_open: gauge(r, "orrery_gateway_connections_open", "Open WebSocket connections."),
            connects: counter(r, "orrery_gateway_connects_total", "WebSocket connections accepted."),
            disconnects: counter_vec_zeroed(
                r,
                "orrery_gateway_disconnects_total",
                "WebSocket connections ended, by close reason.",
                "reason",
                &disconnect_reasons,
            ),
            auth_failures: counter_vec_zeroed(
                r,
                "orrery_gateway_auth_failures_total",
                "Requests refused before the upgrade, by reason.",
                "reason",
                &auth_failure_reasons(),
            ),
            messages_in: counter(r, "orrery_gateway_messages_in_total", "Messages received from clients."),
            bytes_in: counter(r, "orrery_gateway_bytes_in_total", "Bytes received from clients."),
            messages_out: counter(r, "orrery_gateway_messages_out_total", "Messages sent to clients."),
            bytes_out: counter(r, "orrery_gateway_bytes_out_total", "Bytes sent to clients."),
            frames_dropped: counter_vec_zeroed(
                r,
                "orrery_gateway_frames_dropped_total",
                "Frames not sent to a client, by reason.",
                "reason",
                &DROP_REASONS,
            ),
            stale_epoch_frames: counter(
                r,
                "orrery_gateway_stale_epoch_frames_total",
                "Frames dropped because a newer epoch of their room was seen.",
            ),
            unconfirmed_epoch_frames: counter(
                r,
                "orrery_gateway_unconfirmed_epoch_frames_total",
                "Frames held back because their epoch was newer than the room's confirmed one (a new owner, or forged).",
            ),
            epoch_checks: counter(
                r,
                "orrery_gateway_epoch_checks_total",
                "Reads of a room's epoch from PostgreSQL, to confirm or refuse a newer epoch seen in a frame.",
            ),
            room_subscriptions: gauge(r, "orrery_gateway_room_subscriptions", "Rooms this gateway is subscribed to."),
            joins: counter(r, "orrery_gateway_joins_total", "Room joins completed."),
            resumes: counter(r, "orrery_gateway_resumes_total", "Joins that resumed a previous session (reconnects)."),
            resyncs: counter(r, "orrery_gateway_resyncs_total", "Keyframes fetched to repair a gap."),
            join_duration: seconds_histogram(r, "orrery_gateway_join_duration_seconds", "Time from a join request to the keyframe sent."),
            resume_duration: seconds_histogram(
                r,
                "orrery_gateway_resume_duration_seconds",
                "Time from a resuming join (a reconnect) to the keyframe sent.",
            ),
            input_pipeline: seconds_histogram_with(
                r,
                "orrery_gateway_input_pipeline_seconds",
                "Time from reading a client's input to writing the frame that acknowledges it, \
                 minus the input's wait in the owner for its tick.",
                PIPELINE_BUCKETS,
            ),
            fanout: seconds_histogram(
                r,
                "orrery_gateway_fanout_seconds",
                "Time from the gateway having a frame (from NATS, or a join's keyframe) to writing it to a socket.",
            ),
            quota_refusals: counter_vec_zeroed(
                r,
                "orrery_gateway_quota_refusals_total",
                "Requests refused (429) or sockets closed for being over a quota, by quota.",
                "quota",
                &crate::quota::ALL,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a fresh gateway's `/metrics` says.
    fn fresh_exposition() -> String {
        let registry = Registry::new();
        let _metrics = Metrics::new(&registry);
        prometheus::TextEncoder::new().encode_to_string(&registry.gather()).unwrap()
    }

    #[test]
    fn a_fresh_gateway_exports_every_labelled_series_at_zero() {
        let text = fresh_exposition();
        let mut expected = Vec::new();
        for reason in auth_failure_reasons() {
            expected.push(format!("orrery_gateway_auth_failures_total{{reason=\"{reason}\"}} 0"));
        }
        for end in SessionEnd::ALL {
            expected.push(format!("orrery_gateway_disconnects_total{{reason=\"{}\"}} 0", end.label()));
        }
        for reason in DROP_REASONS {
            expected.push(format!("orrery_gateway_frames_dropped_total{{reason=\"{reason}\"}} 0"));
        }
        for quota in crate::quota::ALL {
            expected.push(format!("orrery_gateway_quota_refusals_total{{quota=\"{quota}\"}} 0"));
        }
        let missing: Vec<&String> = expected.iter().filter(|line| !text.lines().any(|l| l == line.as_str())).collect();
        assert!(missing.is_empty(), "missing from a fresh /metrics: {missing:?}");
    }

    #[test]
    fn the_reason_lists_name_each_reason_once() {
        for list in [auth_failure_reasons(), SessionEnd::ALL.iter().map(|e| e.label()).collect()] {
            let mut sorted = list.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len(), "{list:?}");
        }
    }
}
