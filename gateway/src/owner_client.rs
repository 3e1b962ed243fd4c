//! The gateway's one client of a room's owner: a typed call per control request
//! (`room.<id>.control`), each returning the reply it expects or an [`OwnerError`].
//!
//! Callers never see a `ControlReply`: `OwnerClient::request` is the one place that
//! sends a request (with the current span's trace context, so the owner's span joins the
//! trace), asks again while nobody answers, gives up at the call's patience and decodes
//! the answer; one function per reply kind turns it into the caller's type.

use orrery_common::names::Names;
use orrery_common::protocol::client::CommandOutcome;
use orrery_common::protocol::internal::{ControlReply, ControlRequest, LeaveReason, StateFrame};
use orrery_common::protocol::{decode, encode};
use orrery_common::trace_context;
use orrery_common::{ClientMsgId, InputSeq, PlayerId, RoomId, SocketId};
use std::time::Duration;
use tokio::time::Instant;

/// A join waits this long for the room to get an owner (it may be failing over).
const JOIN: Patience = Patience::retrying(Duration::from_secs(5));
/// A socket's own leave: short, the socket is closing.
const LEAVE: Patience = Patience::retrying(Duration::from_millis(500));
/// A kick: the creator's HTTP request waits for the seat to go.
const KICK: Patience = Patience::retrying(Duration::from_secs(2));
/// A command; without an answer the client resends it (the room applies it at most once).
const COMMAND: Patience = Patience::retrying(Duration::from_secs(2));
/// One attempt: a resync that finds no owner is asked again on a later frame, or the
/// session checks whether the room closed.
const RESYNC: Patience = Patience { total: Duration::from_secs(2), attempt: Duration::from_secs(2), retry: false };
/// A restored room waits 5 s (`SEAT_CONFIRMATION`) for gateways to vouch before it
/// disconnects the players nobody vouched for.
const VOUCH: Patience = Patience::retrying(Duration::from_secs(3));

/// How long a call may take, and whether it asks again while nobody answers.
#[derive(Clone, Copy, Debug)]
struct Patience {
    total: Duration,
    /// The longest one attempt waits for its answer.
    attempt: Duration,
    /// Ask again after no answer (the room may be between owners) until `total` passed.
    retry: bool,
}

impl Patience {
    const fn retrying(total: Duration) -> Self {
        Self { total, attempt: Duration::from_secs(1), retry: true }
    }
}

/// Why a call to a room's owner did not get the reply it expects.
#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    /// Nobody answered in time: the room has no owner right now (failing over), or it closed.
    #[error("the room has no owner right now; try again shortly")]
    NoAnswer,
    /// The owner refused (the game would not seat the player, or it could not read the request).
    #[error("{reason}")]
    Refused { reason: String },
    /// The room has as many spectators as its owner allows.
    #[error("the room has as many spectators as it takes ({limit}); try again later")]
    SpectatorsFull { limit: u32 },
    /// The owner answered with another kind of reply than the request calls for.
    #[error("the room's owner answered {got} where {expected} was expected")]
    Unexpected { expected: &'static str, got: &'static str },
}

/// A room as its owner sees it now, for one player: the answer to a join or a resync.
#[derive(Debug)]
pub struct Keyframe {
    pub tick_hz: u16,
    /// The player's last input the room applied.
    pub last_input: Option<InputSeq>,
    pub frame: StateFrame,
}

/// Requests to rooms' owners over NATS.
#[derive(Clone)]
pub struct OwnerClient {
    nats: async_nats::Client,
    names: Names,
}

impl OwnerClient {
    pub fn new(nats: async_nats::Client, names: Names) -> Self {
        Self { nats, names }
    }

    /// Seat (or re-seat) `player`, whose socket `session` names; the room as it is now.
    pub async fn join(&self, room: RoomId, player: PlayerId, name: String, session: SocketId) -> Result<Keyframe, OwnerError> {
        keyframe(self.request(room, &ControlRequest::Join { player, name, session }, JOIN).await?)
    }

    /// The socket `session` of `player` left the room (or closed: `reason`).
    pub async fn leave(&self, room: RoomId, player: PlayerId, reason: LeaveReason, session: SocketId) -> Result<(), OwnerError> {
        done(self.request(room, &ControlRequest::Leave { player, reason, session }, LEAVE).await?)
    }

    /// Take `player`'s seat away, whatever socket they are on.
    pub async fn kick(&self, room: RoomId, player: PlayerId) -> Result<(), OwnerError> {
        done(self.request(room, &ControlRequest::Leave { player, reason: LeaveReason::Kicked, session: SocketId::ANY }, KICK).await?)
    }

    /// A keyframe for `player`, who missed frames.
    pub async fn resync(&self, room: RoomId, player: PlayerId) -> Result<Keyframe, OwnerError> {
        keyframe(self.request(room, &ControlRequest::Resync { player }, RESYNC).await?)
    }

