//! The server's room: everything a snapshot holds. Seats are indexed 0..`config.seats` in
//! the order players took them; units and cities carry ids that never repeat in a match.

use crate::config::FrontierConfig;
use crate::events::Happening;
use crate::map::{Map, Pos};
use crate::rng::Rng;
use orrery_common::PlayerId;
use orrery_common::game::{Phase, WallMs};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A seat's index: 0 to 3.
pub type Seat = u8;

/// The two kinds of unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnitKind {
    /// Strong and slow: 3 health, strikes 2, moves 1, sees 1.
    Soldier,
    /// Weak and far-sighted: 1 health, strikes 1, moves 2, sees 2.
    Scout,
}

impl UnitKind {
    pub fn max_hp(self) -> u8 {
        match self {
            UnitKind::Soldier => 3,
            UnitKind::Scout => 1,
        }
    }
    pub fn strike(self) -> u8 {
        match self {
            UnitKind::Soldier => 2,
            UnitKind::Scout => 1,
        }
    }
    pub fn moves(self) -> u8 {
        match self {
            UnitKind::Soldier => 1,
            UnitKind::Scout => 2,
        }
    }
    pub fn sight(self) -> u8 {
        match self {
            UnitKind::Soldier => 1,
            UnitKind::Scout => 2,
        }
    }
    /// Turns a city takes to produce one.
    pub fn cost(self) -> u8 {
        match self {
            UnitKind::Soldier => 3,
            UnitKind::Scout => 2,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: u32,
    pub owner: Seat,
    pub kind: UnitKind,
    pub pos: Pos,
    pub hp: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct City {
    pub id: u32,
    pub pos: Pos,
    /// `None`: neutral, produces nothing until taken.
    pub owner: Option<Seat>,
    pub producing: UnitKind,
    /// Turns of production so far.
    pub progress: u8,
}

/// One order for the coming resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    /// Move a unit to a tile within its reach; onto an enemy it attacks, onto a city it
    /// takes it.
    Move { unit: u32, to: Pos },
    /// What a city produces next.
    Produce { city: u32, kind: UnitKind },
}

impl Order {
    /// Two orders for the same unit or city: the later replaces the earlier.
    pub fn target(&self) -> (bool, u32) {
        match *self {
            Order::Move { unit, .. } => (true, unit),
            Order::Produce { city, .. } => (false, city),
        }
    }
}

/// A player's seat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatState {
    pub player: PlayerId,
    pub name: String,
    pub connected: bool,
    /// When the player's connection dropped (or they left): the bot takes over `grace_ms`
    /// later.
    pub away_since: Option<WallMs>,
    /// A bot plays this seat (the player is away past the grace, or left).
    pub bot: bool,
    /// Left for good: the seat stays with the bot.
    pub left: bool,
    /// Still in the match (has a unit or a city).
    pub alive: bool,
    /// Orders for this turn are in; the turn may resolve before its deadline.
    pub submitted: bool,
    pub orders: Vec<Order>,
    /// Tiles this seat has ever seen (its terrain is known to it).
    pub explored: Vec<bool>,
    /// Units of others destroyed by this seat.
    pub kills: u32,
    /// The turn the seat was eliminated in (ranking).
    pub out_at: Option<u32>,
}

/// The whole room.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub config: FrontierConfig,
    pub rng: Rng,
    pub phase: Phase,
    /// The wall clock as last told (or, under a fixed pace, counted in ticks).
    pub now: WallMs,
    /// 0 in the lobby; 1 once the match starts.
    pub turn: u32,
    /// The lobby's start (once two are seated), the turn's deadline, or the end of the
    /// result's display.
    pub deadline: Option<WallMs>,
    pub map: Map,
    pub seats: Vec<SeatState>,
    pub units: Vec<Unit>,
    pub cities: Vec<City>,
    pub next_id: u32,
    pub winner: Option<Seat>,
    /// What happened since the last step (joins, leaves), reported by the next.
    pub pending: Vec<Happening>,
    /// The most recent happenings, for keyframes' logs.
    pub log: VecDeque<Happening>,
}

/// Happenings kept for keyframes.
pub const LOG_KEPT: usize = 32;

impl State {
    pub fn new(config: FrontierConfig, seed: u64) -> Self {
        let mut rng = Rng::from_seed(seed);
        let probe = Map { width: config.width, height: config.height, tiles: Vec::new() };
        let clear: Vec<Pos> = probe.starts().into_iter().chain(probe.sites()).collect();
        let map = Map::generate(config.width, config.height, &mut rng, &clear);
        let cities = clear
            .iter()
            .enumerate()
            .map(|(i, &pos)| City { id: i as u32 + 1, pos, owner: None, producing: UnitKind::Soldier, progress: 0 })
            .collect();
        Self {
            config,
            rng,
            phase: Phase::Lobby,
            now: WallMs(0),
            turn: 0,
            deadline: None,
            map,
            seats: Vec::new(),
            units: Vec::new(),
            cities,
            next_id: 100,
            winner: None,
            pending: Vec::new(),
            log: VecDeque::new(),
        }
    }

    pub fn seat_of(&self, player: PlayerId) -> Option<Seat> {
        self.seats.iter().position(|s| s.player == player).map(|i| i as Seat)
    }

    pub fn unit_at(&self, p: Pos) -> Option<&Unit> {
        self.units.iter().find(|u| u.pos == p)
    }

    pub fn city_at(&self, p: Pos) -> Option<&City> {
        self.cities.iter().find(|c| c.pos == p)
    }

    /// Which tiles `seat` sees now: within sight of its units (one more on hills) and
    /// within 2 of its cities.
    pub fn visible(&self, seat: Seat) -> Vec<bool> {
        let mut seen = vec![false; self.map.len()];
        let units = self.units.iter().filter(|u| u.owner == seat).map(|u| {
            let hills = self.map.terrain(u.pos) == crate::map::Terrain::Hills;
            (u.pos, u.kind.sight() + u8::from(hills))
        });
        let cities = self.cities.iter().filter(|c| c.owner == Some(seat)).map(|c| (c.pos, 2));
        for (centre, radius) in units.chain(cities) {
            for p in self.map.around(centre, radius) {
                seen[self.map.index(p)] = true;
            }
        }
        seen
    }

    /// Mark what every seat sees as explored.
    pub fn explore(&mut self) {
        for seat in 0..self.seats.len() {
            let seen = self.visible(seat as Seat);
            for (e, s) in self.seats[seat].explored.iter_mut().zip(seen) {
                *e |= s;
            }
        }
    }

    pub fn fresh_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// The seats whose orders the turn waits for: alive, played by their player, not yet in.
    pub fn awaited(&self) -> Vec<Seat> {
        if self.phase != Phase::Running {
            return Vec::new();
        }
        (0..self.seats.len() as Seat).filter(|&s| self.human(s) && !self.seats[usize::from(s)].submitted).collect()
    }

    /// Alive and played by their player (not a bot).
    pub fn human(&self, seat: Seat) -> bool {
        let s = &self.seats[usize::from(seat)];
        s.alive && !s.bot
    }

    /// Record `what`, seen by the seats of `to` (`None`: everyone), for the next step's
    /// report.
    pub fn happen_now(&mut self, what: crate::events::What, to: Option<u8>) {
        self.pending.push(Happening { turn: self.turn, at: self.now, to, what });
    }

    /// The wall clock `ms` from now.
    pub fn after(&self, ms: u64) -> WallMs {
        WallMs(self.now.0.saturating_add(ms))
    }
}
