//! The two parts of a large room's frame, computed from the server's world: [`board`] (what
//! every player may see) and [`filter`] (one player's view).

use super::Interest;
use crate::fixed::Vec2;
use crate::world::{Bullet, Pickup, Ship, World};
use orrery_common::PlayerId;

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

/// Writes into `out` what `viewer` sees of `world`: the header, physics and black holes, and
/// the ships, bullets and pickups within its view of its ship (nothing of them when it has
/// no ship). `seen` is its view one tick earlier (hysteresis: what was in it stays until it
/// is farther than [`Interest::leave`]); `None` for a view that starts now.
///
/// Ships keep their slots. Bullets and pickups still in view keep their order in `seen`,
/// then come bullets fired this tick, then what entered the view, each in the world's
/// order: the order the delta's prediction produces, so that nothing is resent.
pub fn filter(world: &World, viewer: Option<PlayerId>, interest: &Interest, seen: Option<&World>, out: &mut World) {
    copy_header(world, out);
    out.next_bullet_id = world.next_bullet_id;
    out.black_holes.clone_from(&world.black_holes);
    let centre = viewer.and_then(|p| world.slot_of(p)).and_then(|slot| world.ships[usize::from(slot)].as_ref()).map(|s| s.pos);
    out.ships.resize(world.ships.len(), None);
    let Some(centre) = centre else {
        out.ships.iter_mut().for_each(|s| *s = None);
        out.bullets.clear();
        out.pickups.clear();
        return;
    };
    let sees = |pos: Vec2, was_seen: bool| interest.sees(pos.distance_squared(centre), was_seen);
    for (slot, (to, from)) in out.ships.iter_mut().zip(&world.ships).enumerate() {
        let was_seen = |ship: &Ship| seen.and_then(|w| w.ships.get(slot)).and_then(Option::as_ref).is_some_and(|s| s.player == ship.player);
        match from {
            Some(ship) if sees(ship.pos, was_seen(ship)) => match to {
                Some(to) => to.clone_from(ship),
                None => *to = Some(ship.clone()),
            },
            _ => *to = None,
        }
    }
    let no_bullets: &[Bullet] = &[];
    let no_pickups: &[Pickup] = &[];
    let seen_next = seen.map_or(world.next_bullet_id, |w| w.next_bullet_id);
    let fired_now = |b: &Bullet| b.id.wrapping_sub(seen_next) < world.next_bullet_id.wrapping_sub(seen_next);
    filter_list(&world.bullets, seen.map_or(no_bullets, |w| &w.bullets), |b| (b.id, b.pos), &sees, fired_now, &mut out.bullets);
    filter_list(&world.pickups, seen.map_or(no_pickups, |w| &w.pickups), |p| (p.id, p.pos), &sees, |_| false, &mut out.pickups);
}

fn copy_header(world: &World, out: &mut World) {
    out.physics.clone_from(&world.physics);
    out.tick = world.tick;
    out.phase = world.phase;
    out.phase_ticks_left = world.phase_ticks_left;
}

/// The items of `list` (sorted by id, as bullets and pickups are) in view: those of `seen`
/// still in view in `seen`'s order, then the `fresh` ones, then the others that entered.
fn filter_list<T: Clone>(
    list: &[T],
    seen: &[T],
    key: impl Fn(&T) -> (u32, Vec2),
    sees: impl Fn(Vec2, bool) -> bool,
    fresh: impl Fn(&T) -> bool,
    out: &mut Vec<T>,
) {
    out.clear();
    let find = |id: u32| list.binary_search_by_key(&id, |item| key(item).0).ok();
    for old in seen {
        if let Some(item) = find(key(old).0).map(|i| &list[i])
            && sees(key(item).1, true)
        {
            out.push(item.clone());
        }
    }
    let kept: Vec<u32> = out.iter().map(|item| key(item).0).collect();
    let entering = |item: &&T| {
        let (id, pos) = key(item);
        sees(pos, false) && !kept.contains(&id)
    };
    out.extend(list.iter().filter(entering).filter(|item| fresh(item)).cloned());
    out.extend(list.iter().filter(entering).filter(|item| !fresh(item)).cloned());
}
