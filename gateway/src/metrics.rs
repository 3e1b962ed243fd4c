//! The gateway's Prometheus metrics (`orrery_gateway_*`).

use orrery_common::telemetry::{counter, counter_vec, gauge, seconds_histogram, seconds_histogram_with};
use prometheus::{Histogram, IntCounter, IntCounterVec, IntGauge, Registry};

/// Finer than the common buckets: the pipeline's targets are 250 µs (p50) and 1 ms (p99).
pub const PIPELINE_BUCKETS: &[f64] = &[
    0.000025, 0.00005, 0.000075, 0.0001, 0.00015, 0.0002, 0.00025, 0.0003, 0.0004, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005,
    0.01, 0.025, 0.05, 0.1,
];

/// Every metric the gateway exports.
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
    pub room_subscriptions: IntGauge,
    pub joins: IntCounter,
    pub resumes: IntCounter,
    pub resyncs: IntCounter,
    pub join_duration: Histogram,
    pub resume_duration: Histogram,
    pub input_pipeline: Histogram,
    pub fanout: Histogram,
}

impl Metrics {
    pub fn new(r: &Registry) -> Self {
        let m = Self {
            connections_open: gauge(r, "orrery_gateway_connections_open", "Open WebSocket connections."),
            connects: counter(r, "orrery_gateway_connects_total", "WebSocket connections accepted."),
            disconnects: counter_vec(r, "orrery_gateway_disconnects_total", "WebSocket connections ended, by close reason.", &["reason"]),
            auth_failures: counter_vec(
                r,
                "orrery_gateway_auth_failures_total",
                "Requests refused before the upgrade, by reason.",
                &["reason"],
            ),
            messages_in: counter(r, "orrery_gateway_messages_in_total", "Messages received from clients."),
            bytes_in: counter(r, "orrery_gateway_bytes_in_total", "Bytes received from clients."),
            messages_out: counter(r, "orrery_gateway_messages_out_total", "Messages sent to clients."),
            bytes_out: counter(r, "orrery_gateway_bytes_out_total", "Bytes sent to clients."),
            frames_dropped: counter_vec(r, "orrery_gateway_frames_dropped_total", "Frames not sent to a client, by reason.", &["reason"]),
            stale_epoch_frames: counter(
                r,
                "orrery_gateway_stale_epoch_frames_total",
                "Frames dropped because a newer epoch of their room was seen.",
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
        };
        // Export every known drop reason from the start, so a healthy gateway shows 0, not nothing.
        for reason in ["gap", "slow_consumer"] {
            m.frames_dropped.with_label_values(&[reason]);
        }
        m
    }
}
