//! One room's task: the fixed-rate tick loop, the room's subscriptions and its signals.
//!
//! Each room runs in its own task, so a slow room never delays another. The loop waits
//! for the next tick of its [`TickSchedule`], steps the [`Room`], publishes the frame and
//! writes the snapshots the schedule says are due ([`super::persist`]). Before every tick
//! and before publishing it checks the lease's local deadline (I6); control replies are
//! only sent while the lease is valid. Between ticks it queues inputs and answers
//! control requests.

use super::Room;
use super::persist::{close, drain, write_durable, write_hot};
use super::schedule::{SnapshotDue, TickSchedule};
use super::spans::{control_span, drain_span, reply_outcome};
use crate::Shared;
use futures::StreamExt;
use orrery_common::game::Phase;
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

/// Run `room` until it is drained, loses its lease, is fenced or may close.
pub async fn run(mut room: Room, shared: Arc<Shared>, signals: RoomSignals, claimed_at: Instant) -> Exit {
    let names = &shared.names;
    let (mut inputs, mut control) =
        match (shared.nats.subscribe(names.room_input(room.id)).await, shared.nats.subscribe(names.room_control(room.id)).await) {
            (Ok(i), Ok(c)) => (i, c),
            (Err(e), _) | (_, Err(e)) => return Exit::Failed(e.to_string()),
        };
    let m = &shared.metrics;
    let timing = &shared.timing;
    let mut schedule = TickSchedule::for_room(
        room.id,
        room.settings.tick_hz,
        timing.hot_snapshot_every(),
        timing.durable_snapshot_every(),
        Instant::now(),
    );
    info!(room = %room.id, epoch = %room.epoch, tick = %room.tick(), "room running");

    loop {
        tokio::select! {
            biased;
            _ = signals.lost.cancelled() => return Exit::LeaseLost,
            _ = signals.drain.cancelled() => {
                let span = drain_span(&room, &signals);
                return drain(&mut room, &shared).instrument(span).await;
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
                if let Err(e) = shared.nats.publish(names.room_state(room.id), bytes.into()).await {
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
                    SnapshotDue::Durable => write_durable(&mut room, &shared, phase).await,
                    SnapshotDue::Hot => write_hot(&mut room, &shared).await,
                    SnapshotDue::None => Ok(()),
                };
                if let Err(exit) = written {
                    return exit;
                }
                if phase == Phase::Closable {
                    return close(&mut room, &shared).await;
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
                    Span::current().record("outcome", reply_outcome(&reply));
                    if let Some(to) = msg.reply
                        && room.clock.valid()
                        && let Err(e) = shared.nats.publish(to, encode(&reply).into()).await
                    {
                        warn!(room = %room.id, error = %e, "control reply failed");
                    }
                }
                .instrument(span)
                .await;
            }
        }
    }
}
