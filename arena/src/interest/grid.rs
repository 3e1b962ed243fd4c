//! [`Grid`]: a world's bullets and pickups by square cell, built once per step so that each
//! player's [`filter`](super::filter) looks only at the cells around its ship instead of
//! at every bullet of the room.

use super::ids::IdIndex;
use crate::fixed::Vec2;
use crate::world::{Slot, World};
use orrery_common::PlayerId;

/// The indices of the items of one list (bullets or pickups) by cell, in list order within
/// a cell (a counting sort: the items of cell `c` are `items[starts[c]..starts[c + 1]]`).
#[derive(Clone, Debug, Default)]
struct Buckets {
    starts: Vec<u32>,
    items: Vec<u32>,
}

/// The bullets and pickups of one world by cell.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Side of a cell, in sub-units.
    cell: i32,
    cols: usize,
    rows: usize,
    bullets: Buckets,
    pickups: Buckets,
    /// The world's bullets by id.
    pub bullet_ids: IdIndex,
    /// The world's ships by x, and its seats by player (the id as a number: the same
    /// order as the bytes, compared in two instructions instead of a `memcmp`).
    ships_by_x: Vec<(i32, Slot)>,
    seats: Vec<(u128, Slot)>,
}

impl Grid {
    /// An empty grid of square cells of side `cell` sub-units (at least 1).
    pub fn new(cell: i32) -> Self {
        Self {
            cell: cell.max(1),
            cols: 0,
            rows: 0,
            bullets: Buckets::default(),
            pickups: Buckets::default(),
            bullet_ids: IdIndex::default(),
            ships_by_x: Vec::new(),
            seats: Vec::new(),
        }
    }

    /// Sorts `world`'s bullets and pickups into cells, and indexes its bullets by id, its
    /// ships by x and its seats by player (allocations are reused).
    pub fn rebuild(&mut self, world: &World) {
        self.bullet_ids.rebuild(world.bullets.iter().map(|b| b.id));
        // The same seats as a step ago (mostly): the seats by player stay sorted, and the
        // ships by x are re-sorted from where they were (an insertion sort, a few moves).
        let seated = world.seated().count();
        let ship = |slot: Slot| world.ships.get(usize::from(slot)).and_then(Option::as_ref);
        let same = self.seats.len() == seated && self.seats.iter().all(|&(p, slot)| ship(slot).is_some_and(|s| s.player.0.as_u128() == p));
        if same {
            for (x, slot) in &mut self.ships_by_x {
                *x = ship(*slot).map_or(i32::MIN, |s| s.pos.x);
            }
            insertion_sort(&mut self.ships_by_x);
        } else {
            self.ships_by_x.clear();
            self.ships_by_x.extend(world.seated().map(|(slot, ship)| (ship.pos.x, slot)));
            self.ships_by_x.sort_unstable();
            self.seats.clear();
            self.seats.extend(world.seated().map(|(slot, ship)| (ship.player.0.as_u128(), slot)));
            self.seats.sort_unstable();
        }
        debug_assert!(self.ships_by_x.is_sorted() && self.seats.is_sorted(), "sorted");
        debug_assert_eq!(self.ships_by_x.len(), seated, "every seated ship by x");
        self.cols = (world.physics.width / self.cell) as usize + 1;
        self.rows = (world.physics.height / self.cell) as usize + 1;
        let cells = self.cols * self.rows;
        let (cell, cols, rows) = (self.cell, self.cols, self.rows);
        let at = |p: Vec2| cell_index(p, cell, cols, rows);
        fill(&mut self.bullets, cells, world.bullets.iter().map(|b| at(b.pos)));
        fill(&mut self.pickups, cells, world.pickups.iter().map(|p| at(p.pos)));
    }

    /// Appends to `out` the indices (into `world.bullets`, as of [`Self::rebuild`]) of every
    /// bullet that may lie within `radius` of `centre` (each once, in no particular order).
    pub fn bullets_near(&self, centre: Vec2, radius: i32, out: &mut Vec<u32>) {
        self.near(&self.bullets, centre, radius, out);
    }

    /// As [`Self::bullets_near`], for `world.pickups`.
    pub fn pickups_near(&self, centre: Vec2, radius: i32, out: &mut Vec<u32>) {
        self.near(&self.pickups, centre, radius, out);
    }

    /// The slots of the ships whose x is within `reach` of `x` (in order of x).
    pub fn ships_near_x(&self, x: i32, reach: i32) -> impl Iterator<Item = Slot> + '_ {
        let from = self.ships_by_x.partition_point(|&(sx, _)| i64::from(sx) < i64::from(x) - i64::from(reach));
        let to = self.ships_by_x.partition_point(|&(sx, _)| i64::from(sx) <= i64::from(x) + i64::from(reach));
        self.ships_by_x[from..to.max(from)].iter().map(|&(_, slot)| slot)
    }

    /// The slot of `player`'s ship (as `World::slot_of`).
    pub fn slot_of(&self, player: PlayerId) -> Option<Slot> {
        let player = player.0.as_u128();
        let at = self.seats.partition_point(|&(p, _)| p < player);
        self.seats.get(at).filter(|&&(p, _)| p == player).map(|&(_, slot)| slot)
    }

    fn near(&self, buckets: &Buckets, centre: Vec2, radius: i32, out: &mut Vec<u32>) {
        if self.cols == 0 {
            return;
        }
        let span = |c: i32, n: usize| {
            let lo = (c.saturating_sub(radius).max(0) / self.cell) as usize;
            let hi = ((c.saturating_add(radius).max(0) / self.cell) as usize).min(n - 1);
            lo..=hi
        };
        let (from, to) = span(centre.x, self.cols).into_inner();
        for row in span(centre.y, self.rows) {
            let (start, end) = (buckets.starts[row * self.cols + from] as usize, buckets.starts[row * self.cols + to + 1] as usize);
            out.extend_from_slice(&buckets.items[start..end]);
        }
    }
}

