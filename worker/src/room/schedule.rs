//! When a room's next tick, next hot snapshot and next durable snapshot are due.
//!
//! The first tick after a claim comes at once; from then on the room keeps to its
//! [`TickGrid`]. After a stall the room catches up at most [`MAX_CATCH_UP_TICKS`] ticks
//! back to back, then jumps to the grid's next instant (an overrun). A hot snapshot is
//! due every hot period, a durable one every durable period and at every phase change;
//! a durable snapshot includes a hot one, so it postpones both.

use crate::tick_grid::TickGrid;
use orrery_common::RoomId;
use std::time::Duration;
use tokio::time::Instant;

/// Most ticks run back to back to catch up after a stall.
pub const MAX_CATCH_UP_TICKS: u32 = 3;

/// Which snapshot a tick must write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotDue {
    /// None this tick.
    None,
    /// Redis only.
    Hot,
    /// PostgreSQL (and Redis first).
    Durable,
}

/// One room's schedule: the next tick and the next hot and durable snapshots.
#[derive(Clone, Debug)]
pub struct TickSchedule {
    grid: TickGrid,
    period: Duration,
    hot_every: Duration,
    durable_every: Duration,
    next_tick: Instant,
    next_hot: Instant,
    next_durable: Instant,
    ticked: bool,
}

impl TickSchedule {
    /// `room`'s schedule at `tick_hz` (at least 1), starting with a tick at `now`.
    pub fn for_room(room: RoomId, tick_hz: u16, hot_every: Duration, durable_every: Duration, now: Instant) -> Self {
        let period = Duration::from_secs_f64(1.0 / f64::from(tick_hz.max(1)));
        Self::new(TickGrid::for_room(room, period), period, hot_every, durable_every, now)
    }

    fn new(grid: TickGrid, period: Duration, hot_every: Duration, durable_every: Duration, now: Instant) -> Self {
        Self {
            grid,
            period,
            hot_every,
            durable_every,
            next_tick: now,
            next_hot: now + hot_every,
            next_durable: now + durable_every,
            ticked: false,
        }
    }

    /// When the next tick is due.
    pub fn next_tick(&self) -> Instant {
        self.next_tick
    }

    /// The tick that was due has run: schedule the next one. Returns whether it was the
    /// room's first tick (the one that comes at once after a claim).
    pub fn ticked(&mut self) -> bool {
        let first = !std::mem::replace(&mut self.ticked, true);
        self.next_tick = if first { self.grid.next_after(self.next_tick) } else { self.next_tick + self.period };
        first
    }

    /// At `now`, the room is more than [`MAX_CATCH_UP_TICKS`] behind: give up catching up
    /// and move the next tick to the grid's next instant. Returns whether it did.
    pub fn overrun(&mut self, now: Instant) -> bool {
        if now > self.next_tick + self.period * MAX_CATCH_UP_TICKS {
            self.next_tick = self.grid.next_after(now);
            return true;
        }
        false
    }

    /// Which snapshot is due at `now` (a phase change makes a durable one due at once);
    /// the one returned counts as written from `now` on.
    pub fn snapshot_due(&mut self, now: Instant, phase_changed: bool) -> SnapshotDue {
        if now >= self.next_durable || phase_changed {
            self.next_durable = now + self.durable_every;
            self.next_hot = now + self.hot_every;
            SnapshotDue::Durable
        } else if now >= self.next_hot {
            self.next_hot = now + self.hot_every;
            SnapshotDue::Hot
        } else {
            SnapshotDue::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: Duration = Duration::from_millis(30);
    const HOT: Duration = Duration::from_millis(100);
    const DURABLE: Duration = Duration::from_millis(2000);

    fn schedule(now: Instant) -> (TickSchedule, TickGrid) {
        let grid = TickGrid::new(now, RoomId(7), PERIOD);
        (TickSchedule::new(grid, PERIOD, HOT, DURABLE, now), grid)
    }

    #[test]
    fn the_first_tick_comes_at_once_then_the_room_keeps_to_its_grid() {
        let t0 = Instant::now();
        let (mut s, grid) = schedule(t0);
        assert_eq!(s.next_tick(), t0, "no wait after a claim");
        assert!(s.ticked(), "the first tick");
        let on_grid = grid.next_after(t0);
        assert_eq!(s.next_tick(), on_grid);
        assert!(!s.ticked());
        assert_eq!(s.next_tick(), on_grid + PERIOD, "one period later");
        assert!(!s.ticked());
        assert_eq!(s.next_tick(), on_grid + PERIOD * 2);
    }

    #[test]
    fn a_stall_is_caught_up_for_at_most_three_ticks_then_the_schedule_resets() {
        let t0 = Instant::now();
        let (mut s, grid) = schedule(t0);
        s.ticked();
        let due = s.next_tick();
        assert!(!s.overrun(due + PERIOD * MAX_CATCH_UP_TICKS), "three ticks behind: caught up back to back");
        assert_eq!(s.next_tick(), due);
        let late = due + PERIOD * MAX_CATCH_UP_TICKS + Duration::from_millis(1);
        assert!(s.overrun(late), "further behind: an overrun");
        assert_eq!(s.next_tick(), grid.next_after(late), "back on the grid, after now");
        assert!(s.next_tick() > late);
    }

    #[test]
    fn hot_snapshots_every_hot_period_and_durable_ones_every_durable_period() {
        let t0 = Instant::now();
        let (mut s, _) = schedule(t0);
        assert_eq!(s.snapshot_due(t0, false), SnapshotDue::None);
        assert_eq!(s.snapshot_due(t0 + HOT - Duration::from_millis(1), false), SnapshotDue::None);
        assert_eq!(s.snapshot_due(t0 + HOT, false), SnapshotDue::Hot);
        assert_eq!(s.snapshot_due(t0 + HOT + Duration::from_millis(50), false), SnapshotDue::None, "counted from the last one");
        assert_eq!(s.snapshot_due(t0 + HOT * 2, false), SnapshotDue::Hot);
        assert_eq!(s.snapshot_due(t0 + DURABLE, false), SnapshotDue::Durable);
        assert_eq!(s.snapshot_due(t0 + DURABLE + HOT - Duration::from_millis(1), false), SnapshotDue::None, "a durable one is also hot");
        assert_eq!(s.snapshot_due(t0 + DURABLE + HOT, false), SnapshotDue::Hot);
    }

    #[test]
    fn a_phase_change_makes_a_durable_snapshot_due_at_once() {
        let t0 = Instant::now();
        let (mut s, _) = schedule(t0);
        let changed = t0 + Duration::from_millis(10);
        assert_eq!(s.snapshot_due(changed, true), SnapshotDue::Durable);
        assert_eq!(s.snapshot_due(changed + HOT, false), SnapshotDue::Hot, "the hot period restarts from it");
        assert_eq!(s.snapshot_due(changed + DURABLE, false), SnapshotDue::Durable, "so does the durable one");
    }
}
