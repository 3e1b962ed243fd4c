//! One room's task: the fixed-rate tick loop, the room's subscriptions and its signals.
//!
//! Each room runs in its own task, so a slow room never delays another. The loop waits
//! for the next tick of its [`TickSchedule`], steps the [`Room`], publishes the frame and
//! writes the snapshots the schedule says are due ([`super::persist`]): the hot one in the
//! tick, the durable one handed to the room's writer ([`super::durable`]), whose outcome
//! comes back here between ticks. Before every tick
//! and before publishing it checks the lease's local deadline (I6); control replies are
//! only sent while the lease is valid. Between ticks it queues inputs and answers
//! control requests. A room whose game sleeps ([`Pace::OnDemand`]) is run by
//! [`super::on_demand`] instead ([`run`] picks).

use super::Room;
use super::durable::DurableWriter;
use super::persist::{Unchanged, close, drain, durable_outcome, submit_durable, write_durable_now, write_hot};
use super::schedule::{SnapshotDue, TickSchedule};
use super::spans::{control_span, drain_span, reply_outcome};
use crate::App;
use crate::lease::LeaseClock;
use futures::StreamExt;
use orrery_common::RoomId;
use orrery_common::game::{Pace, Phase};
use orrery_common::protocol::internal::{ControlReply, ControlRequest, InputEnvelope};
use orrery_common::protocol::{decode, encode};
use orrery_common::trace_context;
use std::sync::{Arc, OnceLock};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, Span, info, warn};

/// Why a room task ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Told to drain: final snapshot written, lease released.
    Drained,
    /// The lease was lost or its local deadline passed: nothing more was written.
    LeaseLost,
    /// A snapshot write was refused: a newer epoch owns the room.
    Fenced,
    /// The match is over: results written, room closed, lease released.
    Closed,
    /// NATS refused a subscription.
    Failed(String),
}

/// Signals from the worker to one room.
#[derive(Clone, Debug, Default)]
pub struct RoomSignals {
    /// The lease is gone: stop now, write nothing.
    pub lost: CancellationToken,
    /// Drain: write a final snapshot, release the lease, stop.
    pub drain: CancellationToken,
    /// The worker's `drain` span, set before `drain` is cancelled: the room's own
    /// `drain` span is its child, so one worker drain is one trace.
    pub drain_span: Arc<OnceLock<Span>>,
}

/// Run `room` until it is drained, loses its lease, is fenced or may close: a ticking room
/// here, a sleeping one in [`super::on_demand`]. Each is boxed, so a task carries the state
/// of its own kind only (a sleeping room's task stays small). The room comes boxed, so no
/// future on the way holds a copy of it inline.
pub async fn run(room: Box<Room>, app: Arc<App>, signals: RoomSignals, claimed_at: Instant) -> Exit {
    match room.pace() {
        Pace::OnDemand => Box::pin(super::on_demand::run(room, app, signals, claimed_at)).await,
        Pace::Fixed => Box::pin(run_fixed(*room, app, signals, claimed_at)).await,
    }
}

