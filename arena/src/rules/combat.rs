//! Bullets hitting ships (damage, hit and kill scores) and ships reaching a black
//! hole's core. A ship at 0 health is destroyed: it stops, stays visible, and is out.

use crate::events::{ArenaEvent, KillCause};
use crate::fixed::Vec2;
use crate::kinematics::{HoleCells, in_any_core};
use crate::state::Room;
use crate::world::Slot;

/// Where each column of the field starts in a list sorted by x, so that finding the first
/// item at or after an x is a lookup and a step or two, not a binary search per bullet.
struct Columns {
    /// `starts[c]`: the index of the first item whose x is at least `c × COLUMN` (0 for
    /// the first column, whatever the x).
    starts: Vec<u32>,
}

/// Ships from which [`Columns`] are built.
const MANY_SHIPS: usize = 16;

/// Width of a column, in sub-units (64 units).
const COLUMN: i32 = 64 * crate::fixed::SUBUNITS_PER_UNIT;

impl Columns {
    fn new(by_x: &[(i32, Slot)], width: i32) -> Self {
        let columns = (width.max(0) / COLUMN) as usize + 2;
        let mut starts = Vec::with_capacity(columns);
        let mut at = 0;
        for c in 0..columns {
            let left = if c == 0 { i64::MIN } else { c as i64 * i64::from(COLUMN) };
            while at < by_x.len() && i64::from(by_x[at].0) < left {
                at += 1;
            }
            starts.push(at as u32);
        }
        Self { starts }
    }

    /// The index of the first item of `by_x` (the list it was built from) whose x is at
    /// least `x`: `by_x.partition_point(|&(ix, _)| ix < x)`.
    fn first_at_or_after(&self, by_x: &[(i32, Slot)], x: i32) -> usize {
        let c = ((x.max(0) / COLUMN) as usize).min(self.starts.len() - 1);
        let mut at = self.starts[c] as usize;
        while at < by_x.len() && by_x[at].0 < x {
            at += 1;
        }
        at
    }
}

impl Room {
    /// Each bullet hits at most one ship (the lowest slot it touches) and is spent.
    pub fn resolve_hits(&mut self) {
        let reach = self.world.physics.ship_radius + self.world.physics.bullet_radius;
        let reach2 = i64::from(reach) * i64::from(reach);
        // Alive ships by x, so that each bullet looks only at the ships within reach on x.
        let mut by_x: Vec<(i32, Slot)> = self.world.seated().filter(|(_, s)| s.alive).map(|(slot, s)| (s.pos.x, slot)).collect();
        by_x.sort_unstable();
        // With a handful of ships a binary search is as quick as building the columns.
        let columns = (by_x.len() >= MANY_SHIPS).then(|| Columns::new(&by_x, self.world.physics.width));
        let mut i = 0;
        while i < self.world.bullets.len() {
            let bullet = &self.world.bullets[i];
            let left = bullet.pos.x.saturating_sub(reach);
            let from = match &columns {
                Some(columns) => columns.first_at_or_after(&by_x, left),
                None => by_x.partition_point(|&(x, _)| x < left),
            };
            let target = by_x[from..]
                .iter()
                .take_while(|&&(x, _)| x <= bullet.pos.x.saturating_add(reach))
                .map(|&(_, slot)| slot)
                .filter(|&slot| slot != bullet.owner)
                .filter(|&slot| {
                    self.world.ships[usize::from(slot)].as_ref().is_some_and(|s| s.alive && s.pos.distance_squared(bullet.pos) <= reach2)
                })
                .min();
            match target {
                Some(target) => {
                    let bullet = self.world.bullets.remove(i);
                    self.hit(bullet.owner, target);
                }
                None => i += 1,
            }
        }
    }

    fn hit(&mut self, shooter: Slot, target: Slot) {
        let damage = self.config.bullet_damage;
        let hit_score = self.config.hit_score;
        let shooter_id = self.world.ships[usize::from(shooter)].as_mut().map(|s| {
            s.score = s.score.saturating_add(hit_score);
            s.player
        });
        let Some(ship) = self.world.ships[usize::from(target)].as_mut() else {
            return;
        };
        ship.health = ship.health.saturating_sub(damage);
        let (target_id, health) = (ship.player, ship.health);
        self.pending_events.push(ArenaEvent::Hit { shooter: shooter_id, target: target_id, damage, health });
        if health == 0 {
            self.destroy(target, Some(shooter), KillCause::Bullet);
        }
    }

