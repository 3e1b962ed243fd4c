//! The motion of one tick, shared by the server and every client: turning, thrust
//! kicks, gravity, drag, the speed limit, walls, firing, bullet flight and expiry,
//! cooldowns and the phase clock.
//!
//! This is a pure function of the quantised [`World`] (ships' intents included), so a
//! client that holds the previous world replays it exactly and a delta only needs to
//! carry what the *rules* decided (hits, deaths, pickups, phases, joins) and intent
//! changes. Nothing here is random and nothing here scores.
//!
//! A world with many bodies looks only at the black holes near each (`holes.rs`): the
//! same motion, bit for bit, for a fraction of the work.

mod holes;

use crate::config::Physics;
use crate::fixed::{Vec2, direction, isqrt};
use crate::seats::Seats;
use crate::world::{BlackHole, Bullet, Ship, Slot, World};
pub(crate) use holes::HoleCells;
use orrery_common::game::Phase;

impl World {
    /// Advances the motion by one tick.
    pub fn advance(&mut self) {
        // A world with many bodies looks only at the holes near each (the same motion).
        let bodies = self.bullets.len() + self.ships.len();
        let cells = HoleCells::worth_building(bodies, &self.black_holes, &self.physics);
        self.advance_in(cells.as_ref());
    }

    /// [`Self::advance`] looking only at the holes `cells` (built for this world's holes
    /// and physics) give near each body: the same motion.
    pub(crate) fn advance_in(&mut self, cells: Option<&HoleCells>) {
        self.advance_with(|bullets, physics, holes| fly_bullets(bullets, physics, holes, cells), cells, None, None);
    }

    /// [`Self::advance`] with the bullets' flight done by `fly` (which must leave them as
    /// [`Self::advance`] would): a large room flies its bullets once, and every view's
    /// prediction looks its own up. Ships look only at the holes `cells` (built for this
    /// world's holes and physics) give for where they are, when given.
    /// `seats`, when given, are the occupied slots (`Seats::of(&self.ships)`): only they are
    /// visited, not every seat of the room. `moved`, when given, names slots whose ship is
    /// known to end the tick as in the given ships (`rules::MovedShips`): those are not
    /// moved (this world's ship stays as it was), only their shots are fired, from the
    /// given ship.
    pub(crate) fn advance_with(
        &mut self,
        fly: impl FnOnce(&mut Vec<Bullet>, &Physics, &[BlackHole]),
        cells: Option<&HoleCells>,
        seats: Option<Seats>,
        moved: Option<(Seats, &[Option<Ship>])>,
    ) {
        self.tick = self.tick.wrapping_add(1);
        self.phase_ticks_left = self.phase_ticks_left.saturating_sub(1);
        let moving = matches!(self.phase, Phase::Running | Phase::Over);
        let firing = self.phase == Phase::Running;
        if self.phase == Phase::Closable {
            return;
        }
        let World { physics, black_holes: holes, ships, bullets, next_bullet_id, .. } = self;
        fly(bullets, physics, holes);
        let mut advance_ship = |slot: usize, ship: &mut Option<Ship>| {
            let Some(ship) = ship.as_mut().filter(|s| s.alive) else {
                return;
            };
            if let Some((_, ships)) = moved.filter(|(slots, _)| slots.contains(slot)) {
                // As steering and firing below would: the cooldown is down to zero this tick.
                if firing
                    && ship.fire
                    && ship.fire_cooldown.saturating_sub(1) == 0
                    && let Some(Some(moved)) = ships.get(slot)
                {
                    bullets.push(spawn_bullet(moved, slot as Slot, *next_bullet_id, physics));
                    *next_bullet_id = next_bullet_id.wrapping_add(1);
                }
                return;
            }
            steer_ship(ship, physics);
            if moving {
                move_ship(ship, physics, cells.map_or(holes, |cells| cells.near(ship.pos, holes)));
            }
            if firing && ship.fire && ship.fire_cooldown == 0 {
                ship.fire_cooldown = physics.fire_cooldown;
                bullets.push(spawn_bullet(ship, slot as Slot, *next_bullet_id, physics));
                *next_bullet_id = next_bullet_id.wrapping_add(1);
            }
        };
        // In slot order: the given seats, or every slot.
        match seats {
            Some(seats) => {
                for slot in seats.slots() {
                    if let Some(ship) = ships.get_mut(slot) {
                        advance_ship(slot, ship);
                    }
                }
            }
            None => ships.iter_mut().enumerate().for_each(|(slot, ship)| advance_ship(slot, ship)),
        }
    }
}

