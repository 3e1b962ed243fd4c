//! The server's rules, one concern per file, all as `impl Room` blocks: seats and
//! reconnects ([`seats`]), where things appear ([`spawn`]), bullets and black-hole
//! cores ([`combat`]), pickups ([`pickups`]), the match's phases ([`phase`]) and the
//! final ranking ([`ranking`]). [`Room::step`] runs them in order around the shared
//! kinematics.

pub mod combat;
mod moved;
pub mod phase;
pub mod pickups;
pub mod ranking;
pub mod seats;
pub mod spawn;

pub use moved::MovedShips;

use crate::state::Room;
use crate::wire::delta;
use crate::world::{Bullet, World};
use orrery_common::game::{GameEvent, Phase};

/// What a step writes besides the world.
pub enum StepOutput<'a> {
    /// The delta of the whole world against what clients hold, into `Room::last_delta`
    /// (a room where everybody is sent everything).
    Delta,
    /// The bullets of the world before the step, flown one tick and sorted by id, for
    /// per-player views to predict from (see `World::advance_flown`), and which ships the
    /// step left as moved ([`MovedShips`]); no whole-world delta, which such a room never
    /// sends.
    Flown(&'a mut Vec<Bullet>, &'a mut MovedShips),
}

impl Room {
    /// One tick: intents, motion, rules, phase; then what `output` asks for.
    pub fn step(&mut self, scratch: &mut World, events: &mut Vec<GameEvent>, mut output: StepOutput<'_>) {
        self.apply_pending_intents();
        let fired_from = self.world.next_bullet_id;
        if let StepOutput::Flown(_, moved) = &mut output {
            moved.before_motion(&self.world, &self.sent);
        }
        self.world.advance();
        if let StepOutput::Flown(flown, moved) = &mut output {
            moved.after_motion(&self.world);
            let fired = self.world.next_bullet_id.wrapping_sub(fired_from);
            let flown = &mut **flown;
            flown.clear();
            flown.extend(self.world.bullets.iter().filter(|b| b.id.wrapping_sub(fired_from) >= fired).cloned());
            flown.sort_unstable_by_key(|b| b.id);
        }
        self.expire_graces();
        if self.world.phase == Phase::Running {
            self.resolve_hits();
            self.resolve_black_hole_cores();
            self.take_pickups();
            self.spawn_pickups();
        }
        self.update_phase();
        if let StepOutput::Flown(_, moved) = &mut output {
            moved.finish(&self.world);
        }
        events.extend(self.pending_events.drain(..).map(|e| e.to_game_event()));
        debug_assert!(self.world.validate().is_ok(), "I7: {:?}", self.world.validate());
        if let StepOutput::Delta = output {
            self.last_delta.clear();
            delta::encode(&self.sent, &self.world, scratch, &mut self.last_delta);
        }
        self.sent.copy_from(&self.world);
    }
}