    /// Ships inside a core are destroyed. `cells`, when given, are the cells of this
    /// world's holes: each ship looks only at the cores its cell lists (the same result).
    pub(crate) fn resolve_black_hole_cores(&mut self, cells: Option<&HoleCells>) {
        for slot in 0..self.world.ships.len() {
            let holes = &self.world.black_holes;
            let doomed = self.world.ships[slot]
                .as_ref()
                .is_some_and(|s| s.alive && in_any_core(s.pos, cells.map_or(holes, |cells| cells.cores(s.pos, holes))));
            if doomed {
                self.destroy(slot as Slot, None, KillCause::BlackHole);
            }
        }
    }

    fn destroy(&mut self, victim: Slot, killer: Option<Slot>, cause: KillCause) {
        let tick = self.world.tick;
        let Some(ship) = self.world.ships[usize::from(victim)].as_mut() else {
            return;
        };
        ship.alive = false;
        ship.health = 0;
        ship.vel = Vec2::ZERO;
        ship.thrust_cooldown = 0;
        ship.fire_cooldown = 0;
        let victim_id = ship.player;
        if let Some(standing) = self.standing_mut(victim_id) {
            standing.out_at.get_or_insert(tick);
        }
        let kill_score = self.config.kill_score;
        let killer_id = killer.and_then(|k| self.world.ships[usize::from(k)].as_mut()).map(|k| {
            k.kills = k.kills.saturating_add(1);
            k.score = k.score.saturating_add(kill_score);
            k.player
        });
        self.pending_events.push(ArenaEvent::Killed { killer: killer_id, victim: victim_id, cause });
    }
}

#[cfg(test)]
mod tests {
    use crate::config::ArenaConfig;
    use crate::events::{ArenaEvent, KillCause};
    use crate::fixed::Vec2;
    use crate::state::Room;
    use crate::world::Bullet;
    use orrery_common::PlayerId;
    use orrery_common::game::Phase;

    #[test]
    fn columns_find_what_a_binary_search_finds() {
        let mut rng = crate::rng::RoomRng::from_seed(8);
        let width = 1_500_000;
        for n in [0usize, 1, 2, 5, 64] {
            let mut by_x: Vec<(i32, u8)> = (0..n).map(|slot| (rng.range_i32(-20_000, width + 20_000), slot as u8)).collect();
            by_x.sort_unstable();
            let columns = super::Columns::new(&by_x, width);
            for _ in 0..2000 {
                let x = rng.range_i32(-40_000, width + 40_000);
                assert_eq!(columns.first_at_or_after(&by_x, x), by_x.partition_point(|&(bx, _)| bx < x), "{x} in {by_x:?}");
            }
            for &(bx, _) in &by_x {
                for x in [bx - 1, bx, bx + 1] {
                    assert_eq!(columns.first_at_or_after(&by_x, x), by_x.partition_point(|&(ix, _)| ix < x));
                }
            }
        }
    }

    fn running_duel() -> Room {
        let config = ArenaConfig { min_players: 2, countdown_ticks: 1, ..ArenaConfig::default() };
        let mut room = Room::new(config, 3);
        for n in 1..=2 {
            room.join(PlayerId(uuid::Uuid::from_u128(n)), "p").unwrap();
        }
        let mut scratch = room.world.clone();
        for _ in 0..3 {
            room.step(&mut scratch, &mut Vec::new(), crate::rules::StepOutput::Delta);
        }
        assert_eq!(room.world.phase, Phase::Running);
        room.pending_events.clear();
        room
    }

    fn bullet_at(pos: Vec2) -> Bullet {
        Bullet { id: 77, owner: 0, pos, vel: Vec2::ZERO, ttl: 10 }
    }

