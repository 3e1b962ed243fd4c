//! How often a room's feed may ask PostgreSQL for the room's epoch: [`CheckPace`].
//!
//! A frame of an epoch the feed has not confirmed (a new owner, or a forgery) asks for a
//! check. One check at a time per room; after a check that changed nothing the gap to the
//! next one doubles, from [`FIRST_CHECK_GAP`] up to [`LONGEST_CHECK_GAP`], so a flood of
//! forged frames costs one query per `LONGEST_CHECK_GAP`, not one per frame. A check that
//! confirmed a new epoch, or a quiet spell, starts again at the first gap, so the next
//! failover is picked up at once.

use std::time::{Duration, Instant};

/// The gap after a check that confirmed an epoch (and the feed's first).
pub const FIRST_CHECK_GAP: Duration = Duration::from_millis(100);
/// The longest gap between two checks of one room, while unconfirmed frames keep coming.
pub const LONGEST_CHECK_GAP: Duration = Duration::from_secs(1);

/// When the next check of one room may start.
#[derive(Debug)]
pub(super) struct CheckPace {
    in_flight: bool,
    next: Instant,
    gap: Duration,
}

impl CheckPace {
    /// A new feed: its sockets' join replies confirm its first epoch, so a first check
    /// waits [`FIRST_CHECK_GAP`].
    pub(super) fn new(now: Instant) -> Self {
        Self { in_flight: false, next: now + FIRST_CHECK_GAP, gap: FIRST_CHECK_GAP }
    }

    /// Whether a check may start now; when it may, it has started (call [`CheckPace::finish`]).
    pub(super) fn begin(&mut self, now: Instant) -> bool {
        if self.in_flight || now < self.next {
            return false;
        }
        if now >= self.next + LONGEST_CHECK_GAP {
            // Nothing asked for a while: this is news, not the flood of before.
            self.gap = FIRST_CHECK_GAP;
        }
        self.in_flight = true;
        true
    }

    /// The check started by [`CheckPace::begin`] ended; `changed` when it moved the epoch.
    pub(super) fn finish(&mut self, now: Instant, changed: bool) {
        self.in_flight = false;
        self.gap = if changed { FIRST_CHECK_GAP } else { (self.gap * 2).min(LONGEST_CHECK_GAP) };
        self.next = now + self.gap;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks a steady stream of unconfirmed frames (one per millisecond) starts in `span`.
    fn checks_during(pace: &mut CheckPace, start: Instant, span: Duration, changed: bool) -> u32 {
        let mut checks = 0;
        let mut at = start;
        while at < start + span {
            if pace.begin(at) {
                checks += 1;
                pace.finish(at + Duration::from_millis(2), changed);
            }
            at += Duration::from_millis(1);
        }
        checks
    }

    #[test]
    fn a_flood_costs_one_check_per_longest_gap_after_a_few_doublings() {
        let start = Instant::now();
        let mut pace = CheckPace::new(start);
        assert!(!pace.begin(start), "a new feed waits for its join replies first");
        let checks = checks_during(&mut pace, start, Duration::from_secs(10), false);
        let doublings = (LONGEST_CHECK_GAP.as_millis() / FIRST_CHECK_GAP.as_millis()).ilog2() + 1;
        assert!(checks <= 10 + doublings + 1, "{checks} checks in 10 s of flood");
        assert!(checks >= 10, "still checking now and then: {checks}");
    }

    #[test]
    fn one_check_at_a_time_and_a_quiet_spell_or_a_new_epoch_resets_the_gap() {
        let start = Instant::now();
        let mut pace = CheckPace::new(start);
        let mut at = start + FIRST_CHECK_GAP;
        assert!(pace.begin(at));
        assert!(!pace.begin(at + LONGEST_CHECK_GAP * 3), "one in flight");
        pace.finish(at, false);
        at += FIRST_CHECK_GAP * 2;
        assert!(pace.begin(at));
        pace.finish(at, false);
        assert!(!pace.begin(at + FIRST_CHECK_GAP * 2), "the gap doubled");

        // A quiet spell: the next unconfirmed frame is checked at once, and the gap is short again.
        at += LONGEST_CHECK_GAP * 3;
        assert!(pace.begin(at));
        pace.finish(at, false);
        assert!(pace.begin(at + FIRST_CHECK_GAP * 2));
        pace.finish(at + FIRST_CHECK_GAP * 2, true);
        assert!(pace.begin(at + FIRST_CHECK_GAP * 3), "a confirmed epoch: back to the first gap");
    }
}