    /// Watch the room without a seat through `player`'s socket `session` (again, for a
    /// spectator's resync); the room as spectators see it now.
    pub async fn watch(&self, room: RoomId, player: PlayerId, session: SocketId) -> Result<Keyframe, OwnerError> {
        keyframe(self.request(room, &ControlRequest::Watch { player, session }, RESYNC).await?)
    }

    /// `player`'s socket `session` stopped watching.
    pub async fn unwatch(&self, room: RoomId, player: PlayerId, session: SocketId) -> Result<(), OwnerError> {
        done(self.request(room, &ControlRequest::Unwatch { player, session }, LEAVE).await?)
    }

    /// Apply `player`'s command `id` (at most once); what became of it.
    pub async fn command(&self, room: RoomId, player: PlayerId, id: ClientMsgId, payload: Vec<u8>) -> Result<CommandOutcome, OwnerError> {
        command_ack(self.request(room, &ControlRequest::Command { player, id, payload }, COMMAND).await?)
    }

    /// Tell a room's new owner that `players` have a socket in it here.
    pub async fn vouch(&self, room: RoomId, players: Vec<PlayerId>) -> Result<(), OwnerError> {
        done(self.request(room, &ControlRequest::Present { players }, VOUCH).await?)
    }

    /// Send `request` and decode the answer, asking again while nobody answers (when
    /// `patience` retries) until its time is up.
    async fn request(&self, room: RoomId, request: &ControlRequest, patience: Patience) -> Result<ControlReply, OwnerError> {
        let deadline = Instant::now() + patience.total;
        let subject = self.names.room_control(room);
        let payload = encode(request);
        let headers = trace_context::headers();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(OwnerError::NoAnswer);
            }
            let attempt = self.nats.request_with_headers(subject.clone(), headers.clone(), payload.clone().into());
            match tokio::time::timeout(left.min(patience.attempt), attempt).await {
                Ok(Ok(msg)) => {
                    return decode(&msg.payload)
                        .map_err(|_| OwnerError::Unexpected { expected: expected_by(request), got: "an undecodable reply" });
                }
                // No responders or a timeout: the room may be between owners.
                Ok(Err(_)) if patience.retry => tokio::time::sleep(Duration::from_millis(50).min(left)).await,
                Err(_) if patience.retry => {}
                Ok(Err(_)) | Err(_) => return Err(OwnerError::NoAnswer),
            }
        }
    }
}

/// The reply a request calls for (for [`OwnerError::Unexpected`]).
fn expected_by(request: &ControlRequest) -> &'static str {
    match request {
        ControlRequest::Join { .. } | ControlRequest::Resync { .. } | ControlRequest::Watch { .. } => "Keyframe",
        ControlRequest::Leave { .. } | ControlRequest::Present { .. } | ControlRequest::Unwatch { .. } => "Ok",
        ControlRequest::Command { .. } => "CommandAck",
    }
}

/// A reply's kind, for [`OwnerError::Unexpected`].
fn kind(reply: &ControlReply) -> &'static str {
    match reply {
        ControlReply::Keyframe { .. } => "Keyframe",
        ControlReply::Ok => "Ok",
        ControlReply::Refused { .. } => "Refused",
        ControlReply::CommandAck { .. } => "CommandAck",
        ControlReply::SpectatorsFull { .. } => "SpectatorsFull",
    }
}

fn keyframe(reply: ControlReply) -> Result<Keyframe, OwnerError> {
    match reply {
        ControlReply::Keyframe { tick_hz, last_input, frame } => Ok(Keyframe { tick_hz, last_input, frame }),
        ControlReply::Refused { reason } => Err(OwnerError::Refused { reason }),
        ControlReply::SpectatorsFull { limit } => Err(OwnerError::SpectatorsFull { limit }),
        ControlReply::Ok | ControlReply::CommandAck { .. } => Err(OwnerError::Unexpected { expected: "Keyframe", got: kind(&reply) }),
    }
}

fn done(reply: ControlReply) -> Result<(), OwnerError> {
    match reply {
        ControlReply::Ok => Ok(()),
        ControlReply::Refused { reason } => Err(OwnerError::Refused { reason }),
        ControlReply::Keyframe { .. } | ControlReply::CommandAck { .. } | ControlReply::SpectatorsFull { .. } => {
            Err(OwnerError::Unexpected { expected: "Ok", got: kind(&reply) })
        }
    }
}

fn command_ack(reply: ControlReply) -> Result<CommandOutcome, OwnerError> {
    match reply {
        ControlReply::CommandAck { outcome } => Ok(outcome),
        ControlReply::Refused { reason } => Err(OwnerError::Refused { reason }),
        ControlReply::Keyframe { .. } | ControlReply::Ok | ControlReply::SpectatorsFull { .. } => {
            Err(OwnerError::Unexpected { expected: "CommandAck", got: kind(&reply) })
        }
    }
}
