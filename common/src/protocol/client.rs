//! Messages between a game client and a gateway (WebSocket, binary frames, postcard).
//!
//! A connection is authenticated before the upgrade; the first message the server
//! sends is [`ServerMsg::Welcome`]. The client then joins a room ([`ClientMsg::Join`],
//! optionally resuming from the last tick it applied) and streams inputs. Frames are
//! ordered by (epoch, tick); a delta names the tick it applies to, so a client can
//! detect a gap and ask for a [`ClientMsg::Resync`].

use crate::ids::{ClientMsgId, Epoch, HistoryPos, InputSeq, PlayerId, RoomId, Tick};
use serde::{Deserialize, Serialize};

/// Version of this protocol; also the `v1` in the subprotocol name.
pub const PROTOCOL_VERSION: u16 = 1;
/// The WebSocket subprotocol a client must offer.
pub const SUBPROTOCOL: &str = "orrery.v1";
/// Browsers pass their token as a second subprotocol: `orrery.token.<jwt>`.
pub const TOKEN_SUBPROTOCOL_PREFIX: &str = "orrery.token.";

/// Client to gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientMsg {
    /// Take a seat in a room, or resume one after a reconnect.
    Join { room: RoomId, resume: Option<Resume> },
    /// One input for the room's simulation, in the game's own encoding.
    Input {
        seq: InputSeq,
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    /// A command that must be acknowledged (applied at most once per id).
    Command {
        id: ClientMsgId,
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    /// Send me a keyframe: I missed something.
    Resync,
    /// Leave the room for good.
    Leave,
    /// Clock sync and liveness; answered with [`ServerMsg::Pong`].
    Ping { client_time_us: u64 },
    /// Find me a match: answered with [`ServerMsg::Queued`], later [`ServerMsg::Matched`]
    /// (the gateway then joins the room for the client), or an error. The sender is queued
    /// with the party they lead (formed over HTTP, each member joining with its code), or
    /// alone; `party`, when not empty, must list exactly the party's other members.
    Queue { mode: String, region: String, party: Vec<PlayerId> },
    /// Leave the matchmaking queue (answered with [`ServerMsg::QueueLeft`]).
    LeaveQueue,
    /// Join a private room by its invite code.
    JoinByCode { code: String },
    /// Watch a room without a seat: answered with [`ServerMsg::Watching`] and frames of
    /// the spectator view (or an error: [`ErrorCode::SpectatorsFull`] when the room has as
    /// many spectators as it takes). A spectator's inputs and commands are refused
    /// ([`ErrorCode::Spectating`]); it stops watching with [`ClientMsg::Leave`].
    Watch { room: RoomId },
}

/// Where a reconnecting client was: the last frame it applied (a [`HistoryPos`], as the
/// wire spells it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    pub epoch: Epoch,
    pub tick: Tick,
}

impl From<HistoryPos> for Resume {
    fn from(pos: HistoryPos) -> Self {
        Self { epoch: pos.epoch, tick: pos.tick }
    }
}

impl From<Resume> for HistoryPos {
    fn from(r: Resume) -> Self {
        HistoryPos::new(r.epoch, r.tick)
    }
}

/// Gateway to client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// First message on every connection.
    Welcome { protocol: u16, player: PlayerId, limits: Limits },
    /// The seat is yours. `last_input` is the last input sequence the room applied for
    /// you: resend everything after it.
    Joined { room: RoomId, tick_hz: u16, last_input: Option<InputSeq> },
    /// One tick of the room's state.
    Frame(Frame),
    /// The answer to a command.
    CommandAck { id: ClientMsgId, outcome: CommandOutcome },
    /// Answer to a ping: server time and the room's latest tick.
    Pong { client_time_us: u64, server_time_ms: u64, tick: Option<Tick> },
    /// Something went wrong that does not end the connection.
    Error { code: ErrorCode, message: String },
    /// This gateway is going away: reconnect (to any gateway) after the delay.
    GoAway { reason: String, reconnect_after_ms: u32 },
    /// In the matchmaking queue under `ticket`.
    Queued { ticket: String },
    /// Placed in `room` (or sent back to the live match the player is in); a
    /// [`ServerMsg::Joined`] follows.
    Matched { room: RoomId },
    /// No longer in the matchmaking queue.
    QueueLeft,
    /// The room closed for good; no more frames will come.
    RoomClosed { room: RoomId },
    /// The room's creator removed this player; joining the room again is refused.
    Kicked { room: RoomId },
    /// Watching `room` without a seat: its frames (the spectator view) follow.
    Watching { room: RoomId, tick_hz: u16 },
}

