//! One owned room, one job per file:
//!
//! - [`state`]: the room's state machine — inputs (I5), control requests, commands,
//!   seats, frames (the first of every epoch a keyframe). No I/O.
//! - [`task`]: the task that runs it — the tick loop, subscriptions, signals, lease
//!   deadline checks (I6); [`Exit`] says why it ended.
//! - `on_demand`: a sleeping room's task ([`Pace::OnDemand`](orrery_common::game::Pace)):
//!   no timer, a run only when something is due, each run committed durably before its
//!   frame is published and its requests answered (I9).
//! - [`schedule`]: when the next tick and the next hot and durable snapshots are due.
//! - [`event_quota`]: how many events about one player are persisted per second.
//! - [`persist`]: hot and durable snapshots (fenced: I1, I2), close and drain.
//! - [`durable`]: the room's durable writer, which keeps PostgreSQL off the tick path.
//! - [`spans`]: the spans of control requests and of the drain.
//! - [`views`]: the one place a frame is encoded: shared, or per viewer (I8).
//! - [`spectators`]: who watches without a seat, and the per-room limit.

pub mod durable;
pub mod event_quota;
mod on_demand;
pub mod persist;
pub mod schedule;
pub mod spans;
pub mod spectators;
pub mod state;
pub mod task;
mod views;
#[cfg(test)]
mod views_tests;

pub use schedule::{MAX_CATCH_UP_TICKS, TickSchedule};
pub use state::{COMMANDS_REMEMBERED, Room, SEAT_CONFIRMATION};
pub use task::{Exit, RoomSignals, run};
