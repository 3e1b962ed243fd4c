//! The shared part of a large room's frame: the *board*, every seat's identity, score,
//! kills and whether it is alive and connected.
//!
//! Scores change with every hit, and a room of 64 ships hits often: sending every change to
//! every player would make the board grow with the room. So a running board
//! ([`refresh_board`]) follows seats taken and freed, deaths and disconnects at once, but
//! refreshes scores and kills once a second, for at most [`BOARD_REFRESHES_PER_SECOND`]
//! seats that changed, round robin: another ship's score on the board is at most
//! `seats / 8` seconds old (8 s at 64 seats). A player's own ship, with its exact score, is
//! in its view.

use super::filter::copy_header;
use crate::config::MAX_SLOTS;
use crate::fixed::Vec2;
use crate::world::{Ship, World};

/// Seats whose score and kills a running board brings up to date each second.
pub const BOARD_REFRESHES_PER_SECOND: usize = 8;

/// Writes into `out` the shared part of `world`: the header and physics, and every seat's
/// identity, score, kills, alive and connected flags. Nothing in it moves (ships rest at
/// the centre with no intent, there are no black holes, bullets or pickups), so that its
/// delta is one byte when no score changed.
pub fn board(world: &World, out: &mut World) {
    copy_header(world, out);
    out.next_bullet_id = 0;
    out.black_holes.clear();
    out.bullets.clear();
    out.pickups.clear();
    let centre = Vec2::new(world.physics.width / 2, world.physics.height / 2);
    out.ships.resize(world.ships.len(), None);
    for (to, from) in out.ships.iter_mut().zip(&world.ships) {
        let Some(from) = from else {
            *to = None;
            continue;
        };
        // Every field is written: `out` may have held another part (its name is reused).
        let name = match to.take() {
            Some(ship) if ship.name == from.name => ship.name,
            _ => from.name.clone(),
        };
        *to = Some(Ship {
            pos: centre,
            score: from.score,
            kills: from.kills,
            alive: from.alive,
            connected: from.connected,
            ..Ship::seated(from.player, name, from.colour)
        });
    }
}

/// Writes into `out` the board of `world` that follows `previous` (the board one tick
/// earlier): as [`board`], except that the score and kills of a seat that `previous` holds
/// stay as they were there, but on the first tick of each second, for at most
/// [`BOARD_REFRESHES_PER_SECOND`] seats whose values changed, taken round robin.
pub fn refresh_board(world: &World, previous: &World, out: &mut World) {
    board(world, out);
    let stale = |slot: usize| match (&out.ships[slot], previous.ships.get(slot).and_then(Option::as_ref)) {
        (Some(now), Some(before)) => now.same_seat(before) && (now.score, now.kills) != (before.score, before.kills),
        _ => false,
    };
    let seats = out.ships.len();
    let hz = u64::from(world.physics.tick_hz.max(1));
    let mut refresh = [false; MAX_SLOTS as usize];
    if world.tick.is_multiple_of(hz) && seats > 0 {
        let start = ((world.tick / hz) as usize).wrapping_mul(BOARD_REFRESHES_PER_SECOND) % seats;
        for slot in (0..seats).map(|i| (start + i) % seats).filter(|&slot| stale(slot)).take(BOARD_REFRESHES_PER_SECOND) {
            refresh[slot] = true;
        }
    }
    for (slot, to) in out.ships.iter_mut().enumerate() {
        let (Some(to), Some(before)) = (to, previous.ships.get(slot).and_then(Option::as_ref)) else {
            continue;
        };
        if to.same_seat(before) && !refresh[slot] {
            (to.score, to.kills) = (before.score, before.kills);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArenaConfig;
    use orrery_common::PlayerId;

    fn world_of(seats: u8) -> World {
        let mut world = World::new(ArenaConfig::large(30, seats).physics, seats, Vec::new());
        for slot in 0..seats {
            let mut ship = Ship::seated(PlayerId(uuid::Uuid::from_u128(u128::from(slot) + 1)), format!("s{slot}"), 0);
            ship.alive = true;
            world.ships[usize::from(slot)] = Some(ship);
        }
        world
    }

    #[test]
    fn scores_reach_the_board_at_most_eight_a_second_and_all_in_time() {
        let mut world = world_of(64);
        let mut shown = world.clone();
        board(&world, &mut shown);
        for ship in world.ships.iter_mut().flatten() {
            ship.score += 10;
            ship.kills += 1;
        }
        world.ships[5].as_mut().unwrap().alive = false;
        let mut next = world.clone();
        let mut refreshed_ticks = 0;
        for tick in 1..=30 * 8 {
            world.tick = tick;
            refresh_board(&world, &shown, &mut next);
            let changed =
                next.ships.iter().zip(&shown.ships).filter(|(a, b)| a.as_ref().map(|s| s.score) != b.as_ref().map(|s| s.score)).count();
            assert!(changed <= BOARD_REFRESHES_PER_SECOND, "tick {tick}: {changed}");
            if changed > 0 {
                assert_eq!(tick % 30, 0, "only on the first tick of a second");
                refreshed_ticks += 1;
            }
            assert!(!next.ships[5].as_ref().unwrap().alive, "a death shows at once");
            std::mem::swap(&mut shown, &mut next);
        }
        let mut current = world.clone();
        board(&world, &mut current);
        assert_eq!(shown, current, "64 seats are all up to date after 8 s");
        assert_eq!(refreshed_ticks, 8);
    }

    #[test]
    fn a_seat_taken_shows_with_its_score_at_once() {
        let mut world = world_of(4);
        let mut shown = world.clone();
        board(&world, &mut shown);
        let mut ship = Ship::seated(PlayerId(uuid::Uuid::from_u128(99)), "new".into(), 0);
        ship.score = 50;
        world.ships[2] = Some(ship);
        world.tick = 7;
        let mut next = world.clone();
        refresh_board(&world, &shown, &mut next);
        assert_eq!(next.ships[2].as_ref().map(|s| (s.player, s.score)), Some((PlayerId(uuid::Uuid::from_u128(99)), 50)));
    }
}
