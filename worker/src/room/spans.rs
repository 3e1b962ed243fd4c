//! Span naming for a room's task: one span per lifecycle control request (`join`,
//! `leave`, `resync`), continuing the trace of the gateway that asked, and the room's
//! `drain`. Ticks get none.

use super::{Room, RoomSignals};
use orrery_common::protocol::internal::{ControlReply, ControlRequest};
use tracing::field::Empty;
use tracing::{Span, info_span};

/// The span for one control request, named after it (`join`, `leave`, `resync`).
pub(crate) fn control_span(room: &Room, request: Option<&ControlRequest>) -> Span {
    match request {
        Some(ControlRequest::Join { player, .. }) => {
            info_span!("join", room = %room.id, epoch = %room.epoch, %player, otel.kind = "server", outcome = Empty)
        }
        Some(ControlRequest::Leave { player, .. }) => {
            info_span!("leave", room = %room.id, epoch = %room.epoch, %player, otel.kind = "server", outcome = Empty)
        }
        Some(ControlRequest::Resync { player }) => {
            info_span!("resync", room = %room.id, epoch = %room.epoch, %player, otel.kind = "server", outcome = Empty)
        }
        // Commands are gameplay, not lifecycle; a gateway's vouching and spectators are
        // routine: no span.
        Some(
            ControlRequest::Command { .. } | ControlRequest::Present { .. } | ControlRequest::Watch { .. } | ControlRequest::Unwatch { .. },
        )
        | None => Span::none(),
    }
}

/// What a control span records as its `outcome`.
pub(crate) fn reply_outcome(reply: &ControlReply) -> &'static str {
    match reply {
        ControlReply::Keyframe { .. } => "keyframe",
        ControlReply::Ok => "ok",
        ControlReply::Refused { .. } => "refused",
        ControlReply::CommandAck { .. } => "command_ack",
        ControlReply::SpectatorsFull { .. } => "spectators_full",
    }
}

/// A room's `drain` span: a child of the worker's `drain` span when there is one, so one
/// worker drain is one trace.
pub(crate) fn drain_span(room: &Room, signals: &RoomSignals) -> Span {
    info_span!(parent: signals.drain_span.get().and_then(Span::id), "drain", room = %room.id, epoch = %room.epoch, tick = %room.tick())
}
