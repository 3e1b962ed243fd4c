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

use crate::kinematics::HoleCells;
use crate::state::Room;
use crate::wire::delta;
use crate::world::{Bullet, World};
use orrery_common::game::{GameEvent, Phase};

/// What a step writes besides the world.
pub enum StepOutput<'a> {
    /// The delta of the whole world against what clients hold, into `Room::last_delta`
    /// (a room where everybody is sent everything).
    Delta,
    /// What per-player views predict from ([`ForViews`]); no whole-world delta, which such
    /// a room never sends.
    Flown(ForViews<'a>),
}

/// What a step writes for per-player views, and what they lend it.
pub struct ForViews<'a> {
    /// The bullets of the world before the step, flown one tick and sorted by id.
    pub(crate) flown: &'a mut Vec<Bullet>,
    /// Which ships the step left as moved.
    pub(crate) moved: &'a mut MovedShips,
    /// Black-hole cells the views built, which the motion uses when they are this world's.
    pub(crate) cells: Option<&'a HoleCells>,
}

impl Room {
    /// One tick: intents, motion, rules, phase; then what `output` asks for.
    pub fn step(&mut self, scratch: &mut World, events: &mut Vec<GameEvent>, mut output: StepOutput<'_>) {
        self.apply_pending_intents();
        let fired_from = self.world.next_bullet_id;
        // The views' hole cells, when they are this world's (the rules do not move holes).
        let mut cells = None;
        match &mut output {
            StepOutput::Flown(views) => {
                views.moved.before_motion(&self.world, &self.sent);
                cells = views.cells.filter(|cells| cells.built_for(&self.world.black_holes, &self.world.physics));
                match cells {
                    Some(cells) => self.world.advance_in(Some(cells)),
                    None => self.world.advance(),
                }
                views.moved.after_motion(&self.world);
                let fired = self.world.next_bullet_id.wrapping_sub(fired_from);
                views.flown.clear();
                views.flown.extend(self.world.bullets.iter().filter(|b| b.id.wrapping_sub(fired_from) >= fired).cloned());
                views.flown.sort_unstable_by_key(|b| b.id);
            }
            StepOutput::Delta => self.world.advance(),
        }
        self.expire_graces();
        if self.world.phase == Phase::Running {
            self.resolve_hits();
            self.resolve_black_hole_cores(cells);
            self.take_pickups();
            self.spawn_pickups();
        }
        self.update_phase();
        if let StepOutput::Flown(views) = &mut output {
            views.moved.finish(&self.world, &self.sent);
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
