//! Timing the input pipeline: from a socket's input being read to the frame that
//! acknowledges it being written back to that socket, minus the time the input waited
//! in the room's owner for its tick (each frame reports that wait, see
//! `StateFrame::input_waits_us`). What is left is the gateway → NATS → owner → NATS →
//! gateway path, the tick's own work and the writes: `orrery_gateway_input_pipeline_seconds`.
//!
//! Per socket only the newest input is remembered (one atomic word shared by the socket's
//! reader, which records it, and its writer, which times the acknowledging frame): an
//! input overtaken by the next one before its frame came back is not timed.

use orrery_common::InputSeq;
use orrery_common::protocol::internal::AppliedInput;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Times are kept as microseconds since this instant, truncated to 32 bits (they wrap
/// every 71 minutes; only differences of recent times are taken).
static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);

/// No input recorded yet.
const NONE: u64 = u64::MAX;

/// A socket's newest input: its sequence number and when it was read.
#[derive(Debug)]
pub struct NewestInput(AtomicU64);

impl Default for NewestInput {
    fn default() -> Self {
        // Fixed before any input can be read, so no time recorded precedes it.
        LazyLock::force(&ORIGIN);
        Self(AtomicU64::new(NONE))
    }
}

impl NewestInput {
    /// Input `seq` was read at `at`.
    pub fn record(&self, seq: InputSeq, at: Instant) {
        self.0.store(pack(seq, at), Ordering::Relaxed);
    }

    /// A frame acknowledging `applied` was written at `now`: the pipeline time, if
    /// `applied` is the newest input this socket read.
    pub fn pipeline(&self, applied: AppliedInput, now: Instant) -> Option<Duration> {
        let word = self.0.load(Ordering::Relaxed);
        if word == NONE || (word >> 32) as u32 != applied.seq.0 {
            return None;
        }
        let read_at = word as u32;
        let round_trip = Duration::from_micros(u64::from(micros(now).wrapping_sub(read_at)));
        Some(round_trip.saturating_sub(Duration::from_micros(u64::from(applied.waited_us))))
    }
}

fn micros(at: Instant) -> u32 {
    at.saturating_duration_since(*ORIGIN).as_micros() as u32
}

fn pack(seq: InputSeq, at: Instant) -> u64 {
    (u64::from(seq.0) << 32) | u64::from(micros(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_for_the_tick_is_taken_out() {
        let input = NewestInput::default();
        let read = Instant::now();
        input.record(InputSeq(41), read);
        let written = read + Duration::from_micros(20_300);
        let applied = AppliedInput { seq: InputSeq(41), waited_us: 20_000 };
        assert_eq!(input.pipeline(applied, written), Some(Duration::from_micros(300)));
    }

    #[test]
    fn only_the_newest_input_is_timed() {
        let input = NewestInput::default();
        let t = Instant::now();
        let applied = |seq| AppliedInput { seq: InputSeq(seq), waited_us: 0 };
        assert_eq!(input.pipeline(applied(1), t), None, "nothing read yet");
        input.record(InputSeq(1), t);
        input.record(InputSeq(2), t);
        assert_eq!(input.pipeline(applied(1), t + Duration::from_millis(1)), None, "overtaken by 2");
        assert!(input.pipeline(applied(2), t + Duration::from_millis(1)).is_some());
    }

    #[test]
    fn a_wait_longer_than_the_round_trip_counts_as_zero() {
        // Clocks of two processes: the owner's wait can exceed the gateway's round trip by
        // rounding; the pipeline never goes negative.
        let input = NewestInput::default();
        let t = Instant::now();
        input.record(InputSeq(9), t);
        let applied = AppliedInput { seq: InputSeq(9), waited_us: 5_000 };
        assert_eq!(input.pipeline(applied, t + Duration::from_micros(4_990)), Some(Duration::ZERO));
    }
}
