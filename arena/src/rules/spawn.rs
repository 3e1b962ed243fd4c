//! Where things appear: black holes at room creation, ships at join, pickups during the
//! match. All seeded, all clear of black-hole cores (ships by
//! [`ArenaConfig::spawn_clearance`]).

use crate::config::ArenaConfig;
use crate::fixed::Vec2;
use crate::rng::RoomRng;
use crate::world::World;

const ATTEMPTS: usize = 24;

/// A random point at least `margin` from the walls.
fn random_point(config: &ArenaConfig, rng: &mut RoomRng, margin: i32) -> Vec2 {
    let p = &config.physics;
    let mx = margin.min(p.width / 2);
    let my = margin.min(p.height / 2);
    Vec2::new(rng.range_i32(mx, p.width - mx + 1), rng.range_i32(my, p.height - my + 1))
}

/// The candidate farthest (by `score`, a squared distance) from trouble, stopping early
/// at the first that is farther than `enough`.
fn best_point(config: &ArenaConfig, rng: &mut RoomRng, margin: i32, enough: i64, score: impl Fn(Vec2) -> i64) -> Vec2 {
    let mut best = random_point(config, rng, margin);
    let mut best_score = score(best);
    for _ in 1..ATTEMPTS {
        if best_score >= enough {
            break;
        }
        let candidate = random_point(config, rng, margin);
        let s = score(candidate);
        if s > best_score {
            (best, best_score) = (candidate, s);
        }
    }
    best
}

/// The black holes of a new room, spread apart and away from the walls.
pub fn place_black_holes(config: &ArenaConfig, rng: &mut RoomRng) -> Vec<crate::world::BlackHole> {
    let mut holes: Vec<crate::world::BlackHole> = Vec::new();
    let margin = config.physics.width.min(config.physics.height) / 5;
    let apart = i64::from(config.physics.width.min(config.physics.height)) / 2;
    for _ in 0..config.black_holes {
        let pos =
            best_point(config, rng, margin, apart * apart, |p| holes.iter().map(|h| p.distance_squared(h.pos)).min().unwrap_or(i64::MAX));
        holes.push(crate::world::BlackHole { pos, core_radius: config.black_hole_core_radius });
    }
    holes
}

/// A spawn point for a ship: clear of black holes and, as far as possible, of ships.
pub fn ship_spawn(config: &ArenaConfig, world: &World, rng: &mut RoomRng) -> Vec2 {
    let clearance = i64::from(config.spawn_clearance);
    let margin = config.physics.ship_radius * 4;
    best_point(config, rng, margin, clearance * clearance, |p| {
        let holes = world.black_holes.iter().map(|h| p.distance_squared(h.pos));
        // Ships count at half the clearance: being near a ship is less bad than a hole.
        let ships = world.ships.iter().flatten().map(|s| p.distance_squared(s.pos) * 4);
        holes.chain(ships).min().unwrap_or(i64::MAX)
    })
}

/// A spawn point for a pickup: clear of black-hole cores.
pub fn pickup_spawn(config: &ArenaConfig, world: &World, rng: &mut RoomRng) -> Vec2 {
    let clearance = i64::from(config.spawn_clearance / 2);
    best_point(config, rng, config.physics.pickup_radius * 2, clearance * clearance, |p| {
        world.black_holes.iter().map(|h| p.distance_squared(h.pos)).min().unwrap_or(i64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawns_keep_clear_of_black_holes() {
        let config = ArenaConfig::default();
        for seed in 0..50 {
            let mut rng = RoomRng::from_seed(seed);
            let holes = place_black_holes(&config, &mut rng);
            assert_eq!(holes.len(), 2);
            let world = World::new(config.physics.clone(), 5, holes);
            let p = ship_spawn(&config, &world, &mut rng);
            let clear = i64::from(config.spawn_clearance);
            for h in &world.black_holes {
                assert!(p.distance_squared(h.pos) >= clear * clear, "seed {seed}");
            }
            assert!(p.x > 0 && p.x < config.physics.width && p.y > 0 && p.y < config.physics.height);
        }
    }
}
