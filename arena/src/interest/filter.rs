//! One player's part of a large room's frame, computed from the server's world: [`filter`]
//! (its view).

use super::Interest;
use super::bullets::{BulletIds, BulletScratch, Circle, Flight, Seen, filter_bullets};
use super::grid::Grid;
use crate::fixed::Vec2;
use crate::seats::Seats;
use crate::wire::delta::MatchedBullets;
use crate::world::{Bullet, Pickup, Slot, World};
use orrery_common::PlayerId;

/// Writes into `out` what `viewer` sees of `world`: the header, physics and black holes, and
/// the ships, bullets and pickups within its view of its ship (nothing of them when it has
/// no ship). `seen` is its view one tick earlier (hysteresis: what was in it stays until it
/// is farther than [`Interest::leave`]); `None` for a view that starts now.
///
/// Ships keep their slots. Bullets and pickups still in view keep their order in `seen`,
/// then come bullets fired this tick, then what entered the view, each in the world's
/// order: the order the delta's prediction produces, so that nothing is resent. Here the
/// bullets keep the world's ids (a room's views number their own, see `ViewFrames`).
pub fn filter(world: &World, viewer: Option<PlayerId>, interest: &Interest, seen: Option<&World>, out: &mut World) {
    let ids = seen.map(BulletIds::starting);
    let seen = seen.zip(ids.as_ref()).map(|(world, ids)| Seen { world, seats: Seats::of(&world.ships), ids });
    let fired_from = seen.as_ref().map_or(world.next_bullet_id, |s| s.world.next_bullet_id);
    let out_seats = Seats::of(&out.ships);
    let near = Near { grid: None, flight: None, statics_held: false };
    filter_near(world, fired_from, near, viewer, interest, seen, out, out_seats, &mut BulletIds::default(), &mut FilterScratch::default());
}

/// What [`filter_near`] can look things up in, built once per step for all views.
#[derive(Clone, Copy)]
pub(super) struct Near<'a> {
    /// The world's bullets, pickups and ships by place.
    pub grid: Option<&'a Grid>,
    /// The room's flight of its bullets.
    pub flight: Option<Flight<'a>>,
    /// `out` holds the world's physics and black holes already.
    pub statics_held: bool,
}

/// Buffers [`filter_near`] reuses between calls.
#[derive(Clone, Debug, Default)]
pub(super) struct FilterScratch {
    bullets: BulletScratch,
    near: Vec<u32>,
    kept: Vec<u32>,
    entered: Vec<u32>,
}

impl FilterScratch {
    /// How the last view's prediction matches the bullets it held, when [`filter_near`] was
    /// given a flight (`flown`) and knows (see `BulletScratch::matched`); `view`: the view's
    /// bullets as filtered.
    pub fn matched<'a>(&'a self, flown: &'a [Bullet], view: &[Bullet]) -> Option<MatchedBullets<'a>> {
        self.bullets.matched(flown, view)
    }
}

