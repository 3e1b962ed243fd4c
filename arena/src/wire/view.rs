//! [`ArenaView`]: what a client knows of a room, built from a keyframe and kept current
//! with deltas; [`ShipView`] puts one ship in drawing units. In a large room
//! ([`crate::interest`]) the view holds what is near the player's ship, and
//! [`ArenaView::board`] every seat's score.

use super::{DecodeError, delta, keyframe, split};
use crate::fixed::{Vec2, angle_to_radians};
use crate::world::{BlackHole, Bullet, Pickup, Ship, Slot, World};
use orrery_common::PlayerId;
use orrery_common::game::Phase;
use serde::Serialize;

/// A client's copy of the room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArenaView {
    world: World,
    /// In a large room: the part every player receives (see [`Self::board`]).
    board: Option<World>,
}

impl ArenaView {
    /// The view a keyframe describes (a plain one, or a large room's split one).
    pub fn from_keyframe(bytes: &[u8]) -> Result<ArenaView, DecodeError> {
        if bytes.first() == Some(&split::SPLIT_KEYFRAME_FORMAT) {
            return split::decode_keyframe(bytes).map(|(board, world)| ArenaView { world, board: Some(board) });
        }
        keyframe::decode(bytes).map(|world| ArenaView { world, board: None })
    }

    /// Applies the delta of the next tick. On error the view is unchanged (ask for a
    /// keyframe).
    pub fn apply_delta(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        match &mut self.board {
            Some(board) => split::apply_delta(board, &mut self.world, bytes),
            None => delta::apply(&mut self.world, bytes),
        }
    }

    /// In a large room: every seat, with its identity, score, kills and whether it is alive
    /// and connected, but nothing of where it is (ships at rest in the centre; see
    /// [`crate::interest::board`]). `None` in a room where [`Self::world`] holds every ship.
    pub fn board(&self) -> Option<&World> {
        self.board.as_ref()
    }

    /// The raw quantised state.
    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn tick(&self) -> u64 {
        self.world.tick
    }

    pub fn tick_hz(&self) -> u16 {
        self.world.physics.tick_hz
    }

    pub fn phase(&self) -> Phase {
        self.world.phase
    }

    /// Ticks left in the countdown, the match, or the float after it.
    pub fn phase_ticks_left(&self) -> u32 {
        self.world.phase_ticks_left
    }

    /// [`Self::phase_ticks_left`] in seconds.
    pub fn phase_seconds_left(&self) -> f32 {
        self.world.phase_ticks_left as f32 / f32::from(self.tick_hz())
    }

    /// Arena width and height in units.
    pub fn arena_size(&self) -> (f32, f32) {
        Vec2::new(self.world.physics.width, self.world.physics.height).to_units()
    }

    /// Seated ships, by slot.
    pub fn ships(&self) -> impl Iterator<Item = ShipView<'_>> {
        self.world.seated().map(|(slot, ship)| ShipView { slot, ship, view: self })
    }

    pub fn ship_of(&self, player: PlayerId) -> Option<ShipView<'_>> {
        self.ships().find(|s| s.ship.player == player)
    }

    pub fn bullets(&self) -> &[Bullet] {
        &self.world.bullets
    }

    pub fn pickups(&self) -> &[Pickup] {
        &self.world.pickups
    }

    pub fn black_holes(&self) -> &[BlackHole] {
        &self.world.black_holes
    }
}

/// One ship, with values in drawing units.
#[derive(Clone, Copy, Debug)]
pub struct ShipView<'a> {
    pub slot: Slot,
    /// The quantised state.
    pub ship: &'a Ship,
    view: &'a ArenaView,
}

impl ShipView<'_> {
    pub fn player(&self) -> PlayerId {
        self.ship.player
    }

    pub fn name(&self) -> &str {
        &self.ship.name
    }

    /// `0xRRGGBB`.
    pub fn colour(&self) -> u32 {
        self.ship.colour
    }

    /// Units.
    pub fn position(&self) -> (f32, f32) {
        self.ship.pos.to_units()
    }

    /// Units per second.
    pub fn velocity(&self) -> (f32, f32) {
        let (x, y) = self.ship.vel.to_units();
        let hz = f32::from(self.view.tick_hz());
        (x * hz, y * hz)
    }

    /// Radians.
    pub fn angle(&self) -> f32 {
        angle_to_radians(self.ship.angle)
    }

    pub fn health(&self) -> u16 {
        self.ship.health
    }

    /// Health as a fraction of the maximum, for a bar.
    pub fn health_fraction(&self) -> f32 {
        f32::from(self.ship.health) / f32::from(self.view.world.physics.max_health.max(1))
    }

    pub fn score(&self) -> i32 {
        self.ship.score
    }

    pub fn kills(&self) -> u16 {
        self.ship.kills
    }

    pub fn alive(&self) -> bool {
        self.ship.alive
    }

    pub fn connected(&self) -> bool {
        self.ship.connected
    }

    /// Ticks until thrust works again.
    pub fn thrust_cooldown_ticks(&self) -> u16 {
        self.ship.thrust_cooldown
    }

    /// Ticks until the gun works again.
    pub fn fire_cooldown_ticks(&self) -> u16 {
        self.ship.fire_cooldown
    }

    /// Thrust cooldown left as a fraction (1 = just used, 0 = ready), for a bar.
    pub fn thrust_cooldown_fraction(&self) -> f32 {
        f32::from(self.ship.thrust_cooldown) / f32::from(self.view.world.physics.thrust_cooldown.max(1))
    }

    /// Fire cooldown left as a fraction (1 = just fired, 0 = ready), for a bar.
    pub fn fire_cooldown_fraction(&self) -> f32 {
        f32::from(self.ship.fire_cooldown) / f32::from(self.view.world.physics.fire_cooldown.max(1))
    }
}

impl ArenaView {
    /// The view of a world the caller already has (no decoding).
    pub fn from_world(world: World) -> Self {
        Self { world, board: None }
    }
}
