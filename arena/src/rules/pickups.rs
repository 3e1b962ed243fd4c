//! Pickups: spawned on a seeded schedule while the match runs (at most
//! [`ArenaConfig::max_pickups`](crate::ArenaConfig::max_pickups) at once), taken by the
//! first live ship that touches them: health packs restore health (up to the maximum),
//! score pickups add score.

use crate::events::ArenaEvent;
use crate::rules::spawn;
use crate::state::Room;
use crate::world::{Pickup, PickupKind};

impl Room {
    /// The next pickup spawns in a random number of ticks.
    pub fn schedule_next_pickup(&mut self) {
        let (lo, hi) = self.config.pickup_interval_ticks;
        self.next_pickup_in = self.rng.range_u32_inclusive(lo.max(1), hi.max(1));
    }

    pub fn spawn_pickups(&mut self) {
        self.next_pickup_in = self.next_pickup_in.saturating_sub(1);
        if self.next_pickup_in > 0 {
            return;
        }
        self.schedule_next_pickup();
        if self.world.pickups.len() >= usize::from(self.config.max_pickups) {
            return;
        }
        let pos = spawn::pickup_spawn(&self.config, &self.world, &mut self.rng);
        let health = self.rng.below(100) < u32::from(self.config.health_pickup_percent);
        let kind = if health { PickupKind::Health } else { PickupKind::Score };
        self.world.pickups.push(Pickup { id: self.next_pickup_id, kind, pos });
        self.next_pickup_id = self.next_pickup_id.wrapping_add(1);
    }

    pub fn take_pickups(&mut self) {
        let reach = i64::from(self.world.physics.ship_radius + self.world.physics.pickup_radius);
        let max_health = self.world.physics.max_health;
        let (restore, value) = (self.config.health_pickup_restore, self.config.score_pickup_value);
        let ships = &mut self.world.ships;
        let events = &mut self.pending_events;
        self.world.pickups.retain(|pickup| {
            let taker = ships.iter_mut().flatten().find(|s| s.alive && s.pos.distance_squared(pickup.pos) <= reach * reach);
            let Some(ship) = taker else { return true };
            match pickup.kind {
                PickupKind::Health => ship.health = ship.health.saturating_add(restore).min(max_health),
                PickupKind::Score => ship.score = ship.score.saturating_add(value),
            }
            events.push(ArenaEvent::Pickup { player: ship.player, kind: pickup.kind, health: ship.health, score: ship.score });
            false
        });
    }
}