/// One tick of a room as one client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    pub room: RoomId,
    pub epoch: Epoch,
    pub tick: Tick,
    pub kind: FrameKind,
    /// The last input sequence of yours the room has applied, as of this tick.
    pub ack: Option<InputSeq>,
    /// The game's keyframe or delta.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

impl Frame {
    /// Where this frame is in the room's history.
    pub fn pos(&self) -> HistoryPos {
        HistoryPos::new(self.epoch, self.tick)
    }
}

/// A keyframe stands alone; a delta applies to the state at `base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrameKind {
    Keyframe,
    Delta { base: Tick },
}

/// What happened to a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandOutcome {
    Accepted,
    Rejected { reason: String },
}

/// Errors reported with [`ServerMsg::Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The room does not exist or is closed.
    RoomNotFound,
    /// The room has no owner right now (failover in progress); try again shortly.
    RoomUnavailable,
    /// The room refused the seat (full, started, kicked).
    JoinRefused,
    /// The message needs a room: join one first.
    NotInRoom,
    /// Something on our side failed.
    Internal,
    /// The matchmaking request was refused (unknown mode, party too large, a member busy).
    QueueRefused,
    /// A spectator sends no inputs or commands: watching gives no seat.
    Spectating,
    /// The room has as many spectators as it takes; try again later.
    SpectatorsFull,
}

/// The limits this gateway enforces (part of the protocol, see `close`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest message accepted from a client, in bytes.
    pub max_message_bytes: u32,
    /// Sustained messages per second accepted from a client.
    pub messages_per_second: u16,
    /// Burst above the sustained rate.
    pub message_burst: u16,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_message_bytes: 1024, messages_per_second: 60, message_burst: 120 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{decode, encode};

    #[test]
    fn messages_round_trip() {
        let msgs = [
            ClientMsg::Join { room: RoomId(7), resume: Some(Resume { epoch: Epoch(2), tick: Tick(99) }) },
            ClientMsg::Input { seq: InputSeq(5), payload: vec![1, 2, 3] },
            ClientMsg::Ping { client_time_us: 123 },
            ClientMsg::Queue { mode: "arena".into(), region: "eu".into(), party: vec![PlayerId::random()] },
            ClientMsg::JoinByCode { code: "ABCD2345".into() },
            ClientMsg::Watch { room: RoomId(9) },
        ];
        for m in msgs {
            assert_eq!(decode::<ClientMsg>(&encode(&m)).unwrap(), m);
        }
    }

    #[test]
    fn a_delta_frame_envelope_is_small() {
        let frame = ServerMsg::Frame(Frame {
            room: RoomId(1234),
            epoch: Epoch(3),
            tick: Tick(90_000),
            kind: FrameKind::Delta { base: Tick(89_999) },
            ack: Some(InputSeq(4000)),
            payload: vec![],
        });
        // tag, room, epoch, tick, kind + base, ack, payload length
        assert!(encode(&frame).len() <= 16, "{}", encode(&frame).len());
    }

    #[test]
    fn trailing_bytes_and_garbage_are_refused() {
        let mut bytes = encode(&ClientMsg::Leave);
        bytes.push(0);
        assert!(decode::<ClientMsg>(&bytes).is_err());
        assert!(decode::<ClientMsg>(&[0xff, 0xff, 0xff]).is_err());
    }
}
