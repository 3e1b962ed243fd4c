//! Where a room's ticks fall. Every room ticks on its own phase of the period, derived
//! from its id, so the rooms of a worker (and the frames a gateway fans out to their
//! players) spread over the period instead of bunching: rooms claimed together, after a
//! start or a failover, would otherwise tick within the same millisecond for as long as
//! they live. The first tick after a claim is not delayed; the grid applies from the second.
//!
//! Phases are not continuous: the period is cut into [`SLOTS`] slots and every room of a
//! slot ticks at the same instant, so the rooms of a slot run in one wake-up of the worker
//! and their frames leave in one flush to NATS, instead of one wake-up (and one socket
//! write) per room. 16 slots at 30 Hz are ~2 ms apart: frames still spread over the period.

use orrery_common::RoomId;
use std::sync::LazyLock;
use std::time::Duration;
use tokio::time::Instant;

/// The instant every room's grid is measured from (this process's; rooms on different
/// workers need no common phase).
static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);

/// How many distinct tick phases the rooms of a worker share.
pub const SLOTS: u64 = 16;

/// One room's tick instants: `anchor + k·period`.
#[derive(Clone, Copy, Debug)]
pub struct TickGrid {
    anchor: Instant,
    period: Duration,
}

impl TickGrid {
    /// `room`'s grid: its phase is a fixed fraction of the period, spread evenly over rooms.
    pub fn for_room(room: RoomId, period: Duration) -> Self {
        Self::new(*ORIGIN, room, period)
    }

    pub(crate) fn new(origin: Instant, room: RoomId, period: Duration) -> Self {
        // Fibonacci hashing: consecutive ids land in slots far apart.
        let slot = room.get().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros());
        Self { anchor: origin + period * slot as u32 / SLOTS as u32, period }
    }

    /// The first grid instant strictly after `t`.
    pub fn next_after(&self, t: Instant) -> Instant {
        if t < self.anchor {
            return self.anchor;
        }
        let periods = (t - self.anchor).as_nanos() / self.period.as_nanos().max(1) + 1;
        self.anchor + self.period * u32::try_from(periods).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: Duration = Duration::from_nanos(33_333_333);

    #[test]
    fn ticks_fall_on_the_room_grid_strictly_after_the_given_instant() {
        let origin = Instant::now();
        let grid = TickGrid::new(origin, RoomId(7), PERIOD);
        let first = grid.next_after(origin);
        assert!(first > origin && first <= origin + PERIOD);
        assert_eq!(grid.next_after(first), first + PERIOD, "on the grid: the next one");
        assert_eq!(grid.next_after(first + PERIOD / 2), first + PERIOD);
        assert_eq!(grid.next_after(first + PERIOD * 1000 + Duration::from_nanos(1)), first + PERIOD * 1001);
    }

    #[test]
    fn rooms_spread_over_the_period() {
        let origin = Instant::now();
        // 125 rooms created together: their phases cover the period, no tenth of it holds
        // much more than a tenth of them.
        let mut per_tenth = [0; 10];
        for id in 1..=125 {
            let phase = TickGrid::new(origin, RoomId(id), PERIOD).next_after(origin) - origin;
            per_tenth[((phase.as_secs_f64() / PERIOD.as_secs_f64()) * 10.0) as usize % 10] += 1;
        }
        assert!(per_tenth.iter().all(|&n| (6..=20).contains(&n)), "{per_tenth:?}");
    }

    #[test]
    fn rooms_share_a_few_exact_instants_so_a_slot_is_one_wake_up() {
        let origin = Instant::now();
        let firsts: std::collections::BTreeSet<Instant> =
            (1..=500).map(|id| TickGrid::new(origin, RoomId(id), PERIOD).next_after(origin)).collect();
        assert_eq!(firsts.len() as u64, SLOTS, "500 rooms tick at {} distinct instants", firsts.len());
        let gaps: Vec<Duration> = firsts.iter().zip(firsts.iter().skip(1)).map(|(a, b)| *b - *a).collect();
        assert!(gaps.iter().all(|g| *g >= PERIOD / SLOTS as u32 - Duration::from_nanos(1)), "slots evenly apart: {gaps:?}");
    }
}
