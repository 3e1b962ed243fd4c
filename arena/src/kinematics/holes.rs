//! [`HoleCells`]: the black holes that can reach each cell of the field, so that a world
//! with many bullets looks at the one or two holes near each instead of at all of them.
//!
//! Each cell keeps two lists, in the world's order:
//!
//! - **pull**: gravity truncates to zero beyond √G (`gravity` skips a hole at a squared
//!   distance above G), so a cell lists every hole whose squared distance to the nearest
//!   point of the cell is at most G: for a body in the cell, the pull summed over that list
//!   is the pull summed over all holes (the others add exactly zero; the sum is of integers);
//! - **cores**: a bullet that starts a tick in a cell lands within the bullet speed limit of
//!   where it was on both axes, so a core can hold it only if the hole is within core radius
//!   + speed limit of the cell on both axes; a cell lists those.
//!
//! Cells are squares of a power of two (a shift finds a body's cell), a quarter to half of the
//! pull's reach when built to last ([`HoleCells::new`]), one to two reaches when built for one
//! step ([`HoleCells::worth_building`], where building is most of the cost).

use crate::config::Physics;
use crate::fixed::{Vec2, isqrt};
use crate::world::BlackHole;

/// Build cells only for at least this many body × hole pairs (a 5-ship arena has ~60
/// bullets and 2 holes: looking at both is cheaper than building).
const WORTH_PAIRS: usize = 1024;
/// At most this many cells a side.
const MAX_CELLS_PER_SIDE: i64 = 64;
/// Cells a pull's reach spans when the cells are built to last (finer cells list fewer
/// holes that turn out too far, and cost more to build).
const CELLS_PER_REACH: i64 = 2;

/// One list per cell (a counting sort: cell `c` holds `holes[starts[c]..starts[c + 1]]`).
#[derive(Clone, Debug, Default)]
struct Lists {
    starts: Vec<u32>,
    holes: Vec<BlackHole>,
}

impl Lists {
    /// The holes `listed(hole, cell's lowest x, lowest y)` accepts, for every cell; only
    /// cells within `reach` of a hole on both axes are asked.
    fn new(holes: &[BlackHole], (cols, rows, shift): (i32, i32, u32), reach: i64, listed: impl Fn(&BlackHole, i64, i64) -> bool) -> Self {
        let span = |centre: i32, n: i32| {
            let lo = ((i64::from(centre) - reach).max(0) >> shift).min(i64::from(n - 1)) as i32;
            let hi = ((i64::from(centre) + reach).max(0) >> shift).min(i64::from(n - 1)) as i32;
            lo..=hi
        };
        let cells_of = |h: &BlackHole, each: &mut dyn FnMut(usize)| {
            for row in span(h.pos.y, rows) {
                for col in span(h.pos.x, cols) {
                    if listed(h, i64::from(col) << shift, i64::from(row) << shift) {
                        each((row * cols + col) as usize);
                    }
                }
            }
        };
        let mut starts = vec![0u32; (cols * rows) as usize + 1];
        for hole in holes {
            cells_of(hole, &mut |c| starts[c + 1] += 1);
        }
        for c in 1..starts.len() {
            starts[c] += starts[c - 1];
        }
        let mut next = starts.clone();
        let mut placed = vec![BlackHole { pos: Vec2::ZERO, core_radius: 0 }; *starts.last().unwrap_or(&0) as usize];
        for hole in holes {
            cells_of(hole, &mut |c| {
                placed[next[c] as usize] = hole.clone();
                next[c] += 1;
            });
        }
        Self { starts, holes: placed }
    }

    #[inline(always)]
    fn get(&self, c: usize) -> &[BlackHole] {
        &self.holes[self.starts[c] as usize..self.starts[c + 1] as usize]
    }
}

/// The holes near each cell.
#[derive(Clone, Debug)]
pub(crate) struct HoleCells {
    /// What the cells were built from.
    source: Vec<BlackHole>,
    gravity: i64,
    shift: u32,
    cols: i32,
    width: i32,
    height: i32,
    pull: Lists,
    cores: Lists,
}