/// [`filter`] for a view that numbers its own bullets (`ids`, see [`super::bullets`]),
/// looking only at the bullets and pickups `near.grid` (built from `world`) finds near the
/// viewer's ship (`None`: at all of them), and describing its prediction's bullets when
/// given `near.flight`. `fired_from` is the world's `next_bullet_id`
/// before the step; `out_seats` the occupied slots of `out` (only they and the ships in
/// view are written). Returns the occupied slots of the view.
#[allow(clippy::too_many_arguments)] // the world, the view before and after, and buffers
pub(super) fn filter_near(
    world: &World,
    fired_from: u32,
    Near { grid, flight, statics_held }: Near<'_>,
    viewer: Option<PlayerId>,
    interest: &Interest,
    seen: Option<Seen<'_>>,
    out: &mut World,
    out_seats: Seats,
    ids: &mut BulletIds,
    scratch: &mut FilterScratch,
) -> Seats {
    debug_assert_eq!(out_seats, Seats::of(&out.ships), "the seats of the buffer");
    scratch.bullets.forget();
    if statics_held {
        debug_assert!(out.physics == world.physics && out.black_holes == world.black_holes, "statics said held");
        copy_clock(world, out);
    } else {
        copy_header(world, out);
        out.black_holes.clone_from(&world.black_holes);
    }
    let slot_of = |p: PlayerId| grid.map_or_else(|| world.slot_of(p), |grid| grid.slot_of(p));
    let centre = viewer.and_then(slot_of).and_then(|slot| world.ships[usize::from(slot)].as_ref()).map(|s| s.pos);
    out.ships.resize(world.ships.len(), None);
    let Some(centre) = centre else {
        out.ships.iter_mut().for_each(|s| *s = None);
        out.bullets.clear();
        out.pickups.clear();
        out.next_bullet_id = seen.as_ref().map_or(world.next_bullet_id, |s| s.world.next_bullet_id);
        *ids = BulletIds::starting(out);
        return Seats::default();
    };
    let sees = |pos: Vec2, was_seen: bool| interest.sees(pos.distance_squared(centre), was_seen);
    let seen_world = seen.as_ref().map(|s| s.world);
    // The ships in view, as bits by slot (at most 64 seats); with a grid, only the ships
    // within reach on x are looked at.
    let mut in_view = Seats::default();
    let look_at = |slot: Slot| {
        let slot = usize::from(slot);
        let Some(ship) = &world.ships[slot] else {
            return;
        };
        let was_seen = || seen_world.and_then(|w| w.ships.get(slot)).and_then(Option::as_ref).is_some_and(|s| s.player == ship.player);
        if interest.sees_lazily(ship.pos.distance_squared(centre), was_seen) {
            in_view.insert(slot);
        }
    };
    match grid {
        Some(grid) => grid.ships_near_x(centre.x, interest.reach()).for_each(look_at),
        None => (0..world.ships.len() as Slot).for_each(look_at),
    }
    // A slot neither in view nor held by `out` stays empty.
    for slot in in_view.union(out_seats).slots().filter(|&slot| slot < world.ships.len()) {
        let to = &mut out.ships[slot];
        match &world.ships[slot] {
            Some(ship) if in_view.contains(slot) => match to {
                Some(to) => to.clone_from(ship),
                None => *to = Some(ship.clone()),
            },
            _ => *to = None,
        }
    }
    // Only what is within the enter radius can enter; what stays is found by id.
    let FilterScratch { bullets: bullet_scratch, near, kept, entered } = scratch;
    let candidates = |find: fn(&Grid, Vec2, i32, &mut Vec<u32>), near: &mut Vec<u32>| {
        near.clear();
        grid.map(|grid| find(grid, centre, interest.enter, near)).is_some()
    };
    let known = candidates(Grid::bullets_near, near);
    match &seen {
        Some(seen) => {
            let near = known.then_some(near.as_slice());
            let index = grid.map(|grid| &grid.bullet_ids);
            let view = (&out.ships[..], in_view);
            let within = Circle { centre, r2: i64::from(interest.leave) * i64::from(interest.leave) };
            out.next_bullet_id =
                filter_bullets(world, fired_from, near, index, flight, seen, view, sees, within, &mut out.bullets, ids, bullet_scratch);
        }
        None => {
            let bullets = Candidates { list: &world.bullets, near: known.then_some(near.as_slice()) };
            filter_list(bullets, &[], |b| (b.id, b.pos), sees, &mut out.bullets, kept, entered);
            out.next_bullet_id = world.next_bullet_id;
            *ids = BulletIds::starting(out);
        }
    }
    let no_pickups: &[Pickup] = &[];
    let known = candidates(Grid::pickups_near, near);
    let pickups = Candidates { list: &world.pickups, near: known.then_some(near.as_slice()) };
    filter_list(pickups, seen_world.map_or(no_pickups, |w| &w.pickups), |p| (p.id, p.pos), sees, &mut out.pickups, kept, entered);
    in_view
}

/// A list and, when known, the indices of the items that may be near the viewer (in any
/// order); `None`: all of them may be.
struct Candidates<'a, T> {
    list: &'a [T],
    near: Option<&'a [u32]>,
}

pub(super) fn copy_header(world: &World, out: &mut World) {
    out.physics.clone_from(&world.physics);
    copy_clock(world, out);
}

/// The header but the physics.
fn copy_clock(world: &World, out: &mut World) {
    out.tick = world.tick;
    out.phase = world.phase;
    out.phase_ticks_left = world.phase_ticks_left;
}

/// The items of `list` (sorted by id, as bullets and pickups are) in view: those of `seen`
/// still in view in `seen`'s order, then those that entered,
/// each in `list`'s order.
#[allow(clippy::too_many_arguments)] // the list, its view one tick earlier, how to read it, and buffers
fn filter_list<T: Clone>(
    list: Candidates<'_, T>,
    seen: &[T],
    key: impl Fn(&T) -> (u32, Vec2),
    sees: impl Fn(Vec2, bool) -> bool,
    out: &mut Vec<T>,
    kept: &mut Vec<u32>,
    entered: &mut Vec<u32>,
) {
    out.clear();
    let items = list.list;
    let find = |id: u32| items.binary_search_by_key(&id, |item| key(item).0).ok();
    for old in seen {
        if let Some(item) = find(key(old).0).map(|i| &items[i])
            && sees(key(item).1, true)
        {
            out.push(item.clone());
        }
    }
    kept.clear();
    kept.extend(out.iter().map(|item| key(item).0));
    kept.sort_unstable();
    let entering = |&i: &u32| {
        let (id, pos) = key(&items[i as usize]);
        sees(pos, false) && kept.binary_search(&id).is_err()
    };
    entered.clear();
    match list.near {
        Some(near) => entered.extend(near.iter().copied().filter(entering)),
        None => entered.extend((0..items.len() as u32).filter(entering)),
    }
    entered.sort_unstable();
    let entered = entered.iter().map(|&i| items[i as usize].clone());
    out.extend(entered);
}
