//! Newtypes for the identifiers and counters that cross process boundaries.
//!
//! Rooms are numbered by PostgreSQL (`rooms.id`, a `bigserial`): small on the wire
//! (a varint of two or three bytes in every frame) and readable in subjects and keys.
//! Players are UUIDs (the `sub` of their token). Ticks, epochs and sequences are
//! counters that only go up; keeping them apart in the type system stops a tick
//! from being compared with an epoch.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! counter {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl $name {
            /// The raw value.
            pub const fn get(self) -> $inner {
                self.0
            }
            /// The next value (saturating: a counter never wraps around).
            #[must_use]
            pub const fn next(self) -> Self {
                Self(self.0.saturating_add(1))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$inner> for $name {
            fn from(v: $inner) -> Self {
                Self(v)
            }
        }
    };
}

counter!(
    /// A room, numbered by PostgreSQL.
    RoomId(u64)
);
counter!(
    /// A room's ownership generation: the fencing token issued by PostgreSQL at each claim.
    Epoch(u64)
);
counter!(
    /// A simulation step of one room. Frames are ordered by (epoch, tick).
    Tick(u64)
);
counter!(
    /// The sequence number a client puts on each input; applied at most once, in order.
    InputSeq(u32)
);
counter!(
    /// A client's id for a command it wants acknowledged.
    ClientMsgId(u32)
);

/// One WebSocket as room owners know it: drawn at random per connection by the gateway,
/// so unique across gateways. A player's `Join` and `Leave` carry it, so the owner can
/// ignore a late leave from a socket the player has since replaced. (A gateway's own
/// per-process socket counter, `SessionId` in the gateway's hub, never leaves the gateway:
/// it is not this.)
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SocketId(pub u64);

/// The bare number, as on the wire (the generated examples of `docs/protocol.md` print
/// control requests with `{:?}`).
impl fmt::Debug for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl SocketId {
    /// For requests about a player whatever socket they are on (a kick).
    pub const ANY: SocketId = SocketId(0);
}

/// A position in a room's history: a tick of one epoch. Positions are ordered by epoch,
/// then tick (a new owner's first tick comes after everything of the previous epoch), and
/// this is the one order frames, cursors, resumes and snapshots are compared by. On the
/// wire (postcard) it is the epoch then the tick, as the pair was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct HistoryPos {
    pub epoch: Epoch,
    pub tick: Tick,
}

impl HistoryPos {
    pub const fn new(epoch: Epoch, tick: Tick) -> Self {
        Self { epoch, tick }
    }
}

impl fmt::Display for HistoryPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.epoch, self.tick)
    }
}

impl std::str::FromStr for RoomId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(RoomId)
    }
}

/// A player: the `sub` claim of their token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlayerId(pub uuid::Uuid);

impl PlayerId {
    /// A fresh random id (guests, bots, tests).
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl fmt::Display for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for PlayerId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(PlayerId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_order_and_saturate() {
        assert!(Tick(3) < Tick(4));
        assert_eq!(Tick(u64::MAX).next(), Tick(u64::MAX));
        assert_eq!(Epoch(1).next(), Epoch(2));
    }

    #[test]
    fn history_positions_order_by_epoch_then_tick_and_encode_as_the_pair() {
        let pos = |e, t| HistoryPos::new(Epoch(e), Tick(t));
        assert!(pos(1, 900) < pos(2, 0), "a newer epoch is later whatever its tick");
        assert!(pos(2, 3) < pos(2, 4));
        assert_eq!(postcard::to_allocvec(&pos(2, 300)).unwrap(), postcard::to_allocvec(&(Epoch(2), Tick(300))).unwrap());
    }

    #[test]
    fn room_ids_are_varints_on_the_wire() {
        let bytes = postcard::to_allocvec(&RoomId(300)).unwrap();
        assert_eq!(bytes.len(), 2);
        assert_eq!(postcard::from_bytes::<RoomId>(&bytes).unwrap(), RoomId(300));
    }
}