impl HoleCells {
    /// The cells of `holes` for `bodies` bodies for one step, or `None` when looking at every
    /// hole is cheaper.
    pub fn worth_building(bodies: usize, holes: &[BlackHole], physics: &Physics) -> Option<Self> {
        (bodies * holes.len() >= WORTH_PAIRS).then(|| Self::with_cells_per_reach(holes, physics, (2, 1)))
    }

    /// Cells to keep while the holes stay (finer: cheaper to use, dearer to build).
    pub fn new(holes: &[BlackHole], physics: &Physics) -> Self {
        Self::with_cells_per_reach(holes, physics, (1, CELLS_PER_REACH))
    }

    /// Cells of the largest power of two not above `times / per_reach` of the reach (or the
    /// field's longer side / [`MAX_CELLS_PER_SIDE`]).
    fn with_cells_per_reach(holes: &[BlackHole], physics: &Physics, (times, per_reach): (i64, i64)) -> Self {
        let core = holes.iter().map(|h| h.core_radius).max().unwrap_or(0);
        let pull = i64::try_from(isqrt(physics.gravity.max(0) as u64) + 1).unwrap_or(i64::MAX);
        let reach = pull.max(i64::from(core) + i64::from(physics.bullet_max_speed.max(0)));
        let (width, height) = (physics.width.max(1), physics.height.max(1));
        let least = (reach.saturating_mul(times) / per_reach).max(i64::from(width.max(height)) / MAX_CELLS_PER_SIDE).clamp(1, 1 << 30);
        // The largest power of two not above `least`.
        let shift = 63 - least.leading_zeros();
        let (cols, rows) = ((width >> shift) + 1, (height >> shift) + 1);
        let side = 1i64 << shift;
        // How far `v` lies outside `lo..lo + side` (positions in a cell: `lo..=lo + side - 1`).
        let outside = |v: i32, lo: i64| (lo - i64::from(v)).max(i64::from(v) - (lo + side - 1)).max(0);
        let gravity = physics.gravity;
        let grid = (cols, rows, shift);
        let pull = Lists::new(holes, grid, pull, |h, x, y| {
            let (dx, dy) = (outside(h.pos.x, x), outside(h.pos.y, y));
            dx.saturating_mul(dx).saturating_add(dy.saturating_mul(dy)) <= gravity
        });
        let speed = i64::from(physics.bullet_max_speed.max(0));
        let cores = Lists::new(holes, grid, i64::from(core.max(0)) + speed, |h, x, y| {
            let r = i64::from(h.core_radius.max(0)) + speed;
            outside(h.pos.x, x) <= r && outside(h.pos.y, y) <= r
        });
        let source = holes.to_vec();
        Self { source, gravity, shift, cols, width: physics.width, height: physics.height, pull, cores }
    }

    /// Whether these are the cells of `holes` under `physics`.
    pub fn built_for(&self, holes: &[BlackHole], physics: &Physics) -> bool {
        self.source == holes && (self.gravity, self.width, self.height) == (physics.gravity, physics.width, physics.height)
    }

    /// The cell of `pos`, or `None` off the field.
    #[inline(always)]
    fn cell(&self, pos: Vec2) -> Option<usize> {
        if !(0..=self.width).contains(&pos.x) || !(0..=self.height).contains(&pos.y) {
            return None;
        }
        Some(((pos.y >> self.shift) * self.cols + (pos.x >> self.shift)) as usize)
    }

    /// The holes that can pull a body at `pos` (`all` when `pos` is off the field).
    #[inline(always)]
    pub fn near<'a>(&'a self, pos: Vec2, all: &'a [BlackHole]) -> &'a [BlackHole] {
        self.cell(pos).map_or(all, |c| self.pull.get(c))
    }

