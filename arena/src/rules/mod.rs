//! The server's rules, one concern per file, all as `impl Room` blocks: seats and
//! reconnects ([`seats`]), where things appear ([`spawn`]), bullets and black-hole
//! cores ([`combat`]), pickups ([`pickups`]), the match's phases ([`phase`]) and the
//! final ranking ([`ranking`]). [`Room::step`] runs them in order around the shared
//! kinematics.

pub mod combat;
pub mod phase;
pub mod pickups;
pub mod ranking;
pub mod seats;
pub mod spawn;

use crate::state::Room;
use crate::wire::delta;
use crate::world::World;
use orrery_common::game::{GameEvent, Phase};

impl Room {
    /// One tick: intents, motion, rules, phase; then the delta against what clients hold.
    pub fn step(&mut self, scratch: &mut World, events: &mut Vec<GameEvent>) {
        self.apply_pending_intents();
        self.world.advance();
        self.expire_graces();
        if self.world.phase == Phase::Running {
            self.resolve_hits();
            self.resolve_black_hole_cores();
            self.take_pickups();
            self.spawn_pickups();
        }
        self.update_phase();
        events.extend(self.pending_events.drain(..).map(|e| e.to_game_event()));
        debug_assert!(self.world.validate().is_ok(), "I7: {:?}", self.world.validate());
        self.last_delta.clear();
        delta::encode(&self.sent, &self.world, scratch, &mut self.last_delta);
        self.sent.copy_from(&self.world);
    }
}