/// Whether [`World::advance`] makes `ship` fire this tick, in a world in `phase`, with the
/// fire intent `fire` (applied before the tick).
pub(crate) fn fires_this_tick(ship: &Ship, fire: bool, phase: Phase) -> bool {
    phase == Phase::Running && ship.alive && fire && ship.fire_cooldown.saturating_sub(1) == 0
}

/// Cooldowns and the turn, which work in every phase (players may aim in the lobby).
fn steer_ship(ship: &mut Ship, physics: &Physics) {
    ship.thrust_cooldown = ship.thrust_cooldown.saturating_sub(1);
    ship.fire_cooldown = ship.fire_cooldown.saturating_sub(1);
    let turn = i32::from(ship.turn) * physics.turn_step;
    ship.angle = ship.angle.wrapping_add(turn as u16);
}

fn move_ship(ship: &mut Ship, physics: &Physics, holes: &[BlackHole]) {
    let mut vel = ship.vel;
    if ship.thrust && ship.thrust_cooldown == 0 {
        ship.thrust_cooldown = physics.thrust_cooldown;
        vel = vel.wrapping_add(direction(ship.angle, physics.thrust_impulse));
    }
    vel = vel.wrapping_add(gravity(ship.pos, holes, physics));
    vel = Vec2::new(drag(vel.x, physics.drag_q10), drag(vel.y, physics.drag_q10));
    vel = vel.clamp_length(physics.ship_max_speed);
    let (pos, vel) = bounce(ship.pos.wrapping_add(vel), vel, physics.ship_radius, physics);
    ship.pos = pos;
    ship.vel = vel;
}

/// Moves every bullet by one tick and drops those that are gone (lifetime, wall, core);
/// with `cells`, each looks only at the holes that can pull it where it starts the tick and
/// at the cores that can hold it where it lands (the same result, see [`HoleCells`]).
fn fly_bullets(bullets: &mut Vec<Bullet>, physics: &Physics, holes: &[BlackHole], cells: Option<&HoleCells>) {
    match cells {
        Some(cells) => bullets.retain_mut(|b| {
            let (near, cores) = cells.near_and_cores(b.pos, holes);
            fly_bullet(b, physics, near, cores)
        }),
        None => bullets.retain_mut(|b| fly_bullet(b, physics, holes, holes)),
    }
}

/// Moves a bullet; `false` when it is gone (lifetime, wall or black-hole core). `holes`
/// must hold every hole that can pull the bullet where it is, `cores` every hole whose
/// core can hold it where it lands.
#[inline(always)]
fn fly_bullet(bullet: &mut Bullet, physics: &Physics, holes: &[BlackHole], cores: &[BlackHole]) -> bool {
    bullet.ttl = bullet.ttl.saturating_sub(1);
    if bullet.ttl == 0 {
        return false;
    }
    bullet.vel = bullet.vel.wrapping_add(gravity(bullet.pos, holes, physics)).clamp_length(physics.bullet_max_speed);
    bullet.pos = bullet.pos.wrapping_add(bullet.vel);
    let p = bullet.pos;
    let inside = (0..=physics.width).contains(&p.x) && (0..=physics.height).contains(&p.y);
    inside && !in_any_core(p, cores)
}

fn spawn_bullet(ship: &Ship, owner: Slot, id: u32, physics: &Physics) -> Bullet {
    let muzzle = direction(ship.angle, physics.ship_radius + physics.bullet_radius + 1);
    let vel = ship.vel.wrapping_add(direction(ship.angle, physics.bullet_speed)).clamp_length(physics.bullet_max_speed);
    let pos = ship.pos.wrapping_add(muzzle);
    let pos = Vec2::new(pos.x.clamp(0, physics.width), pos.y.clamp(0, physics.height));
    Bullet { id, owner, pos, vel, ttl: physics.bullet_lifetime }
}

