//! The bot: orders for one seat from what that seat sees ([`Mine`]), so it plays by the
//! same fog as a player. The server runs it for seats whose player is away past the grace
//! (or left); `orrery-bot` runs it against its own view through the gateways.
//!
//! Each unit, by id: attack or take the nearest enemy unit or foreign city it can reach;
//! else step towards the nearest one it sees; else towards the nearest tile it has not
//! explored (the far corner once it has seen everything). Cities build soldiers, and a
//! scout when the seat has none.

use crate::map::Pos;
use crate::state::{Order, UnitKind};
use crate::wire::{Mine, VISIBLE};
use std::collections::BTreeSet;

/// This turn's orders for the seat whose part is `mine`, on a `width` × `height` map.
pub fn orders(mine: &Mine, width: u8, height: u8) -> Vec<Order> {
    let tile = |p: Pos| mine.tiles[usize::from(p.y) * usize::from(width) + usize::from(p.x)];
    let passable = |p: Pos| tile(p) != 0 && tile(p) & !VISIBLE != 4;
    let seen = |p: Pos| tile(p) & VISIBLE != 0;
    let own = |o: Option<u8>| o == Some(mine.seat);
    let targets: Vec<Pos> = mine
        .units
        .iter()
        .filter(|u| u.owner != mine.seat)
        .map(|u| u.pos)
        .chain(mine.cities.iter().filter(|c| !own(c.owner)).map(|c| c.pos))
        .collect();
    let unexplored: Vec<Pos> = (0..height).flat_map(|y| (0..width).map(move |x| Pos::new(x, y))).filter(|&p| tile(p) == 0).collect();
    let mut taken: BTreeSet<Pos> = mine.units.iter().filter(|u| u.owner == mine.seat).map(|u| u.pos).collect();
    let mut out = Vec::new();
    let mut units: Vec<_> = mine.units.iter().filter(|u| u.owner == mine.seat).collect();
    units.sort_by_key(|u| u.id);
    for unit in units {
        let reach = unit.kind.moves();
        let nearest = |from: &[Pos]| from.iter().copied().min_by_key(|&t| (unit.pos.distance(t), t.y, t.x));
        let goal = nearest(&targets).or_else(|| nearest(&unexplored)).unwrap_or(Pos::new(width - 1 - unit.pos.x, height - 1 - unit.pos.y));
        let options = (unit.pos.y.saturating_sub(reach)..=(unit.pos.y + reach).min(height - 1))
            .flat_map(|y| (unit.pos.x.saturating_sub(reach)..=(unit.pos.x + reach).min(width - 1)).map(move |x| Pos::new(x, y)))
            .filter(|&p| p != unit.pos && seen(p) && passable(p) && !taken.contains(&p));
        let Some(to) = options.min_by_key(|&p| (p.distance(goal), p.y, p.x)) else { continue };
        if to.distance(goal) >= unit.pos.distance(goal) && !targets.contains(&to) {
            continue;
        }
        taken.remove(&unit.pos);
        taken.insert(to);
        out.push(Order::Move { unit: unit.id, to });
    }
    let has_scout = mine.units.iter().any(|u| u.owner == mine.seat && u.kind == UnitKind::Scout);
    for city in mine.cities.iter().filter(|c| own(c.owner)) {
        let want = if has_scout { UnitKind::Soldier } else { UnitKind::Scout };
        if city.production.is_some_and(|(kind, _)| kind != want) {
            out.push(Order::Produce { city: city.id, kind: want });
        }
    }
    out
}
