//! Messages between gateways and workers over NATS (see [`crate::names`] for subjects).
//!
//! Gateways stamp the player id on every input from the authenticated token; workers
//! never trust a player id that came from a client. A state frame carries every
//! seated player's last applied input sequence; each gateway picks out the one that
//! concerns each of its sockets. A frame of a per-viewer game ([`crate::game::Views`])
//! also carries one part per seated player, and one for spectators while anyone watches
//! ([`Parts::PerViewer`]); a socket is only ever written the shared part followed by its
//! own viewer's part ([`StateFrame::encode_for`]).

use crate::game::Viewer;
use crate::ids::{ClientMsgId, Epoch, HistoryPos, InputSeq, PlayerId, RoomId, SocketId, Tick};
use crate::protocol::client::{CommandOutcome, Frame, FrameKind};
use serde::{Deserialize, Serialize};

/// `room.<id>.input`: one input, stamped by the gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputEnvelope {
    pub player: PlayerId,
    pub seq: InputSeq,
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

/// `room.<id>.state`: one tick of a room, published by its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFrame {
    pub room: RoomId,
    pub epoch: Epoch,
    pub tick: Tick,
    pub kind: FrameKind,
    /// Last applied input sequence of every seated player that has sent one.
    pub acks: Vec<(PlayerId, InputSeq)>,
    /// For each player whose newest input this tick applied: how long that input waited
    /// in the owner for the tick, in microseconds (from being taken off the subscription
    /// to the start of the tick). Gateways subtract it to time their own pipeline; it is
    /// empty in keyframes of control replies.
    pub input_waits_us: Vec<(PlayerId, u32)>,
    /// The whole payload of a shared game; the part every viewer may see of a per-viewer one.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
    /// Whether the frame has parts only one player may see, and those parts.
    pub parts: Parts,
}

/// The parts of a frame only one player may see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Parts {
    /// None: every socket gets `payload` (one byte on the wire).
    #[default]
    Shared,
    /// Each viewer's own part, appended to `payload` for that viewer's sockets only. A
    /// viewer without a part here gets nothing of this frame.
    PerViewer(Vec<ViewPart>),
}

/// What one viewer alone (a player, or the spectators) may see of a frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewPart {
    pub viewer: Viewer,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

impl StateFrame {
    /// Where this frame is in the room's history.
    pub fn pos(&self) -> HistoryPos {
        HistoryPos::new(self.epoch, self.tick)
    }

    /// The frame as `viewer` sees it; `None` when the frame has views and none for `viewer`.
    pub fn for_viewer(&self, viewer: Viewer) -> Option<Frame> {
        let own = self.own_part(viewer)?;
        Some(Frame {
            room: self.room,
            epoch: self.epoch,
            tick: self.tick,
            kind: self.kind,
            ack: self.ack_for(viewer),
            payload: [self.payload.as_slice(), own].concat(),
        })
    }

    /// The part only `viewer` may see: empty for a shared frame, `None` when the frame has
    /// views and none for `viewer`.
    pub fn own_part(&self, viewer: Viewer) -> Option<&[u8]> {
        match &self.parts {
            Parts::Shared => Some(&[]),
            Parts::PerViewer(parts) => parts.iter().find(|p| p.viewer == viewer).map(|p| p.bytes.as_slice()),
        }
    }

    /// Drop the parts of every viewer `keep` says no to (a gateway keeps only its own
    /// sockets' viewers' parts past the fan-out).
    pub fn retain_parts(&mut self, keep: impl Fn(Viewer) -> bool) {
        if let Parts::PerViewer(parts) = &mut self.parts {
            parts.retain(|p| keep(p.viewer));
        }
    }