    /// The holes whose core can hold a body at `pos`, or a bullet that starts a tick there
    /// where it lands (`all` when `pos` is off the field).
    #[inline(always)]
    pub fn cores<'a>(&'a self, pos: Vec2, all: &'a [BlackHole]) -> &'a [BlackHole] {
        self.cell(pos).map_or(all, |c| self.cores.get(c))
    }

    /// The holes that can pull a bullet at `pos`, and those whose core can hold it where it
    /// lands after one tick (`all` for both when `pos` is off the field).
    #[inline(always)]
    pub fn near_and_cores<'a>(&'a self, pos: Vec2, all: &'a [BlackHole]) -> (&'a [BlackHole], &'a [BlackHole]) {
        self.cell(pos).map_or((all, all), |c| (self.pull.get(c), self.cores.get(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArenaConfig;
    use crate::kinematics::{gravity, in_any_core};

    #[test]
    fn the_holes_of_a_cell_pull_and_hold_as_all_of_them_do() {
        // The arena's gravity, and none at all (the cells then cover only the cores and a
        // bullet's move: the bound that matters for landing in a core).
        for (seats, seed, weightless) in [(64, 1, false), (16, 2, false), (5, 3, false), (64, 4, true)] {
            let config = ArenaConfig::large(30, seats);
            let mut physics = config.physics.clone();
            if weightless {
                physics.gravity = 0;
            }
            let physics = &physics;
            let mut rng = crate::rng::RoomRng::from_seed(seed);
            let holes = crate::rules::spawn::place_black_holes(&config, &mut rng);
            assert!(!holes.is_empty());
            let lasting = HoleCells::new(&holes, physics);
            let per_step = HoleCells::with_cells_per_reach(&holes, physics, (2, 1));
            let (mut pulled, mut landed_in_core) = (0, 0);
            for _ in 0..20_000 {
                // Bodies anywhere, and many right next to a hole (where the pull is).
                let pos = match rng.range_i32(0, 2) {
                    0 => Vec2::new(rng.range_i32(-500, physics.width + 500), rng.range_i32(-500, physics.height + 500)),
                    _ => {
                        let hole = &holes[rng.range_i32(0, holes.len() as i32) as usize];
                        let r = if weightless { hole.core_radius + physics.bullet_max_speed } else { 140_000 };
                        Vec2::new(hole.pos.x + rng.range_i32(-r, r + 1), hole.pos.y + rng.range_i32(-r, r + 1))
                    }
                };
                // Where a bullet that starts the tick at `pos` can land.
                let speed = physics.bullet_max_speed;
                let landed = pos.wrapping_add(Vec2::new(rng.range_i32(-speed, speed + 1), rng.range_i32(-speed, speed + 1)));
                for cells in [&lasting, &per_step] {
                    assert_eq!(gravity(pos, cells.near(pos, &holes), physics), gravity(pos, &holes, physics), "{pos:?}");
                    let (near, cores) = cells.near_and_cores(pos, &holes);
                    assert_eq!((near, cores), (cells.near(pos, &holes), cells.cores(pos, &holes)));
                    assert_eq!(in_any_core(pos, cores), in_any_core(pos, &holes), "{pos:?}");
                    assert_eq!(in_any_core(landed, cores), in_any_core(landed, &holes), "{pos:?} to {landed:?}");
                }
                pulled += usize::from(gravity(pos, &holes, physics) != Vec2::ZERO);
                landed_in_core += usize::from(in_any_core(landed, &holes));
            }
            assert!(weightless || pulled > 1000, "the test reaches pulled bodies ({pulled})");
            let enough = if weightless { 1000 } else { 10 };
            assert!(landed_in_core > enough, "the test reaches bullets landing in cores ({landed_in_core})");
            // The lists are short: most holes a cell lists do pull somewhere in it.
            let listed = |cells: &HoleCells| cells.pull.holes.len();
            assert!(listed(&lasting) > 0 && listed(&per_step) > 0);
        }
    }
}