/// Whether `pos` is inside a black hole's core.
pub fn in_any_core(pos: Vec2, holes: &[BlackHole]) -> bool {
    holes.iter().any(|h| {
        let r = i64::from(h.core_radius);
        pos.distance_squared(h.pos) <= r * r
    })
}

/// The pull of all black holes at `pos`: `G / max(d, d_min)²`, at most the clamp,
/// toward each centre; truncated toward zero.
#[inline(always)]
fn gravity(pos: Vec2, holes: &[BlackHole], physics: &Physics) -> Vec2 {
    let mut accel = Vec2::ZERO;
    let min_d = i64::from(physics.gravity_min_distance);
    for hole in holes {
        let dx = i64::from(hole.pos.x) - i64::from(pos.x);
        let dy = i64::from(hole.pos.y) - i64::from(pos.y);
        let d2 = dx * dx + dy * dy;
        // Beyond √G the pull truncates to zero: skipping the square root and the divisions
        // there gives the same result (most bodies are that far from most holes).
        // Written as a range (d2 is a sum of squares, never negative) and with `max(1)` on
        // the root (at least 1 here): the divisors below are then provably positive and the
        // divisions carry no zero or overflow checks.
        if !(1..=physics.gravity).contains(&d2) {
            continue;
        }
        let d = (isqrt(d2 as u64) as i64).max(1);
        let a = (physics.gravity / d2.max(min_d * min_d)).min(i64::from(physics.gravity_max_accel));
        accel = accel.wrapping_add(Vec2::new((a * dx / d) as i32, (a * dy / d) as i32));
    }
    accel
}

/// Drag on one component: a fraction plus one sub-unit, never past zero.
fn drag(v: i32, drag_q10: i32) -> i32 {
    let loss = (i64::from(v) * i64::from(drag_q10) / 1024) as i32 + v.signum();
    if loss.abs() >= v.abs() { 0 } else { v - loss }
}

