//! What every player records into, shared: live counters for the progress line, HDR
//! histograms for the report, errors by kind, and the measured window.
//!
//! Samples count only inside the window (from the moment every player has joined, or
//! the setup timed out, for `--duration-secs`), so setup and drain do not skew them.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// Counters the progress line reads every second.
#[derive(Debug, Default)]
pub struct Live {
    pub sockets_open: AtomicU64,
    pub joined: AtomicU64,
    pub setup_failed: AtomicU64,
    pub frames: AtomicU64,
    pub inputs: AtomicU64,
    pub errors: AtomicU64,
    pub reconnects: AtomicU64,
    /// Acks measured where the tick clock could not split them (too few frames or inputs).
    pub acks_unsplit: AtomicU64,
}

impl Live {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn sub(counter: &AtomicU64, n: u64) {
        counter.fetch_sub(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The distributions of the report. Times in microseconds, rates in bytes per second.
#[derive(Debug)]
pub struct Hists {
    /// Input sent → first frame whose ack covers it arrived.
    pub ack_total_us: Histogram<u64>,
    /// The same minus the estimated wait for the tick that applied it (see `tickclock`).
    pub ack_pipeline_us: Histogram<u64>,
    /// The estimated wait for the tick that applied the input.
    pub ack_tick_wait_us: Histogram<u64>,
    /// Arrival of a frame minus the earliest arrival its tick could have had (fitted clock).
    pub frame_lateness_us: Histogram<u64>,
    /// Per connection: the minimum round trip (input to worker plus tick start to client).
    pub min_round_trip_us: Histogram<u64>,
    /// |interval between consecutive frames − 1/tick_hz|.
    pub frame_jitter_us: Histogram<u64>,
    /// Socket closed (or stalled) → first frame on the new socket.
    pub reconnect_us: Histogram<u64>,
    /// Per player, bytes per second client → gateway (WebSocket framing included).
    pub up_bytes_per_sec: Histogram<u64>,
    /// Per player, bytes per second gateway → client (WebSocket framing included).
    pub down_bytes_per_sec: Histogram<u64>,
}

impl Default for Hists {
    fn default() -> Self {
        // Fixed bounds: 1 µs (or B/s) to one hour, 3 significant figures. (An
        // auto-resizing histogram would clamp `saturating_record` to its initial range.)
        let h = || Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
        Self {
            ack_total_us: h(),
            ack_pipeline_us: h(),
            ack_tick_wait_us: h(),
            frame_lateness_us: h(),
            min_round_trip_us: h(),
            frame_jitter_us: h(),
            reconnect_us: h(),
            up_bytes_per_sec: h(),
            down_bytes_per_sec: h(),
        }
    }
}

/// Everything the players share.
#[derive(Debug)]
pub struct Shared {
    /// Time zero of every timestamp.
    pub origin: Instant,
    pub live: Live,
    pub hists: Mutex<Hists>,
    errors: Mutex<BTreeMap<String, u64>>,
    window_start: OnceLock<Instant>,
    started: tokio::sync::watch::Sender<bool>,
    window: Duration,
    /// Bias bound of the pipeline estimate: sum over connections of period/(samples + 1).
    bias: Mutex<(f64, u64)>,
}

impl Shared {
    pub fn new(window: Duration) -> Self {
        Self {
            origin: Instant::now(),
            live: Live::default(),
            hists: Mutex::new(Hists::default()),
            errors: Mutex::new(BTreeMap::new()),
            window_start: OnceLock::new(),
            started: tokio::sync::watch::Sender::new(false),
            window,
            bias: Mutex::new((0.0, 0)),
        }
    }

    /// Microseconds since `origin`.
    pub fn micros(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.origin).as_secs_f64() * 1e6
    }

    /// Start the measured window now (only the first call counts).
    pub fn start_window(&self) -> Instant {
        let start = *self.window_start.get_or_init(Instant::now);
        self.started.send_replace(true);
        start
    }

    /// Resolves once the window has started (at once if it has).
    pub async fn window_started(&self) {
        let mut rx = self.started.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }

    /// The window, once it has started.
    pub fn window(&self) -> Option<(Instant, Instant)> {
        self.window_start.get().map(|s| (*s, *s + self.window))
    }

    pub fn window_len(&self) -> Duration {
        self.window
    }

    /// Whether `at` is inside the measured window.
    pub fn measuring(&self, at: Instant) -> bool {
        self.window().is_some_and(|(s, e)| at >= s && at < e)
    }

    /// Count one error of `kind` (always, window or not: errors are never discarded).
    pub fn error(&self, kind: impl Into<String>) {
        Live::add(&self.live.errors, 1);
        *self.errors.lock().expect("errors lock").entry(kind.into()).or_default() += 1;
    }

    pub fn errors(&self) -> BTreeMap<String, u64> {
        self.errors.lock().expect("errors lock").clone()
    }

    /// Record into the histograms.
    pub fn record(&self, f: impl FnOnce(&mut Hists)) {
        f(&mut self.hists.lock().expect("histograms lock"));
    }

    pub fn add_bias(&self, bound_us: f64) {
        let mut b = self.bias.lock().expect("bias lock");
        b.0 += bound_us;
        b.1 += 1;
    }

    /// Mean bias bound of the pipeline estimate over connections, microseconds.
    pub fn mean_bias_us(&self) -> Option<f64> {
        let b = self.bias.lock().expect("bias lock");
        (b.1 > 0).then(|| b.0 / b.1 as f64)
    }
}

/// Percentiles of one histogram, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub count: u64,
    pub mean: f64,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Summary {
    pub fn of(h: &Histogram<u64>) -> Self {
        Self {
            count: h.len(),
            mean: if h.is_empty() { 0.0 } else { h.mean() },
            min: h.min(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_measured_before_the_window() {
        let s = Shared::new(Duration::from_secs(1));
        assert!(!s.measuring(Instant::now()));
        let start = s.start_window();
        assert!(s.measuring(start));
        assert!(!s.measuring(start + Duration::from_secs(2)));
    }

    #[test]
    fn large_values_are_not_clamped() {
        let mut h = Hists::default();
        h.ack_total_us.saturating_record(42_000);
        assert!((Summary::of(&h.ack_total_us).p50 as i64 - 42_000).abs() < 50);
    }

    #[test]
    fn errors_are_counted_by_kind() {
        let s = Shared::new(Duration::from_secs(1));
        s.error("connect");
        s.error("connect");
        s.error("stall");
        assert_eq!(s.errors().get("connect"), Some(&2));
        assert_eq!(Live::get(&s.live.errors), 3);
    }
}
