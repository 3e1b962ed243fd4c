//! The map: terrain on a grid of tiles, positions and distances, and its seeded generation.

use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// A tile's coordinates (`x` to the right, `y` down).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub x: u8,
    pub y: u8,
}

impl Pos {
    pub const fn new(x: u8, y: u8) -> Self {
        Self { x, y }
    }

    /// Moves and sight are measured in king's moves (diagonals count one).
    pub fn distance(self, other: Pos) -> u8 {
        self.x.abs_diff(other.x).max(self.y.abs_diff(other.y))
    }
}

/// What a tile is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Terrain {
    Plains = 0,
    /// A defender here takes one less damage.
    Forest = 1,
    /// A unit here sees one tile further.
    Hills = 2,
    /// Nothing enters water.
    Water = 3,
}

impl Terrain {
    pub fn passable(self) -> bool {
        self != Terrain::Water
    }
}

/// The terrain of every tile, row by row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Map {
    pub width: u8,
    pub height: u8,
    pub tiles: Vec<Terrain>,
}

impl Map {
    /// A seeded map whose `starts` and `sites` (and their neighbours) are plains.
    pub fn generate(width: u8, height: u8, rng: &mut Rng, clear: &[Pos]) -> Self {
        let tiles = (0..u16::from(width) * u16::from(height))
            .map(|_| match rng.below(20) {
                0..=11 => Terrain::Plains,
                12..=15 => Terrain::Forest,
                16..=17 => Terrain::Hills,
                _ => Terrain::Water,
            })
            .collect();
        let mut map = Self { width, height, tiles };
        for &site in clear {
            let near: Vec<usize> = map.around(site, 1).map(|p| map.index(p)).collect();
            for i in near {
                map.tiles[i] = Terrain::Plains;
            }
        }
        map
    }

    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    pub fn index(&self, p: Pos) -> usize {
        usize::from(p.y) * usize::from(self.width) + usize::from(p.x)
    }

    pub fn pos(&self, index: usize) -> Pos {
        let w = usize::from(self.width);
        Pos::new((index % w) as u8, (index / w) as u8)
    }

    pub fn contains(&self, p: Pos) -> bool {
        p.x < self.width && p.y < self.height
    }

    pub fn terrain(&self, p: Pos) -> Terrain {
        self.tiles[self.index(p)]
    }

    /// Every tile within `radius` of `centre` (itself included), row by row.
    pub fn around(&self, centre: Pos, radius: u8) -> impl Iterator<Item = Pos> + '_ {
        let (x0, y0) = (centre.x.saturating_sub(radius), centre.y.saturating_sub(radius));
        let x1 = centre.x.saturating_add(radius).min(self.width - 1);
        let y1 = centre.y.saturating_add(radius).min(self.height - 1);
        (y0..=y1).flat_map(move |y| (x0..=x1).map(move |x| Pos::new(x, y)))
    }

    /// The capitals' corners, in seat order.
    pub fn starts(&self) -> [Pos; 4] {
        let (w, h) = (self.width - 2, self.height - 2);
        [Pos::new(1, 1), Pos::new(w, h), Pos::new(w, 1), Pos::new(1, h)]
    }

    /// The neutral cities between the capitals.
    pub fn sites(&self) -> [Pos; 4] {
        let (w, h) = (self.width, self.height);
        [Pos::new(w / 2 - 1, 2), Pos::new(w / 2, h - 3), Pos::new(2, h / 2), Pos::new(w - 3, h / 2 - 1)]
    }
}
