//! [`MovedShips`]: which ships a step left exactly as its motion moved them from what
//! clients held, so that per-player views need not move those ships again to predict them.
//!
//! A view that held a ship one tick ago holds a copy of it as the room sent it; its
//! delta's prediction moves that copy with the ship's new intents. When the ship before the
//! motion was that copy but for its intents (nothing between the steps touched it), and
//! the rules after the motion left it alone, that prediction is exactly the ship the room
//! now holds: no view has to move it, and its residuals are zero.

use crate::seats::Seats;
use crate::world::{Ship, World};

/// The slots of one step's ships that are exactly as moved (see the module docs), and
/// the buffer the step records them in.
#[derive(Clone, Debug, Default)]
pub struct MovedShips {
    /// After [`Self::finish`]: the slots whose ship is what moving the sent ship (with the
    /// intents it has now) gives.
    pub(crate) slots: Seats,
    /// After [`Self::finish`]: the slots whose seat (player, name, colour) is the one
    /// clients hold, so that a view that held the ship and holds it still has no seat change.
    pub(crate) seats_kept: Seats,
    /// The ships as the motion left them (only the recorded slots are meaningful).
    moved: Vec<Option<Ship>>,
}

impl MovedShips {
    /// Before the motion: notes the ships of `world` that are those of `sent` (what
    /// clients hold) but for their intents, in a world whose phase and statics are
    /// `sent`'s too (the motion depends on them).
    pub fn before_motion(&mut self, world: &World, sent: &World) {
        self.slots = Seats::default();
        self.seats_kept = Seats::default();
        let same_world = world.phase == sent.phase && world.physics == sent.physics && world.black_holes == sent.black_holes;
        if !same_world || world.ships.len() != sent.ships.len() {
            return;
        }
        for (slot, (now, then)) in world.ships.iter().zip(&sent.ships).enumerate() {
            if let (Some(now), Some(then)) = (now, then)
                && same_but_intents(now, then)
            {
                self.slots.insert(slot);
            }
        }
    }

    /// Right after the motion: keeps the noted ships as moved.
    pub fn after_motion(&mut self, world: &World) {
        self.moved.resize(world.ships.len(), None);
        for slot in self.slots.slots() {
            match (&mut self.moved[slot], &world.ships[slot]) {
                (Some(to), Some(ship)) => to.clone_from(ship),
                (to, ship) => to.clone_from(ship),
            }
        }
    }

    /// After the rules: keeps only the slots whose ship is still as moved, and notes the
    /// seats that are those of `sent`.
    pub fn finish(&mut self, world: &World, sent: &World) {
        self.seats_kept = Seats::default();
        for (slot, (now, then)) in world.ships.iter().zip(&sent.ships).enumerate() {
            if let (Some(now), Some(then)) = (now, then)
                && now.same_seat(then)
            {
                self.seats_kept.insert(slot);
            }
        }
        let mut slots = Seats::default();
        for slot in self.slots.slots() {
            if let (Some(Some(moved)), Some(Some(ship))) = (self.moved.get(slot), world.ships.get(slot))
                && moved == ship
            {
                slots.insert(slot);
            }
        }
        self.slots = slots;
    }
}

/// Whether `a` and `b` are the same ship but perhaps for their intents (turn, thrust, fire).
fn same_but_intents(a: &Ship, b: &Ship) -> bool {
    let Ship {
        player,
        name,
        colour,
        turn: _,
        thrust: _,
        fire: _,
        pos,
        vel,
        angle,
        thrust_cooldown,
        fire_cooldown,
        health,
        score,
        kills,
        alive,
        connected,
    } = a;
    (*pos, *vel, *angle, *thrust_cooldown, *fire_cooldown) == (b.pos, b.vel, b.angle, b.thrust_cooldown, b.fire_cooldown)
        && (*health, *score, *kills, *alive, *connected, *colour) == (b.health, b.score, b.kills, b.alive, b.connected, b.colour)
        && *player == b.player
        && *name == b.name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArenaConfig;
    use crate::fixed::{SUBUNITS_PER_UNIT, Vec2};
    use crate::input::{Intent, encode_intent};
    use crate::rules::{ForViews, StepOutput};
    use crate::state::Room;
    use crate::world::Bullet;
    use orrery_common::PlayerId;
    use orrery_common::game::Phase;

    fn player(n: u128) -> PlayerId {
        PlayerId(uuid::Uuid::from_u128(n))
    }

    /// A running room of four ships far apart, without black holes or pickups to come.
    fn room() -> Room {
        let mut config = ArenaConfig::large(30, 4);
        (config.black_holes, config.bullet_damage) = (0, 10);
        let mut room = Room::new(config, 3);
        for n in 0..4 {
            room.join(player(n), &format!("p{n}")).unwrap();
            let ship = room.world.ships[n as usize].as_mut().unwrap();
            ship.pos = Vec2::new((300 + 300 * n as i32) * SUBUNITS_PER_UNIT, 400 * SUBUNITS_PER_UNIT);
        }
        (room.world.phase, room.world.phase_ticks_left, room.next_pickup_in) = (Phase::Running, 10_000, 10_000);
        room
    }

    fn step(room: &mut Room, moved: &mut MovedShips) {
        let mut scratch = room.world.clone();
        room.step(&mut scratch, &mut Vec::new(), StepOutput::Flown(ForViews { flown: &mut Vec::new(), moved, cells: None }));
    }

    /// What a view that held `slot` as `sent` predicts of it: that ship with the intents
    /// the room's ship has now, moved one tick (as the delta's prediction does).
    fn predicted(sent: &World, world: &World, slot: usize) -> Ship {
        let mut prediction = sent.clone();
        prediction.bullets.clear();
        let (ship, now) = (prediction.ships[slot].as_mut().unwrap(), world.ships[slot].as_ref().unwrap());
        (ship.turn, ship.thrust, ship.fire) = (now.turn, now.thrust, now.fire);
        prediction.advance();
        prediction.ships[slot].take().unwrap()
    }

    #[test]
    fn moved_ships_are_exactly_what_a_view_predicts_and_only_those() {
        let mut room = room();
        let mut moved = MovedShips::default();
        step(&mut room, &mut moved);
        step(&mut room, &mut moved);
        assert_eq!(moved.slots, Seats(0b1111), "nothing happened to any ship");
        let sent = room.sent.clone();
        // Slot 0 turns, thrusts and fires at nobody; slot 1 disconnects between the steps;
        // a shot of slot 3 sits on slot 2 (a hit: 2 loses health, 3 scores).
        let intent = Intent { turn: 0.5, thrust: true, fire: true };
        room.apply_input(player(0), &encode_intent(&intent)).unwrap();
        room.disconnect(player(1));
        let target = room.world.ships[2].as_ref().unwrap().pos;
        let id = room.world.next_bullet_id;
        room.world.bullets.push(Bullet { id, owner: 3, pos: target, vel: Vec2::ZERO, ttl: 30 });
        room.world.next_bullet_id += 1;
        step(&mut room, &mut moved);
        assert!(room.world.bullets.iter().any(|b| b.owner == 0), "slot 0 fired");
        assert_eq!(moved.slots, Seats(0b0001));
        assert_eq!(moved.seats_kept, Seats(0b1111), "nobody changed seats");
        for slot in 0..4 {
            let (prediction, ship) = (predicted(&sent, &room.world, slot), room.world.ships[slot].as_ref().unwrap());
            assert_eq!(moved.slots.contains(slot), prediction == *ship, "slot {slot}");
        }
    }
}