/// The fixed-rate tick loop.
async fn run_fixed(mut room: Room, app: Arc<App>, signals: RoomSignals, claimed_at: Instant) -> Exit {
    let names = &app.names;
    let (mut inputs, mut control) =
        match (app.nats.subscribe(names.room_input(room.id)).await, app.nats.subscribe(names.room_control(room.id)).await) {
            (Ok(i), Ok(c)) => (i, c),
            (Err(e), _) | (_, Err(e)) => return Exit::Failed(e.to_string()),
        };
    let m = &app.metrics;
    let timing = &app.timing;
    let mut schedule = TickSchedule::for_room(
        room.id,
        room.settings.tick_hz,
        timing.hot_snapshot_every(),
        timing.durable_snapshot_every(),
        Instant::now(),
    );
    let mut durable = DurableWriter::spawn(app.clone(), room.id, room.epoch, room.clock.clone());
    info!(room = %room.id, epoch = %room.epoch, tick = %room.tick(), "room running");

    loop {
        tokio::select! {
            biased;
            _ = signals.lost.cancelled() => return Exit::LeaseLost,
            _ = signals.drain.cancelled() => {
                let span = drain_span(&room, &signals);
                return drain(&mut room, &app).instrument(span).await;
            }
            _ = sleep_until(schedule.next_tick()) => {
                if !room.clock.valid() {
                    m.leases_expired_by_deadline.inc();
                    warn!(room = %room.id, epoch = %room.epoch, "lease deadline passed without renewal: stopping");
                    return Exit::LeaseLost;
                }
                let started = Instant::now();
                m.tick_lateness.observe(started.saturating_duration_since(schedule.next_tick()).as_secs_f64());
                let frame = room.step(m, started);
                let bytes = encode(&frame);
                if !room.clock.valid() {
                    m.leases_expired_by_deadline.inc();
                    return Exit::LeaseLost;
                }
                m.frame_bytes.inc_by(bytes.len() as u64);
                m.frames_published.inc();
                if let Err(e) = app.nats.publish(names.room_state(room.id), bytes.into()).await {
                    warn!(room = %room.id, error = %e, "publishing a frame failed");
                }
                m.tick_duration.observe(started.elapsed().as_secs_f64());
                if schedule.ticked() {
                    m.restore_duration.observe(claimed_at.elapsed().as_secs_f64());
                }
                let now = Instant::now();
                let disconnected = room.confirm_seats(now);
                if disconnected > 0 {
                    info!(room = %room.id, epoch = %room.epoch, players = disconnected, "restored room: players no gateway vouched for are disconnected");
                }
                if schedule.overrun(now) {
                    m.tick_overruns.inc();
                }
                let phase = room.phase();
                let written = match schedule.snapshot_due(now, room.phase_changed_since_durable(phase)) {
                    // The last write of a match is waited for: the close follows it.
                    SnapshotDue::Durable if phase == Phase::Closable => write_durable_now(&mut room, &app, phase).await,
                    SnapshotDue::Durable => submit_durable(&mut room, &app, &durable, phase).await,
                    SnapshotDue::Hot => write_hot(&mut room, &app, Unchanged::Skip).await,
                    SnapshotDue::None => Ok(()),
                };
                if let Err(exit) = written {
                    return exit;
                }
                if phase == Phase::Closable {
                    return close(&mut room, &app).await;
                }
            }
            outcome = durable.outcome() => {
                if let Err(exit) = durable_outcome(&mut room, &app, outcome) {
                    return exit;
                }
            }
            Some(msg) = inputs.next() => match decode::<InputEnvelope>(&msg.payload) {
                Ok(input) => room.queue_input(input, Instant::now()),
                Err(_) => m.inputs_rejected.inc(),
            },
            Some(msg) = control.next() => {
                let request = decode::<ControlRequest>(&msg.payload);
                // A span per control request (joins are rare; ticks get none), continuing
                // the trace of the gateway that asked.
                let span = control_span(&room, request.as_ref().ok());
                trace_context::set_parent(&span, msg.headers.as_ref());
                async {
                    let reply = match request {
                        Ok(req) => room.control(req),
                        Err(e) => ControlReply::Refused { reason: e.to_string() },
                    };
                    answer_control(&app, room.id, &room.clock, msg.reply, &reply).await;
                }
                .instrument(span)
                .await;
            }
        }
    }
}

/// Record `reply`'s outcome on the current span and send it to whoever asked, unless the
/// lease's local deadline has passed (a room that may no longer be ours answers nothing, I6).
pub(super) async fn answer_control(app: &App, room: RoomId, clock: &LeaseClock, to: Option<async_nats::Subject>, reply: &ControlReply) {
    Span::current().record("outcome", reply_outcome(reply));
    if let Some(to) = to
        && clock.valid()
        && let Err(e) = app.nats.publish(to, encode(reply).into()).await
    {
        warn!(%room, error = %e, "control reply failed");
    }
}
