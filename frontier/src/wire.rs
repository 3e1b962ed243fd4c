//! Frames: what each viewer is sent, and [`FrontierView`], the client's copy that applies
//! them. Everything is postcard (https://postcard.jamesmunns.com/wire-format).
//!
//! A payload is the shared part followed by the viewer's own part (`Views::PerViewer`):
//!
//! - shared, in keyframes and deltas alike: [`Public`], the scoreboard every viewer may see
//!   (turn, phase, deadline, seats with their connected/bot/done flags and city counts);
//! - a seated player's part: in a keyframe [`Mine`] (the tiles it has explored, with the
//!   ones it sees now marked, the units and cities it sees, its orders, its log); in a
//!   delta [`MineDelta`] (tiles that changed, units and cities when they changed, its
//!   orders, the new log entries). Spectators and anyone without a seat get no own part.
//!
//! Nothing in a player's part is outside its sight: another seat's unit, city or
//! happening appears only while that seat's tile is seen (`tests/visibility.rs`).

use crate::events::What;
use crate::map::{Pos, Terrain};
use crate::state::{Order, Seat, State, Unit, UnitKind};
use orrery_common::PlayerId;
use orrery_common::game::{Phase, WallMs};
use serde::{Deserialize, Serialize};

/// A tile's byte: 0 unknown, else 1 + [`Terrain`]; [`VISIBLE`] set while seen now.
pub const VISIBLE: u8 = 0x80;
/// Log entries a keyframe carries; a view keeps as many.
pub const LOG_SHOWN: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSeat {
    pub player: PlayerId,
    pub name: String,
    pub connected: bool,
    pub bot: bool,
    pub left: bool,
    pub alive: bool,
    /// Orders in for this turn.
    pub submitted: bool,
    pub cities: u8,
    pub kills: u32,
}

/// The part every viewer may see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Public {
    pub phase: Phase,
    pub turn: u32,
    pub turn_limit: u32,
    /// The lobby's start, the turn's deadline, or when a finished room may close.
    pub deadline: Option<WallMs>,
    /// The room's clock when this was encoded (clients correct their own with it).
    pub now: WallMs,
    pub turn_ms: u64,
    pub grace_ms: u64,
    pub width: u8,
    pub height: u8,
    pub seats: Vec<PublicSeat>,
    pub winner: Option<Seat>,
}

/// A city as a seat sees it: production only for its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityView {
    pub id: u32,
    pub pos: Pos,
    pub owner: Option<Seat>,
    pub production: Option<(UnitKind, u8)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub turn: u32,
    pub what: What,
}

/// A seated player's own part of a keyframe.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mine {
    pub seat: Seat,
    pub tiles: Vec<u8>,
    pub units: Vec<Unit>,
    pub cities: Vec<CityView>,
    pub orders: Vec<Order>,
    pub log: Vec<LogEntry>,
}

/// A seated player's own part of a delta.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MineDelta {
    /// The seat (it changes when an earlier seat leaves the lobby).
    pub seat: Seat,
    pub tiles: Vec<(u16, u8)>,
    pub units: Option<Vec<Unit>>,
    pub cities: Option<Vec<CityView>>,
    pub orders: Vec<Order>,
    pub log: Vec<LogEntry>,
}

pub fn public(state: &State) -> Public {
    let seats = state
        .seats
        .iter()
        .enumerate()
        .map(|(i, s)| PublicSeat {
            player: s.player,
            name: s.name.clone(),
            connected: s.connected,
            bot: s.bot,
            left: s.left,
            alive: s.alive,
            submitted: s.submitted,
            cities: state.cities.iter().filter(|c| c.owner == Some(i as Seat)).count() as u8,
            kills: s.kills,
        })
        .collect();
    let c = &state.config;
    Public {
        phase: state.phase,
        turn: state.turn,
        turn_limit: c.turn_limit,
        deadline: state.deadline,
        now: state.now,
        turn_ms: c.turn_ms,
        grace_ms: c.grace_ms,
        width: c.width,
        height: c.height,
        seats,
        winner: state.winner,
    }
}

/// What `seat` sees of the map now, without its orders and log.
pub fn sight(state: &State, seat: Seat) -> Mine {
    let visible = state.visible(seat);
    let explored = &state.seats[usize::from(seat)].explored;
    let tiles = (0..state.map.len())
        .map(|i| match (explored[i], visible[i]) {
            (false, _) => 0,
            (true, seen) => (1 + state.map.tiles[i] as u8) | if seen { VISIBLE } else { 0 },
        })
        .collect();
    let seen = |p: Pos| visible[state.map.index(p)];
    let units = state.units.iter().filter(|u| u.owner == seat || seen(u.pos)).cloned().collect();
    let cities = state
        .cities
        .iter()
        .filter(|c| c.owner == Some(seat) || seen(c.pos))
        .map(|c| CityView {
            id: c.id,
            pos: c.pos,
            owner: c.owner,
            production: (c.owner == Some(seat)).then_some((c.producing, c.progress)),
        })
        .collect();
    Mine { seat, tiles, units, cities, orders: Vec::new(), log: Vec::new() }
}

