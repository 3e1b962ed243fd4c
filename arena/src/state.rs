//! [`Room`]: everything a room is, server side: the shared [`World`], what clients were
//! last sent, the generator, seats with their pending input and grace, the standings of
//! the match, pending events and the result. It is exactly what a snapshot stores.

use crate::config::ArenaConfig;
use crate::events::ArenaEvent;
use crate::input::PendingIntent;
use crate::rng::RoomRng;
use crate::rules::spawn;
use crate::world::{Slot, World};
use orrery_common::PlayerId;
use orrery_common::game::PlayerResult;
use serde::{Deserialize, Serialize};

/// Server-side state of one seat (parallel to `World::ships`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    /// Input since the last tick.
    pub pending: PendingIntent,
    /// Set while disconnected: at this tick the ship is removed and counted out.
    pub grace_until: Option<u64>,
}

/// A player's line in the running match (kept when their ship is removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub player: PlayerId,
    pub slot: Slot,
    pub score: i32,
    pub kills: u16,
    /// The tick the player was destroyed or counted out; `None` while in the game.
    pub out_at: Option<u64>,
}

/// One room, server side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Room {
    pub config: ArenaConfig,
    pub world: World,
    /// The world at the end of the last step: what clients hold.
    pub sent: World,
    /// The delta the last step produced.
    pub last_delta: Vec<u8>,
    pub rng: RoomRng,
    pub seats: Vec<Option<Seat>>,
    pub standings: Vec<Standing>,
    pub next_pickup_in: u32,
    pub next_pickup_id: u32,
    /// Consecutive ticks the lobby has been empty.
    pub idle_ticks: u32,
    /// Consecutive ticks the lobby has had players, but fewer than the minimum.
    pub unfilled_ticks: u32,
    /// Events raised between steps, reported by the next step.
    pub pending_events: Vec<ArenaEvent>,
    pub results: Option<Vec<PlayerResult>>,
}

impl Room {
    /// A fresh lobby; black holes are placed from the seed.
    pub fn new(config: ArenaConfig, seed: u64) -> Self {
        let mut rng = RoomRng::from_seed(seed);
        let holes = spawn::place_black_holes(&config, &mut rng);
        let world = World::new(config.physics.clone(), config.max_players, holes);
        Self {
            seats: vec![None; usize::from(config.max_players)],
            sent: world.clone(),
            world,
            config,
            last_delta: vec![0],
            rng,
            standings: Vec::new(),
            next_pickup_in: 0,
            next_pickup_id: 0,
            idle_ticks: 0,
            unfilled_ticks: 0,
            pending_events: Vec::new(),
            results: None,
        }
    }

    pub fn standing_mut(&mut self, player: PlayerId) -> Option<&mut Standing> {
        self.standings.iter_mut().find(|s| s.player == player)
    }
}