/// Sorts a slice that is nearly sorted already in a few moves (the same order as
/// `sort_unstable`: the items are distinct).
fn insertion_sort<T: Ord + Copy>(items: &mut [T]) {
    for i in 1..items.len() {
        let item = items[i];
        let mut j = i;
        while j > 0 && items[j - 1] > item {
            items[j] = items[j - 1];
            j -= 1;
        }
        items[j] = item;
    }
}

fn cell_index(p: Vec2, cell: i32, cols: usize, rows: usize) -> usize {
    let col = ((p.x.max(0) / cell) as usize).min(cols - 1);
    let row = ((p.y.max(0) / cell) as usize).min(rows - 1);
    row * cols + col
}

/// Counting sort of the items whose cells `cells_of` lists (in item order).
fn fill(buckets: &mut Buckets, cells: usize, cells_of: impl Iterator<Item = usize> + Clone) {
    buckets.starts.clear();
    buckets.starts.resize(cells + 1, 0);
    for c in cells_of.clone() {
        buckets.starts[c + 1] += 1;
    }
    for c in 0..cells {
        buckets.starts[c + 1] += buckets.starts[c];
    }
    let total = buckets.starts[cells] as usize;
    buckets.items.clear();
    buckets.items.resize(total, 0);
    // `next[c]` is where cell c's next item goes; reuse `starts` shifted by one.
    let mut next: Vec<u32> = buckets.starts[..cells].to_vec();
    for (i, c) in cells_of.enumerate() {
        buckets.items[next[c] as usize] = i as u32;
        next[c] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArenaConfig;
    use crate::world::{Bullet, Pickup, PickupKind};

    #[test]
    fn ships_and_seats_stay_sorted_as_ships_move_join_and_leave() {
        let physics = ArenaConfig::large(30, 64).physics;
        let mut world = World::new(physics.clone(), 64, Vec::new());
        let mut rng = crate::rng::RoomRng::from_seed(4);
        let mut grid = Grid::new(90_000);
        for tick in 0..300 {
            for slot in 0..64 {
                let ship = &mut world.ships[slot];
                match ship {
                    // Now and then a seat empties or fills (and once in a while, many do).
                    _ if rng.below(if tick % 50 == 0 { 4 } else { 200 }) == 0 => {
                        *ship = ship.is_none().then(|| {
                            let player = orrery_common::PlayerId(uuid::Uuid::from_u128(u128::from(rng.below(1 << 30))));
                            crate::world::Ship::seated(player, "s".into(), 0)
                        })
                    }
                    Some(ship) => ship.pos.x = (ship.pos.x + rng.range_i32(-3000, 3001)).clamp(0, physics.width),
                    None => {}
                }
            }
            grid.rebuild(&world);
            let mut fresh = Grid::new(90_000);
            fresh.rebuild(&world);
            let (mut by_x, mut seats) = (fresh.ships_by_x.clone(), fresh.seats.clone());
            by_x.sort_unstable();
            seats.sort_unstable();
            assert_eq!((&grid.ships_by_x, &grid.seats), (&by_x, &seats), "tick {tick}");
        }
    }

    #[test]
    fn near_finds_every_item_within_the_radius_once() {
        let physics = ArenaConfig::large(30, 64).physics;
        let mut world = World::new(physics.clone(), 1, Vec::new());
        let mut rng = crate::rng::RoomRng::from_seed(9);
        for id in 0..2000 {
            let pos = Vec2::new(rng.range_i32(0, physics.width + 1), rng.range_i32(0, physics.height + 1));
            world.bullets.push(Bullet { id, owner: 0, pos, vel: Vec2::ZERO, ttl: 1 });
            if id % 10 == 0 {
                world.pickups.push(Pickup { id, kind: PickupKind::Score, pos });
            }
        }
        let radius = 180_000;
        let mut grid = Grid::new(radius / 2);
        grid.rebuild(&world);
        for _ in 0..200 {
            let centre = Vec2::new(rng.range_i32(-1000, physics.width + 1000), rng.range_i32(-1000, physics.height + 1000));
            let within = |pos: Vec2| pos.distance_squared(centre) <= i64::from(radius) * i64::from(radius);
            let mut near = Vec::new();
            grid.bullets_near(centre, radius, &mut near);
            near.sort_unstable();
            assert!(near.windows(2).all(|w| w[0] < w[1]), "no repeats");
            let found: Vec<u32> = near.iter().copied().filter(|&i| within(world.bullets[i as usize].pos)).collect();
            let all: Vec<u32> = (0..world.bullets.len() as u32).filter(|&i| within(world.bullets[i as usize].pos)).collect();
            assert_eq!(found, all);
            near.clear();
            grid.pickups_near(centre, radius, &mut near);
            near.sort_unstable();
            let found: Vec<u32> = near.iter().copied().filter(|&i| within(world.pickups[i as usize].pos)).collect();
            let all: Vec<u32> = (0..world.pickups.len() as u32).filter(|&i| within(world.pickups[i as usize].pos)).collect();
            assert_eq!(found, all);
        }
    }
}
