//! The world as clients see it: ships by slot, bullets, pickups, black holes, phase and
//! clock. It is both the server's kinematic state and the client's [`crate::ArenaView`];
//! keyframes are this struct, deltas are differences between two of them.
//!
//! [`World::validate`] is the bound every decoded world must satisfy (so that replaying
//! kinematics on it can never overflow) and every server world satisfies (invariant I7).

use crate::config::{MAX_SLOTS, Physics};
use crate::fixed::Vec2;
use crate::wire::DecodeError;
use orrery_common::PlayerId;
use orrery_common::game::Phase;
use serde::{Deserialize, Serialize};

/// Largest arena side in sub-units (16384 units).
pub const MAX_COORD: i32 = 1 << 22;
/// Largest speed component, sub-units per tick.
pub const MAX_SPEED_COMPONENT: i32 = 1 << 18;
/// Longest display name, in bytes.
pub const MAX_NAME_BYTES: usize = 32;
const MAX_BULLETS: usize = 4096;
const MAX_PICKUPS: usize = 256;
/// Most black holes in a world. `arena-large` places them in proportion to its area, 26 at
/// its 64 seats (`ArenaConfig::large`); 32 is the round bound above that (it was 16 while
/// that mode was capped at 12). Gravity looks only at the holes near each body when there
/// are many (`kinematics::HoleCells`), so a tick's cost follows the holes per area, not
/// this bound.
pub const MAX_BLACK_HOLES: usize = 32;

/// A ship's seat number: a small index used instead of the player id in deltas.
pub type Slot = u8;

/// One player's ship.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ship {
    // Identity.
    pub player: PlayerId,
    pub name: String,
    /// `0xRRGGBB`.
    pub colour: u32,
    // Intent, as last applied: the client replays the ship's motion from it.
    /// Quantised turn, −127..=127 (positive turns toward increasing angle).
    pub turn: i8,
    pub thrust: bool,
    pub fire: bool,
    // Kinematics.
    pub pos: Vec2,
    pub vel: Vec2,
    pub angle: u16,
    /// Ticks until thrust works again (0: ready).
    pub thrust_cooldown: u16,
    /// Ticks until the gun works again (0: ready).
    pub fire_cooldown: u16,
    // Rules.
    pub health: u16,
    pub score: i32,
    pub kills: u16,
    pub alive: bool,
    pub connected: bool,
}

impl Clone for Ship {
    fn clone(&self) -> Self {
        let mut ship = Ship::seated(self.player, self.name.clone(), self.colour);
        ship.clone_from(self);
        ship
    }

    /// Keeps the name's allocation (views and predictions copy every ship every tick).
    fn clone_from(&mut self, from: &Self) {
        let Ship {
            player,
            name,
            colour,
            turn,
            thrust,
            fire,
            pos,
            vel,
            angle,
            thrust_cooldown,
            fire_cooldown,
            health,
            score,
            kills,
            alive,
            connected,
        } = from;
        // Most copies are of the same seat: comparing is cheaper than copying.
        if self.name != *name {
            self.name.clone_from(name);
        }
        (self.player, self.colour, self.turn, self.thrust, self.fire) = (*player, *colour, *turn, *thrust, *fire);
        (self.pos, self.vel, self.angle, self.thrust_cooldown, self.fire_cooldown) = (*pos, *vel, *angle, *thrust_cooldown, *fire_cooldown);
        (self.health, self.score, self.kills, self.alive, self.connected) = (*health, *score, *kills, *alive, *connected);
    }
}

impl Ship {
    /// A seat with identity only: what a delta creates before it fills the rest in.
    pub fn seated(player: PlayerId, name: String, colour: u32) -> Self {
        Self {
            player,
            name,
            colour,
            turn: 0,
            thrust: false,
            fire: false,
            pos: Vec2::ZERO,
            vel: Vec2::ZERO,
            angle: 0,
            thrust_cooldown: 0,
            fire_cooldown: 0,
            health: 0,
            score: 0,
            kills: 0,
            alive: false,
            connected: false,
        }
    }

    /// Same player, name and colour.
    pub fn same_seat(&self, other: &Ship) -> bool {
        self.player == other.player && self.name == other.name && self.colour == other.colour
    }
}

/// A bullet in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bullet {
    pub id: u32,
    /// Slot of the ship that fired it.
    pub owner: Slot,
    pub pos: Vec2,
    pub vel: Vec2,
    /// Ticks left to live.
    pub ttl: u16,
}

/// What a pickup gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PickupKind {
    Health,
    Score,
}

/// A pickup waiting on the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pickup {
    pub id: u32,
    pub kind: PickupKind,
    pub pos: Vec2,
}

/// A black hole: pulls ships and bullets, destroys what reaches its core.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackHole {
    pub pos: Vec2,
    pub core_radius: i32,
}

