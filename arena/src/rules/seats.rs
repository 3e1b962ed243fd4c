//! Seats: joining, reconnecting within the grace, disconnecting, leaving, and counting
//! out players whose grace ran out. Also where a seat's input is decoded and coalesced.
//!
//! A disconnected player's ship stays (drifting, intent cleared) for
//! [`ArenaConfig::grace_ticks`](crate::ArenaConfig::grace_ticks); a `join` within the
//! grace re-seats them with their ship intact. `leave` removes the ship at once. A
//! removed player who was in the match is counted out (they rank by the tick they left).

use crate::events::{ArenaEvent, LeaveReason};
use crate::input::{PendingIntent, decode_intent};
use crate::rules::spawn;
use crate::state::{Room, Seat};
use crate::world::{MAX_NAME_BYTES, Ship, Slot};
use orrery_common::PlayerId;
use orrery_common::game::{InputRejected, JoinRefused, Phase};

/// Ship colours, by slot.
const PALETTE: [u32; 16] = [
    0xE6194B, 0x3CB44B, 0xFFE119, 0x4363D8, 0xF58231, 0x911EB4, 0x46F0F0, 0xF032E6, 0xBCF60C, 0xFABEBE, 0x008080, 0xE6BEFF, 0x9A6324,
    0xFFFAC8, 0x800000, 0xAAFFC3,
];

/// A display name: no control characters, at most [`MAX_NAME_BYTES`], never empty.
pub fn display_name(name: &str, slot: Slot) -> String {
    let mut out = String::new();
    for c in name.trim().chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > MAX_NAME_BYTES {
            break;
        }
        out.push(c);
    }
    if out.is_empty() { format!("pilot {}", u16::from(slot) + 1) } else { out }
}

impl Room {
    pub fn join(&mut self, player: PlayerId, name: &str) -> Result<(), JoinRefused> {
        if let Some(slot) = self.world.slot_of(player) {
            let seat = self.seats[usize::from(slot)].get_or_insert_with(Seat::default);
            if seat.grace_until.take().is_some()
                && let Some(ship) = self.world.ships[usize::from(slot)].as_mut()
            {
                ship.connected = true;
                let name = ship.name.clone();
                self.pending_events.push(ArenaEvent::Joined { player, slot, name, reconnect: true });
            }
            return Ok(());
        }
        if !matches!(self.world.phase, Phase::Lobby | Phase::Countdown) {
            return Err(JoinRefused::Closed);
        }
        let slot = self.world.ships.iter().position(Option::is_none).ok_or(JoinRefused::Full)?;
        let slot_id = slot as Slot;
        let pos = spawn::ship_spawn(&self.config, &self.world, &mut self.rng);
        let name = display_name(name, slot_id);
        let mut ship = Ship::seated(player, name.clone(), PALETTE[slot % PALETTE.len()]);
        ship.pos = pos;
        ship.angle = self.rng.below(1 << 16) as u16;
        ship.health = self.config.physics.max_health;
        ship.alive = true;
        ship.connected = true;
        self.world.ships[slot] = Some(ship);
        self.seats[slot] = Some(Seat::default());
        self.pending_events.push(ArenaEvent::Joined { player, slot: slot_id, name, reconnect: false });
        Ok(())
    }

    pub fn disconnect(&mut self, player: PlayerId) {
        let Some(slot) = self.world.slot_of(player) else {
            return;
        };
        let index = usize::from(slot);
        let seat = self.seats[index].get_or_insert_with(Seat::default);
        if seat.grace_until.is_some() {
            return;
        }
        seat.grace_until = Some(self.world.tick.saturating_add(u64::from(self.config.grace_ticks)));
        seat.pending = PendingIntent::default();
        if let Some(ship) = self.world.ships[index].as_mut() {
            ship.connected = false;
        }
    }

    pub fn leave(&mut self, player: PlayerId) {
        if let Some(slot) = self.world.slot_of(player) {
            self.remove_seat(slot, LeaveReason::Left);
        }
    }

    /// Removes the ship in `slot`; a player in the running match is counted out.
    fn remove_seat(&mut self, slot: Slot, reason: LeaveReason) {
        let index = usize::from(slot);
        let Some(ship) = self.world.ships[index].take() else {
            return;
        };
        self.seats[index] = None;
        let tick = self.world.tick;
        let in_match = matches!(self.world.phase, Phase::Running | Phase::Over);
        if let Some(standing) = self.standing_mut(ship.player).filter(|_| in_match) {
            standing.score = ship.score;
            standing.kills = ship.kills;
            standing.out_at.get_or_insert(tick);
        }
        self.pending_events.push(ArenaEvent::Left { player: ship.player, slot, reason });
    }

    /// Counts out the players whose grace ran out.
    pub fn expire_graces(&mut self) {
        let tick = self.world.tick;
        for slot in 0..self.seats.len() {
            let expired = self.seats[slot].as_ref().and_then(|s| s.grace_until).is_some_and(|until| tick >= until);
            if expired {
                self.remove_seat(slot as Slot, LeaveReason::TimedOut);
            }
        }
    }

    pub fn apply_input(&mut self, player: PlayerId, input: &[u8]) -> Result<(), InputRejected> {
        let slot = self.world.slot_of(player).ok_or(InputRejected::NotSeated)?;
        let intent = decode_intent(input)?;
        self.seats[usize::from(slot)].get_or_insert_with(Seat::default).pending.push(&intent);
        Ok(())
    }

    /// Moves each live ship's coalesced input into its intent for this tick.
    pub fn apply_pending_intents(&mut self) {
        for (seat, ship) in self.seats.iter_mut().zip(self.world.ships.iter_mut()) {
            if let (Some(seat), Some(ship)) = (seat.as_mut(), ship.as_mut())
                && ship.alive
            {
                (ship.turn, ship.thrust, ship.fire) = seat.pending.take_for_tick();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_bounded() {
        assert_eq!(display_name("  ann\u{7}  ", 0), "ann");
        assert_eq!(display_name("", 2), "pilot 3");
        let long = "é".repeat(40);
        let name = display_name(&long, 0);
        assert!(name.len() <= MAX_NAME_BYTES && name.chars().all(|c| c == 'é'));
    }
}
