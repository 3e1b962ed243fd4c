//! Who a socket in a room's fan-out is: a seated player, or a spectator. The role says
//! which part of a per-viewer frame the socket is written ([`Role::viewer`], I8), whom
//! the hub vouches for with a new owner (players only), and how it asks for a keyframe
//! (a spectator watches again, which re-registers it with an owner that lost it).

use orrery_common::game::Viewer;
use orrery_common::{PlayerId, SocketId};

/// A socket's role in its room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Seated: written the shared part and its player's own part.
    Player(PlayerId),
    /// Watching without a seat: written the shared part and the spectator part. The room's
    /// owner knows it by its player and its socket's id.
    Spectator { player: PlayerId, socket: SocketId },
}

impl Role {
    /// The view this socket is written.
    pub fn viewer(self) -> Viewer {
        match self {
            Role::Player(player) => Viewer::Player(player),
            Role::Spectator { .. } => Viewer::Spectator,
        }
    }

    /// The seated player, for a player's socket.
    pub fn seated(self) -> Option<PlayerId> {
        self.viewer().player()
    }
}