/// Keeps a body of `radius` inside the arena, reflecting (and halving) the velocity
/// component that hit a wall.
fn bounce(pos: Vec2, vel: Vec2, radius: i32, physics: &Physics) -> (Vec2, Vec2) {
    let axis = |p: i32, v: i32, max: i32| {
        let (lo, hi) = (radius.min(max / 2), (max - radius).max(max / 2));
        if p < lo {
            (lo, (-v) / 2)
        } else if p > hi {
            (hi, (-v) / 2)
        } else {
            (p, v)
        }
    };
    let (x, vx) = axis(pos.x, vel.x, physics.width);
    let (y, vy) = axis(pos.y, vel.y, physics.height);
    (Vec2::new(x, y), Vec2::new(vx, vy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArenaConfig;
    use orrery_common::PlayerId;

    fn running_world_with_ship() -> World {
        let config = ArenaConfig::default();
        let mut world = World::new(config.physics.clone(), 2, Vec::new());
        world.phase = Phase::Running;
        let mut ship = Ship::seated(PlayerId(uuid::Uuid::from_u128(1)), "a".into(), 0);
        ship.alive = true;
        ship.pos = Vec2::new(world.physics.width / 2, world.physics.height / 2);
        world.ships[0] = Some(ship);
        world
    }

    #[test]
    fn thrust_kicks_then_waits_for_the_cooldown() {
        let mut world = running_world_with_ship();
        world.ships[0].as_mut().unwrap().thrust = true;
        world.advance();
        let ship = world.ships[0].as_ref().unwrap();
        assert!(ship.vel.x > 0, "kick along angle 0");
        assert_eq!(ship.thrust_cooldown, world.physics.thrust_cooldown);
        let speed_after_kick = ship.vel.x;
        world.advance();
        assert!(world.ships[0].as_ref().unwrap().vel.x < speed_after_kick, "drag, no second kick");
    }

    #[test]
    fn fires_this_tick_says_what_advance_does() {
        for (alive, fire, cooldown, phase) in [
            (true, true, 0, Phase::Running),
            (true, true, 1, Phase::Running),
            (true, true, 2, Phase::Running),
            (false, true, 0, Phase::Running),
            (true, false, 0, Phase::Running),
            (true, true, 0, Phase::Countdown),
            (true, true, 1, Phase::Over),
        ] {
            let mut world = running_world_with_ship();
            world.phase = phase;
            let ship = world.ships[0].as_mut().unwrap();
            (ship.alive, ship.fire, ship.fire_cooldown) = (alive, fire, cooldown);
            let predicted = fires_this_tick(ship, fire, phase);
            world.advance();
            assert_eq!(predicted, world.bullets.len() == 1, "{alive} {fire} {cooldown} {phase:?}");
        }
    }

    #[test]
    fn drag_brings_ships_to_rest() {
        let mut world = running_world_with_ship();
        world.ships[0].as_mut().unwrap().vel = Vec2::new(2000, -1500);
        for _ in 0..2000 {
            world.advance();
        }
        assert_eq!(world.ships[0].as_ref().unwrap().vel, Vec2::ZERO);
    }

    #[test]
    fn walls_keep_ships_inside() {
        let mut world = running_world_with_ship();
        let ship = world.ships[0].as_mut().unwrap();
        ship.pos = Vec2::new(10, 10);
        ship.vel = Vec2::new(-2000, -2000);
        world.advance();
        let ship = world.ships[0].as_ref().unwrap();
        assert_eq!(ship.pos, Vec2::new(world.physics.ship_radius, world.physics.ship_radius));
        assert!(ship.vel.x > 0 && ship.vel.y > 0);
    }

    #[test]
    fn firing_spawns_bullets_that_expire() {
        let mut world = running_world_with_ship();
        world.ships[0].as_mut().unwrap().fire = true;
        world.advance();
        assert_eq!(world.bullets.len(), 1);
        assert_eq!(world.next_bullet_id, 1);
        world.ships[0].as_mut().unwrap().fire = false;
        for _ in 0..world.physics.bullet_lifetime {
            world.advance();
        }
        assert!(world.bullets.is_empty());
    }

    /// The pull without the early exit for far bodies, as the formula reads.
    fn gravity_by_the_formula(pos: Vec2, holes: &[BlackHole], physics: &Physics) -> Vec2 {
        let mut accel = Vec2::ZERO;
        let min_d = i64::from(physics.gravity_min_distance);
        for hole in holes {
            let (dx, dy) = (i64::from(hole.pos.x) - i64::from(pos.x), i64::from(hole.pos.y) - i64::from(pos.y));
            let d2 = dx * dx + dy * dy;
            if d2 == 0 {
                continue;
            }
            let d = isqrt(d2 as u64) as i64;
            let a = (physics.gravity / d2.max(min_d * min_d)).min(i64::from(physics.gravity_max_accel));
            accel = accel.wrapping_add(Vec2::new((a * dx / d) as i32, (a * dy / d) as i32));
        }
        accel
    }

    #[test]
    fn gravity_skips_far_holes_without_changing_the_pull() {
        let physics = ArenaConfig::large(30, 64).physics;
        let holes = [
            BlackHole { pos: Vec2::new(300_000, 200_000), core_radius: 10 },
            BlackHole { pos: Vec2::new(700_000, 650_000), core_radius: 10 },
        ];
        let reach = crate::fixed::isqrt(physics.gravity as u64) as i32;
        let mut rng = crate::rng::RoomRng::from_seed(5);
        for _ in 0..20_000 {
            let pos = Vec2::new(rng.range_i32(0, physics.width), rng.range_i32(0, physics.height));
            assert_eq!(gravity(pos, &holes, &physics), gravity_by_the_formula(pos, &holes, &physics), "{pos:?}");
        }
        // Right at the edge of the reach, on both sides.
        for d in reach - 2..=reach + 2 {
            let pos = Vec2::new(300_000 - d, 200_000);
            assert_eq!(gravity(pos, &holes, &physics), gravity_by_the_formula(pos, &holes, &physics), "{d}");
        }
    }

    #[test]
    fn gravity_pulls_toward_the_hole_and_is_clamped() {
        let config = ArenaConfig::default();
        let hole = BlackHole { pos: Vec2::new(100_000, 100_000), core_radius: 10 };
        let far = gravity(Vec2::new(100_000 - 50_000, 100_000), std::slice::from_ref(&hole), &config.physics);
        let near = gravity(Vec2::new(100_000 - 20, 100_000), std::slice::from_ref(&hole), &config.physics);
        assert!(far.x > 0 && far.y == 0);
        assert!(near.x <= config.physics.gravity_max_accel && near.x > far.x);
    }
}
