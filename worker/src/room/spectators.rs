//! Who watches a room without a seat, and how many may (`--max-spectators-per-room`).
//!
//! The limit counts players, as seats do: each watching player is registered with the
//! socket it watched through most recently, so a player who watches again through another
//! socket (after its gateway died, say) takes its own place back instead of leaking one,
//! and a late `Unwatch` of an older socket is ignored. (A player's other sockets still
//! watching are given frames while anyone is registered; when nobody is, a frame without
//! the spectator part makes their gateway watch again for them.) While anyone watches, the room's
//! frames carry the spectator part ([`super::views`]); with nobody watching it is not
//! encoded at all. Who watches is not in snapshots: a restored room starts with nobody,
//! and each spectator's gateway registers it again when the first frame of the new epoch
//! has no spectator part for it (its resync is a watch).

use orrery_common::{PlayerId, SocketId};
use std::collections::BTreeMap;

/// Spectators per room unless the worker is told otherwise.
pub const DEFAULT_MAX_SPECTATORS: u32 = 32;

/// The worker's flag.
#[derive(clap::Args, Clone, Debug)]
pub struct SpectatorArgs {
    /// Players that may watch one room without a seat at once (0: nobody may watch).
    #[arg(long, env = "ORRERY_MAX_SPECTATORS_PER_ROOM", default_value_t = DEFAULT_MAX_SPECTATORS)]
    pub max_spectators_per_room: u32,
}

/// One room's spectators.
#[derive(Debug)]
pub struct Spectators {
    limit: u32,
    /// Each watching player and the socket it watched through most recently.
    watching: BTreeMap<PlayerId, SocketId>,
}

impl Default for Spectators {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_SPECTATORS)
    }
}

/// The room has `limit` spectators already.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the room has as many spectators as it takes ({limit})")]
pub struct Full {
    pub limit: u32,
}

impl Spectators {
    pub fn new(limit: u32) -> Self {
        Self { limit, watching: BTreeMap::new() }
    }

    /// `player` watches through its socket `session` (again, or through another socket: it
    /// keeps its place), unless the room is full.
    pub fn watch(&mut self, player: PlayerId, session: SocketId) -> Result<(), Full> {
        if !self.watching.contains_key(&player) && self.watching.len() >= self.limit as usize {
            return Err(Full { limit: self.limit });
        }
        self.watching.insert(player, session);
        Ok(())
    }

    /// `player`'s socket `session` stopped watching: the player's place goes, unless it
    /// watches through a newer socket.
    pub fn unwatch(&mut self, player: PlayerId, session: SocketId) {
        if self.watching.get(&player) == Some(&session) {
            self.watching.remove(&player);
        }
    }

    /// Whether anyone watches (the frames then carry the spectator part).
    pub fn any(&self) -> bool {
        !self.watching.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_players_and_a_player_watching_again_keeps_its_place() {
        let (ada, bob, cy) = (PlayerId::random(), PlayerId::random(), PlayerId::random());
        let mut s = Spectators::new(2);
        assert!(!s.any());
        assert_eq!(s.watch(ada, SocketId(1)), Ok(()));
        assert_eq!(s.watch(ada, SocketId(1)), Ok(()), "a resync watches again");
        assert_eq!(s.watch(bob, SocketId(2)), Ok(()));
        assert_eq!(s.watch(cy, SocketId(3)), Err(Full { limit: 2 }));
        // Ada's gateway died; she watches through another socket: still her place.
        assert_eq!(s.watch(ada, SocketId(4)), Ok(()));
        s.unwatch(ada, SocketId(1));
        assert_eq!(s.watch(cy, SocketId(3)), Err(Full { limit: 2 }), "the old socket's late unwatch is ignored");
        s.unwatch(ada, SocketId(4));
        assert_eq!(s.watch(cy, SocketId(3)), Ok(()), "her place is given to cy");
        s.unwatch(bob, SocketId(2));
        s.unwatch(cy, SocketId(3));
        assert!(!s.any());
        assert_eq!(Spectators::new(0).watch(ada, SocketId(1)), Err(Full { limit: 0 }));
    }
}
