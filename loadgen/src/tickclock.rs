//! The room's tick clock as one client can see it, and the estimate of the wait for the
//! tick that applied an input.
//!
//! A worker starts tick `k` of a room at `s(k) = s0 + k·P` (fixed schedule), so frame `k`
//! reaches a client at `a(k) = s(k) + d(k)` where `d` is step + publish + gateway +
//! socket. The minimum of `a(k) − k·P` over a sliding window of frames is
//! `s0 + min d = s0 + δ`: the fitted clock `f(k) = s0 + δ + k·P` is the earliest time
//! frame `k` could have arrived. `a(k) − f(k) ≥ 0` is the frame's lateness.
//!
//! An input sent at `t` reaches the worker at `t + u` and is applied by the first tick
//! that starts after that, `k`; its wait is `s(k) − t − u`. Let `φ = f(k) − t`. Then
//! `φ = wait + (u + δ)`, with `wait` in `[0, P)`. Over many inputs sent at random phases
//! of the tick, `R̂ = min φ` converges to `u + δ` (the pipeline's minimum round trip)
//! from above, with expected bias about `P / (n + 1)` for `n` inputs. So per input:
//!
//! - tick wait ≈ `φ − R̂`
//! - pipeline overhead = total − tick wait = `(a(k) − f(k)) + R̂`
//!
//! What a client cannot see: how the upstream time `u` varies from input to input (that
//! variation is indistinguishable from the tick wait), and the tick's own lateness
//! against its schedule (timer granularity), which shows up as frame lateness.

/// Frames in the sliding window of the fit (about 2 s at 30 Hz).
pub const WINDOW: usize = 64;
/// Inputs a connection needs before its estimate is used.
pub const MIN_SAMPLES: usize = 20;

/// The fitted tick clock of one room on one connection (reset on a new epoch).
#[derive(Debug, Clone)]
pub struct TickClock {
    period_us: f64,
    epoch: u64,
    ring: Vec<f64>,
    next: usize,
}

impl TickClock {
    pub fn new(tick_hz: u16) -> Self {
        Self { period_us: 1e6 / f64::from(tick_hz.max(1)), epoch: 0, ring: Vec::with_capacity(WINDOW), next: 0 }
    }

    pub fn period_us(&self) -> f64 {
        self.period_us
    }

    /// Frame `tick` of `epoch` arrived at `arrival_us`.
    pub fn observe(&mut self, epoch: u64, tick: u64, arrival_us: f64) {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.ring.clear();
            self.next = 0;
        }
        let v = arrival_us - tick as f64 * self.period_us;
        if self.ring.len() < WINDOW {
            self.ring.push(v);
        } else {
            self.ring[self.next] = v;
        }
        self.next = (self.next + 1) % WINDOW;
    }

    /// The fit is used once the window is full.
    pub fn ready(&self) -> bool {
        self.ring.len() == WINDOW
    }

    /// The earliest arrival time frame `tick` could have had.
    pub fn at(&self, tick: u64) -> f64 {
        let offset = self.ring.iter().copied().fold(f64::INFINITY, f64::min);
        offset + tick as f64 * self.period_us
    }
}

/// What one connection saw of its acked inputs: (frame lateness, φ), microseconds.
#[derive(Debug, Default, Clone)]
pub struct AckSamples {
    samples: Vec<(f64, f64)>,
}

/// The per-input split of a connection's acks.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// `R̂`: the minimum round trip, microseconds.
    pub round_trip_us: f64,
    /// Expected bias bound of `R̂` (upwards), microseconds.
    pub bias_us: f64,
    /// (pipeline overhead, tick wait) per input, microseconds.
    pub per_input: Vec<(f64, f64)>,
}

impl AckSamples {
    pub fn push(&mut self, lateness_us: f64, phi_us: f64) {
        self.samples.push((lateness_us, phi_us));
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Split every input's latency into pipeline overhead and tick wait, if there are
    /// enough inputs to estimate the round trip.
    pub fn split(&self, period_us: f64) -> Option<Split> {
        if self.samples.len() < MIN_SAMPLES {
            return None;
        }
        let r = self.samples.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
        let per_input = self.samples.iter().map(|&(late, phi)| (late + r, phi - r)).collect();
        Some(Split { round_trip_us: r, bias_us: period_us / (self.samples.len() as f64 + 1.0), per_input })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_finds_the_earliest_arrival() {
        let mut c = TickClock::new(30);
        let p = c.period_us();
        for k in 0..WINDOW as u64 {
            // 500 µs minimum delay, up to 300 µs more.
            let extra = (k % 4) as f64 * 100.0;
            c.observe(1, k + 100, 1_000.0 + (k + 100) as f64 * p + 500.0 + extra);
        }
        assert!(c.ready());
        assert!((c.at(200) - (1_500.0 + 200.0 * p)).abs() < 1e-6);
    }

    #[test]
    fn a_new_epoch_resets_the_fit() {
        let mut c = TickClock::new(30);
        for k in 0..WINDOW as u64 {
            c.observe(1, k, k as f64 * c.period_us());
        }
        c.observe(2, 5, 0.0);
        assert!(!c.ready());
    }

    #[test]
    fn the_split_recovers_a_constant_round_trip() {
        // Round trip 400 µs, inputs at every phase: φ = wait + 400.
        let period = 1e6 / 30.0;
        let mut s = AckSamples::default();
        for i in 0..100 {
            let wait = period * f64::from(i) / 100.0;
            s.push(50.0, wait + 400.0);
        }
        let split = s.split(period).expect("enough samples");
        assert!((split.round_trip_us - 400.0).abs() < 1e-6);
        assert!(split.per_input.iter().all(|&(pipe, _)| (pipe - 450.0).abs() < 1e-6));
        assert!((split.per_input[50].1 - period / 2.0).abs() < 1e-6);
    }

    #[test]
    fn too_few_inputs_give_no_estimate() {
        let mut s = AckSamples::default();
        s.push(1.0, 2.0);
        assert!(s.split(33_333.0).is_none());
    }
}