    /// `ServerMsg::Frame(self.for_viewer(viewer))`, encoded without copying the payload:
    /// the fan-out does this once per socket per tick. The one function that writes a
    /// frame for a socket: the shared part and `viewer`'s own part, nothing else (I8). A
    /// spectator gets no acknowledgement (it sends no inputs); a shared frame's payload is
    /// the same for it as for everybody.
    pub fn encode_for(&self, viewer: Viewer) -> Option<Vec<u8>> {
        /// `Frame` with a borrowed payload: the same fields in the same order, so the same bytes.
        #[derive(Serialize)]
        struct FrameRef<'a> {
            room: RoomId,
            epoch: Epoch,
            tick: Tick,
            kind: FrameKind,
            ack: Option<InputSeq>,
            #[serde(with = "serde_bytes")]
            payload: &'a [u8],
        }
        /// `Frame` up to its payload.
        #[derive(Serialize)]
        struct FrameHead {
            room: RoomId,
            epoch: Epoch,
            tick: Tick,
            kind: FrameKind,
            ack: Option<InputSeq>,
        }
        let ack = self.ack_for(viewer);
        // postcard writes an enum variant as its index (a varint) followed by its fields.
        let Parts::PerViewer(_) = &self.parts else {
            let frame = FrameRef { room: self.room, epoch: self.epoch, tick: self.tick, kind: self.kind, ack, payload: &self.payload };
            return Some(crate::protocol::encode(&(SERVER_MSG_FRAME_VARIANT, frame)));
        };
        let own = self.own_part(viewer)?;
        let head = FrameHead { room: self.room, epoch: self.epoch, tick: self.tick, kind: self.kind, ack };
        // A byte string is its length (a varint) and its bytes: written in pieces, the
        // concatenation of the two parts is never built.
        let len = self.payload.len() + own.len();
        let mut out = postcard::to_extend(&(SERVER_MSG_FRAME_VARIANT, head, len as u64), Vec::with_capacity(32 + len))
            .expect("postcard encoding into a Vec cannot fail");
        out.extend_from_slice(&self.payload);
        out.extend_from_slice(own);
        Some(out)
    }

    /// `viewer`'s last applied input sequence (none for a spectator).
    pub fn ack_for(&self, viewer: Viewer) -> Option<InputSeq> {
        self.ack_of(viewer.player()?)
    }

    /// `player`'s last applied input sequence.
    pub fn ack_of(&self, player: PlayerId) -> Option<InputSeq> {
        self.acks.iter().find(|(p, _)| *p == player).map(|(_, s)| *s)
    }

    /// The input of `player`'s that this tick applied, and how long it waited for the tick.
    pub fn applied_input_of(&self, player: PlayerId) -> Option<AppliedInput> {
        let (_, waited_us) = self.input_waits_us.iter().find(|(p, _)| *p == player)?;
        Some(AppliedInput { seq: self.ack_of(player)?, waited_us: *waited_us })
    }
}

/// An input that a frame's tick applied: its sequence and its wait for the tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppliedInput {
    pub seq: InputSeq,
    /// Microseconds the input waited in the owner for the tick that applied it.
    pub waited_us: u32,
}

/// The index of `ServerMsg::Frame` among `ServerMsg`'s variants (checked by a test).
const SERVER_MSG_FRAME_VARIANT: u32 = 2;

/// `room.<id>.control`: requests from a gateway to the room's owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlRequest {
    /// Seat (or re-seat) a player; the reply carries a keyframe. `session` names the
    /// socket, so a late `Leave` of an older socket is ignored.
    Join { player: PlayerId, name: String, session: SocketId },
    /// The player's socket closed (keep the seat for a grace) or they left for good.
    /// `session` is the socket the leave comes from; a kick sends [`SocketId::ANY`].
    Leave { player: PlayerId, reason: LeaveReason, session: SocketId },
    /// Send a keyframe for this player (join after a gap).
    Resync { player: PlayerId },
    /// Watch the room without a seat through the socket `session` of `player`, or go on
    /// watching (idempotent: a spectator's resync is this again). The reply carries a
    /// keyframe of the spectator view, or [`ControlReply::SpectatorsFull`]. While anyone
    /// watches, the room's frames carry the spectator part.
    Watch { player: PlayerId, session: SocketId },
    /// The socket `session` of `player` stopped watching (left, or closed). A room counts
    /// watching players, each with the socket it watched through last: the unwatch of an
    /// older socket is ignored.
    Unwatch { player: PlayerId, session: SocketId },
    /// Apply a command at most once per (player, id); the reply carries its outcome.
    Command {
        player: PlayerId,
        id: ClientMsgId,
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    /// These players have a socket attached to the room at this gateway (sent by each
    /// gateway when it sees a new owner's first frame). A restored room disconnects the
    /// seated players that no gateway vouches for, so a room whose players vanished with
    /// their gateways does not keep them seated as connected.
    Present { players: Vec<PlayerId> },
}

/// Why a player is leaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeaveReason {
    /// The connection dropped; the player may come back.
    Disconnected,
    /// The player asked to leave.
    Left,
    /// The room's creator removed the player: applies whichever socket they are on.
    Kicked,
}

impl LeaveReason {
    /// Whether this leave speaks for the player whatever socket they are on now. A socket's
    /// own leave does not: after a reconnect, a late leave from the older socket is ignored.
    pub fn overrides_sockets(self) -> bool {
        matches!(self, LeaveReason::Kicked)
    }
}

/// The owner's answer on the control subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlReply {
    /// Seated (or resynced): the keyframe is the room at its current tick.
    Keyframe { tick_hz: u16, last_input: Option<InputSeq>, frame: StateFrame },
    /// Done.
    Ok,
    /// The room refused.
    Refused { reason: String },
    /// What became of a command (the same answer again for a resent one).
    CommandAck { outcome: CommandOutcome },
    /// The room has as many spectators as its owner allows (`limit`).
    SpectatorsFull { limit: u32 },
}

