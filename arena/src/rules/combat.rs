//! Bullets hitting ships (damage, hit and kill scores) and ships reaching a black
//! hole's core. A ship at 0 health is destroyed: it stops, stays visible, and is out.

use crate::events::{ArenaEvent, KillCause};
use crate::fixed::Vec2;
use crate::kinematics::in_any_core;
use crate::state::Room;
use crate::world::Slot;

impl Room {
    /// Each bullet hits at most one ship (the lowest slot it touches) and is spent.
    pub fn resolve_hits(&mut self) {
        let reach = i64::from(self.world.physics.ship_radius + self.world.physics.bullet_radius);
        let mut i = 0;
        while i < self.world.bullets.len() {
            let bullet = &self.world.bullets[i];
            let target = self.world.seated().find(|(slot, ship)| {
                ship.alive
                    && *slot != bullet.owner
                    && ship.pos.distance_squared(bullet.pos) <= reach * reach
            });
            match target.map(|(slot, _)| slot) {
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
        self.pending_events.push(ArenaEvent::Hit {
            shooter: shooter_id,
            target: target_id,
            damage,
            health,
        });
        if health == 0 {
            self.destroy(target, Some(shooter), KillCause::Bullet);
        }
    }

    /// Ships inside a core are destroyed.
    pub fn resolve_black_hole_cores(&mut self) {
        for slot in 0..self.world.ships.len() {
            let doomed = self.world.ships[slot]
                .as_ref()
                .is_some_and(|s| s.alive && in_any_core(s.pos, &self.world.black_holes));
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
        let killer_id = killer
            .and_then(|k| self.world.ships[usize::from(k)].as_mut())
            .map(|k| {
                k.kills = k.kills.saturating_add(1);
                k.score = k.score.saturating_add(kill_score);
                k.player
            });
        self.pending_events.push(ArenaEvent::Killed {
            killer: killer_id,
            victim: victim_id,
            cause,
        });
    }
}