    #[test]
    fn a_hit_damages_and_scores_and_the_last_hit_kills() {
        let mut room = running_duel();
        let target = room.world.ships[1].as_ref().unwrap().pos;
        room.world.bullets.push(bullet_at(target));
        room.resolve_hits();
        assert!(room.world.bullets.is_empty(), "the bullet is spent");
        let victim = room.world.ships[1].as_ref().unwrap();
        assert_eq!(victim.health, 90);
        assert_eq!(room.world.ships[0].as_ref().unwrap().score, 10);
        assert!(matches!(room.pending_events[0], ArenaEvent::Hit { damage: 10, health: 90, .. }));

        room.world.ships[1].as_mut().unwrap().health = 10;
        room.world.bullets.push(bullet_at(target));
        room.resolve_hits();
        let victim = room.world.ships[1].as_ref().unwrap();
        assert!(!victim.alive && victim.health == 0);
        let killer = room.world.ships[0].as_ref().unwrap();
        assert_eq!((killer.kills, killer.score), (1, 10 + 10 + 100));
        assert!(room.pending_events.iter().any(|e| matches!(e, ArenaEvent::Killed { cause: KillCause::Bullet, .. })));
        assert_eq!(room.standings[1].out_at, Some(room.world.tick));
    }

    #[test]
    fn a_bullet_touching_two_ships_hits_the_lowest_slot_and_a_destroyed_ship_takes_no_more() {
        let mut room = running_duel();
        let at = room.world.ships[1].as_ref().unwrap().pos;
        let mut third = room.world.ships[1].clone().unwrap();
        third.player = PlayerId(uuid::Uuid::from_u128(3));
        room.world.ships[2] = Some(third);
        room.world.ships[1].as_mut().unwrap().health = 10;
        // Slot 2 sits right of slot 1; the bullet touches both.
        room.world.ships[2].as_mut().unwrap().pos = Vec2::new(at.x + 1000, at.y);
        room.world.bullets.push(bullet_at(Vec2::new(at.x + 500, at.y)));
        room.world.bullets.push(Bullet { id: 78, ..bullet_at(Vec2::new(at.x + 500, at.y)) });
        room.resolve_hits();
        assert!(room.world.bullets.is_empty());
        assert!(!room.world.ships[1].as_ref().unwrap().alive, "the first bullet hits slot 1 and destroys it");
        assert_eq!(room.world.ships[2].as_ref().unwrap().health, 90, "the second passes to slot 2");
    }

    #[test]
    fn own_bullets_do_not_hit() {
        let mut room = running_duel();
        let own = room.world.ships[0].as_ref().unwrap().pos;
        room.world.bullets.push(bullet_at(own));
        room.resolve_hits();
        assert_eq!(room.world.bullets.len(), 1);
        assert_eq!(room.world.ships[0].as_ref().unwrap().health, 100);
    }

    #[test]
    fn a_black_hole_core_destroys_a_ship() {
        let mut room = running_duel();
        let core = room.world.black_holes[0].pos;
        room.world.ships[0].as_mut().unwrap().pos = core;
        room.resolve_black_hole_cores(None);
        assert!(!room.world.ships[0].as_ref().unwrap().alive);
        assert!(room.world.ships[1].as_ref().unwrap().alive);
        assert!(room.pending_events.iter().any(|e| matches!(e, ArenaEvent::Killed { killer: None, cause: KillCause::BlackHole, .. })));
    }

    #[test]
    fn pickups_heal_up_to_the_maximum_and_score() {
        use crate::world::{Pickup, PickupKind};
        let mut room = running_duel();
        let at = room.world.ships[0].as_ref().unwrap().pos;
        room.world.ships[0].as_mut().unwrap().health = 90;
        room.world.pickups.push(Pickup { id: 1, kind: PickupKind::Health, pos: at });
        room.world.pickups.push(Pickup { id: 2, kind: PickupKind::Score, pos: at });
        room.take_pickups();
        assert!(room.world.pickups.is_empty(), "despawned when taken");
        let ship = room.world.ships[0].as_ref().unwrap();
        assert_eq!((ship.health, ship.score), (100, 50));
        assert_eq!(room.pending_events.len(), 2);
    }
}