/// `player.<id>.events`: what a gateway tells the gateway serving a player.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlayerEvent {
    /// The matchmaker placed the player in `room`.
    Placed { room: RoomId },
    /// The room's creator kicked the player from `room`.
    Kicked { room: RoomId },
    /// The player's socket `socket` joined `room` at `at_ms` (Unix ms): any other socket of
    /// theirs that joined that room earlier is replaced (closed with `close::REPLACED`).
    Joined { room: RoomId, socket: SocketId, at_ms: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::client::ServerMsg;
    use crate::protocol::encode;

    #[test]
    fn a_frame_encoded_for_a_player_is_byte_for_byte_the_owned_message() {
        let (ada, bob) = (PlayerId::random(), PlayerId::random());
        let frame = StateFrame {
            room: RoomId(42),
            epoch: Epoch(3),
            tick: Tick(70_000),
            kind: FrameKind::Delta { base: Tick(69_999) },
            acks: vec![(ada, InputSeq(900))],
            input_waits_us: vec![(ada, 1_234)],
            payload: vec![1, 2, 3, 250],
            parts: Parts::Shared,
        };
        for player in [ada, bob] {
            let owned = frame.for_viewer(Viewer::Player(player)).expect("a shared frame is for everybody");
            assert_eq!(owned.payload, frame.payload);
            assert_eq!(frame.encode_for(Viewer::Player(player)), Some(encode(&ServerMsg::Frame(owned))));
        }
    }

    #[test]
    fn a_frame_with_views_is_written_for_a_viewer_as_the_shared_part_and_its_own_part_only() {
        let (ada, bob, cy) = (PlayerId::random(), PlayerId::random(), PlayerId::random());
        let [ada_v, bob_v, cy_v] = [ada, bob, cy].map(Viewer::Player);
        // A part of 200 bytes makes the payload's length a two-byte varint.
        let frame = StateFrame {
            room: RoomId(42),
            epoch: Epoch(3),
            tick: Tick(70_000),
            kind: FrameKind::Keyframe,
            acks: vec![(ada, InputSeq(900))],
            input_waits_us: vec![],
            payload: vec![9, 9],
            parts: Parts::PerViewer(vec![
                ViewPart { viewer: ada_v, bytes: vec![0xA; 200] },
                ViewPart { viewer: bob_v, bytes: vec![0xB] },
                ViewPart { viewer: Viewer::Spectator, bytes: vec![0x5] },
            ]),
        };
        let for_ada = frame.for_viewer(ada_v).expect("ada has a part");
        assert_eq!(for_ada.payload, [vec![9, 9], vec![0xA; 200]].concat());
        assert_eq!(frame.encode_for(ada_v), Some(encode(&ServerMsg::Frame(for_ada))));
        let for_bob = frame.for_viewer(bob_v).expect("bob has a part");
        assert_eq!(for_bob.payload, vec![9, 9, 0xB]);
        assert_eq!(frame.encode_for(bob_v), Some(encode(&ServerMsg::Frame(for_bob))));
        let watched = frame.for_viewer(Viewer::Spectator).expect("the spectators have a part");
        assert_eq!((watched.payload.as_slice(), watched.ack), (&[9, 9, 0x5][..], None), "the spectator part, no player's ack");
        assert_eq!(frame.encode_for(Viewer::Spectator), Some(encode(&ServerMsg::Frame(watched))));
        assert_eq!(frame.encode_for(cy_v), None, "no part, nothing: not even the shared part");
        assert!(frame.for_viewer(cy_v).is_none());

        let mut kept = frame.clone();
        kept.retain_parts(|v| v == bob_v);
        assert_eq!(kept.own_part(ada_v), None, "ada's part is gone");
        assert_eq!(kept.encode_for(Viewer::Spectator), None, "so is the spectators'");
        assert_eq!(kept.encode_for(bob_v), frame.encode_for(bob_v));
    }

    #[test]
    fn the_applied_input_pairs_the_ack_with_its_wait() {
        let (ada, bob, cy) = (PlayerId::random(), PlayerId::random(), PlayerId::random());
        let frame = StateFrame {
            room: RoomId(1),
            epoch: Epoch(1),
            tick: Tick(2),
            kind: FrameKind::Keyframe,
            acks: vec![(ada, InputSeq(7)), (bob, InputSeq(3))],
            input_waits_us: vec![(ada, 1_500)],
            payload: vec![],
            parts: Parts::Shared,
        };
        let applied = frame.applied_input_of(ada).expect("ada's input was applied this tick");
        assert_eq!(applied, AppliedInput { seq: InputSeq(7), waited_us: 1_500 });
        // Bob's last input was applied by an earlier tick; Cy never sent one.
        assert_eq!(frame.applied_input_of(bob), None);
        assert_eq!(frame.applied_input_of(cy), None);
    }
}