/// The shared state of a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct World {
    pub physics: Physics,
    /// Steps taken since the room was created.
    pub tick: u64,
    pub phase: Phase,
    /// Ticks left in the countdown, the match (time limit) or the float after it.
    pub phase_ticks_left: u32,
    /// Indexed by [`Slot`]; the length is the number of seats.
    pub ships: Vec<Option<Ship>>,
    /// In firing order.
    pub bullets: Vec<Bullet>,
    pub pickups: Vec<Pickup>,
    pub black_holes: Vec<BlackHole>,
    /// Id of the next bullet fired.
    pub next_bullet_id: u32,
}

impl World {
    /// An empty lobby.
    pub fn new(physics: Physics, seats: u8, black_holes: Vec<BlackHole>) -> Self {
        Self {
            physics,
            tick: 0,
            phase: Phase::Lobby,
            phase_ticks_left: 0,
            ships: vec![None; usize::from(seats)],
            bullets: Vec::new(),
            pickups: Vec::new(),
            black_holes,
            next_bullet_id: 0,
        }
    }

    /// The ships that are seated, with their slots.
    pub fn seated(&self) -> impl Iterator<Item = (Slot, &Ship)> {
        self.ships.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (i as Slot, s)))
    }

    /// The slot of `player`'s ship.
    pub fn slot_of(&self, player: PlayerId) -> Option<Slot> {
        self.seated().find(|(_, s)| s.player == player).map(|(slot, _)| slot)
    }

    /// Seated ships.
    pub fn seated_count(&self) -> usize {
        self.ships.iter().flatten().count()
    }

    /// Ships still alive.
    pub fn alive_count(&self) -> usize {
        self.ships.iter().flatten().filter(|s| s.alive).count()
    }

    /// Reuses `other`'s allocations where it can (this runs every tick).
    pub fn copy_from(&mut self, other: &World) {
        self.physics.clone_from(&other.physics);
        self.tick = other.tick;
        self.phase = other.phase;
        self.phase_ticks_left = other.phase_ticks_left;
        self.ships.clone_from(&other.ships);
        self.bullets.clone_from(&other.bullets);
        self.pickups.clone_from(&other.pickups);
        self.black_holes.clone_from(&other.black_holes);
        self.next_bullet_id = other.next_bullet_id;
    }

    /// Checks the bounds that keep every computation on this world finite and exact.
    pub fn validate(&self) -> Result<(), DecodeError> {
        let p = &self.physics;
        let check = |ok: bool, what: &'static str| {
            if ok { Ok(()) } else { Err(DecodeError::OutOfBounds(what)) }
        };
        let small = |v: i32| (0..=MAX_SPEED_COMPONENT).contains(&v);
        check(p.tick_hz > 0, "tick rate")?;
        check((1..=MAX_COORD).contains(&p.width) && (1..=MAX_COORD).contains(&p.height), "arena size")?;
        for v in [
            p.ship_radius,
            p.ship_max_speed,
            p.thrust_impulse,
            p.bullet_speed,
            p.bullet_max_speed,
            p.bullet_radius,
            p.gravity_max_accel,
            p.pickup_radius,
        ] {
            check(small(v), "physics constant")?;
        }
        check((0..=1024).contains(&p.drag_q10) && (0..=1024).contains(&p.turn_step), "drag or turn")?;
        check((0..=1 << 52).contains(&p.gravity), "gravity")?;
        check((1..=MAX_COORD).contains(&p.gravity_min_distance), "gravity clamp")?;
        check(self.ships.len() <= usize::from(MAX_SLOTS), "seats")?;
        check(self.bullets.len() <= MAX_BULLETS, "bullets")?;
        check(self.pickups.len() <= MAX_PICKUPS, "pickups")?;
        check(self.black_holes.len() <= MAX_BLACK_HOLES, "black holes")?;
        let inside = |v: Vec2| (0..=p.width).contains(&v.x) && (0..=p.height).contains(&v.y);
        let speed = |v: Vec2| v.x.abs() <= MAX_SPEED_COMPONENT && v.y.abs() <= MAX_SPEED_COMPONENT;
        for ship in self.ships.iter().flatten() {
            check(inside(ship.pos) && speed(ship.vel), "ship")?;
            check(ship.health <= p.max_health, "ship health")?;
            check(ship.name.len() <= MAX_NAME_BYTES && ship.colour <= 0xFF_FFFF, "ship identity")?;
        }
        for b in &self.bullets {
            check(inside(b.pos) && speed(b.vel), "bullet")?;
        }
        for pickup in &self.pickups {
            check(inside(pickup.pos), "pickup")?;
        }
        for hole in &self.black_holes {
            check(inside(hole.pos) && small(hole.core_radius), "black hole")?;
        }
        Ok(())
    }
}
