//! [`HoleCells`]: the black holes that can reach each cell of the field, so that a world
//! with many bullets looks at the one or two holes near each instead of at all of them.
//!
//! Gravity truncates to zero beyond √G (`gravity` skips those holes), so a hole pulls a
//! body only within √G of it on both axes; and a bullet that starts a tick in a cell lands
//! within the bullet speed limit of where it was on both axes, so a core can hold it only
//! if the hole is within core radius + speed limit. A cell lists every hole whose square of
//! side `2 × reach` around it overlaps the cell, `reach` the larger of the two bounds, in
//! the world's order: for a body in the cell, the pull summed over that list is the pull
//! summed over all holes (the others add exactly zero; the sum is of integers), and a core
//! that holds the body, or the bullet where it lands, is in it.

use crate::config::Physics;
use crate::fixed::{Vec2, isqrt};
use crate::world::BlackHole;

/// Build cells only for at least this many body × hole pairs (a 5-ship arena has ~60
/// bullets and 2 holes: looking at both is cheaper than building).
const WORTH_PAIRS: usize = 1024;
/// At most this many cells a side.
const MAX_CELLS_PER_SIDE: i32 = 32;

/// The holes near each cell (a counting sort: cell `c` holds `holes[starts[c]..starts[c + 1]]`).
#[derive(Clone, Debug)]
pub(crate) struct HoleCells {
    /// What the cells were built from.
    source: Vec<BlackHole>,
    gravity: i64,
    cell: i32,
    cols: i32,
    rows: i32,
    width: i32,
    height: i32,
    starts: Vec<u32>,
    holes: Vec<BlackHole>,
}

impl HoleCells {
    /// The cells of `holes` for `bodies` bodies, or `None` when looking at every hole is
    /// cheaper.
    pub fn worth_building(bodies: usize, holes: &[BlackHole], physics: &Physics) -> Option<Self> {
        (bodies * holes.len() >= WORTH_PAIRS).then(|| Self::new(holes, physics))
    }

    pub fn new(holes: &[BlackHole], physics: &Physics) -> Self {
        let core = holes.iter().map(|h| h.core_radius).max().unwrap_or(0);
        let pull = i64::try_from(isqrt(physics.gravity.max(0) as u64) + 1).unwrap_or(i64::MAX);
        let reach = pull.max(i64::from(core) + i64::from(physics.bullet_max_speed.max(0)));
        let (width, height) = (physics.width.max(1), physics.height.max(1));
        let cell = reach.max(i64::from(width.max(height) / MAX_CELLS_PER_SIDE)).clamp(1, i64::from(i32::MAX)) as i32;
        let (cols, rows) = (width / cell + 1, height / cell + 1);
        let span = |centre: i32, n: i32| {
            let lo = ((i64::from(centre) - reach).max(0) / i64::from(cell)).min(i64::from(n - 1)) as i32;
            let hi = ((i64::from(centre) + reach).max(0) / i64::from(cell)).min(i64::from(n - 1)) as i32;
            lo..=hi
        };
        let cells_of = |h: &BlackHole| {
            let (xs, ys) = (span(h.pos.x, cols), span(h.pos.y, rows));
            ys.flat_map(move |row| xs.clone().map(move |col| (row * cols + col) as usize))
        };
        let mut starts = vec![0u32; (cols * rows) as usize + 1];
        for hole in holes {
            for c in cells_of(hole) {
                starts[c + 1] += 1;
            }
        }
        for c in 1..starts.len() {
            starts[c] += starts[c - 1];
        }
        let mut next = starts.clone();
        let mut placed = vec![BlackHole { pos: Vec2::ZERO, core_radius: 0 }; *starts.last().unwrap_or(&0) as usize];
        for hole in holes {
            for c in cells_of(hole) {
                placed[next[c] as usize] = hole.clone();
                next[c] += 1;
            }
        }
        let source = holes.to_vec();
        Self { source, gravity: physics.gravity, cell, cols, rows, width: physics.width, height: physics.height, starts, holes: placed }
    }

    /// Whether these are the cells of `holes` under `physics`.
    pub fn built_for(&self, holes: &[BlackHole], physics: &Physics) -> bool {
        self.source == holes && (self.gravity, self.width, self.height) == (physics.gravity, physics.width, physics.height)
    }

    /// The holes that can pull or hold a body at `pos` (`all` when `pos` is off the field).
    pub fn near<'a>(&'a self, pos: Vec2, all: &'a [BlackHole]) -> &'a [BlackHole] {
        if !(0..=self.width).contains(&pos.x) || !(0..=self.height).contains(&pos.y) {
            return all;
        }
        let col = (pos.x / self.cell).min(self.cols - 1);
        let row = (pos.y / self.cell).min(self.rows - 1);
        let c = (row * self.cols + col) as usize;
        &self.holes[self.starts[c] as usize..self.starts[c + 1] as usize]
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
            let cells = HoleCells::new(&holes, physics);
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
                let near = cells.near(pos, &holes);
                assert_eq!(gravity(pos, near, physics), gravity(pos, &holes, physics), "{pos:?}");
                assert_eq!(in_any_core(pos, near), in_any_core(pos, &holes), "{pos:?}");
                // Where a bullet that starts the tick at `pos` can land.
                let speed = physics.bullet_max_speed;
                let landed = pos.wrapping_add(Vec2::new(rng.range_i32(-speed, speed + 1), rng.range_i32(-speed, speed + 1)));
                assert_eq!(in_any_core(landed, near), in_any_core(landed, &holes), "{pos:?} to {landed:?}");
                pulled += usize::from(gravity(pos, &holes, physics) != Vec2::ZERO);
                landed_in_core += usize::from(in_any_core(landed, &holes));
            }
            assert!(weightless || pulled > 1000, "the test reaches pulled bodies ({pulled})");
            let enough = if weightless { 1000 } else { 10 };
            assert!(landed_in_core > enough, "the test reaches bullets landing in cores ({landed_in_core})");
        }
    }
}