/// `seat`'s whole part now: its sight, orders and the last [`LOG_SHOWN`] things it knows of.
pub fn mine(state: &State, seat: Seat) -> Mine {
    let mut mine = sight(state, seat);
    mine.orders = state.seats[usize::from(seat)].orders.clone();
    let known: Vec<LogEntry> =
        state.log.iter().filter(|h| h.seen_by(Some(seat))).map(|h| LogEntry { turn: h.turn, what: h.what.clone() }).collect();
    mine.log = known[known.len().saturating_sub(LOG_SHOWN)..].to_vec();
    mine
}

/// From `before` to `after` (two sights of one seat), with its orders and new entries.
pub fn diff(before: &Mine, after: &Mine, orders: Vec<Order>, log: Vec<LogEntry>) -> MineDelta {
    let tiles = before.tiles.iter().zip(&after.tiles).enumerate().filter(|(_, (b, a))| b != a).map(|(i, (_, a))| (i as u16, *a)).collect();
    MineDelta {
        seat: after.seat,
        tiles,
        units: (before.units != after.units).then(|| after.units.clone()),
        cities: (before.cities != after.cities).then(|| after.cities.clone()),
        orders,
        log,
    }
}

pub fn encode<T: Serialize>(value: &T, out: &mut Vec<u8>) {
    out.extend_from_slice(&postcard::to_allocvec(value).expect("views always serialise"));
}

/// A payload a [`FrontierView`] cannot apply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("undecodable {0}")]
    Bytes(&'static str),
    #[error("a delta for a part that no keyframe started")]
    NoBase,
    #[error("tile {0} is off the map")]
    Tile(u16),
}

/// What a client holds: the scoreboard and, for a seated player, its own part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrontierView {
    pub public: Public,
    pub mine: Option<Mine>,
}

fn take<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &'static str) -> Result<(T, &'a [u8]), DecodeError> {
    postcard::take_from_bytes(bytes).map_err(|_| DecodeError::Bytes(what))
}

fn whole<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &'static str) -> Result<Option<T>, DecodeError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    match take(bytes, what)? {
        (v, []) => Ok(Some(v)),
        _ => Err(DecodeError::Bytes(what)),
    }
}

impl FrontierView {
    pub fn from_keyframe(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (public, rest) = take::<Public>(bytes, "scoreboard")?;
        let mine: Option<Mine> = whole(rest, "own view")?;
        if mine.as_ref().is_some_and(|m| m.tiles.len() != usize::from(public.width) * usize::from(public.height)) {
            return Err(DecodeError::Bytes("own view"));
        }
        Ok(Self { public, mine })
    }

    pub fn apply_delta(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        let (public, rest) = take::<Public>(bytes, "scoreboard")?;
        let delta: Option<MineDelta> = whole(rest, "own delta")?;
        if let Some(delta) = delta {
            let mine = self.mine.as_mut().ok_or(DecodeError::NoBase)?;
            for &(i, t) in &delta.tiles {
                *mine.tiles.get_mut(usize::from(i)).ok_or(DecodeError::Tile(i))? = t;
            }
            if let Some(units) = delta.units {
                mine.units = units;
            }
            if let Some(cities) = delta.cities {
                mine.cities = cities;
            }
            mine.seat = delta.seat;
            mine.orders = delta.orders;
            mine.log.extend(delta.log);
            let excess = mine.log.len().saturating_sub(LOG_SHOWN);
            mine.log.drain(..excess);
        }
        self.public = public;
        Ok(())
    }

    /// The terrain of `p` as this viewer knows it, and whether it sees it now.
    pub fn tile(&self, p: Pos) -> Option<(Terrain, bool)> {
        let mine = self.mine.as_ref()?;
        let t = *mine.tiles.get(usize::from(p.y) * usize::from(self.public.width) + usize::from(p.x))?;
        let terrain = match t & !VISIBLE {
            1 => Terrain::Plains,
            2 => Terrain::Forest,
            3 => Terrain::Hills,
            4 => Terrain::Water,
            _ => return None,
        };
        Some((terrain, t & VISIBLE != 0))
    }
}
