//! [`Seats`]: which slots of a world hold a ship, as the bits of one word.
//!
//! A room has at most 64 seats (`MAX_SLOTS`, and the masks of the wire), so a set of slots
//! is a `u64`. A large room's view holds a handful of its 64 seats: code that visits only
//! the occupied slots of a view costs what the view holds, and one that scans every
//! `Option<Ship>` of it (a hundred bytes each) costs what the room is.

use crate::world::Ship;

/// A set of slots (bit `s` is slot `s`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Seats(pub u64);

impl Seats {
    /// The slots of `ships` that hold a ship (only the first 64 are looked at).
    pub fn of(ships: &[Option<Ship>]) -> Self {
        let (mut mask, mut bit) = (0u64, 1u64);
        for ship in ships.iter().take(64) {
            if ship.is_some() {
                mask |= bit;
            }
            bit <<= 1;
        }
        Self(mask)
    }

    /// The slots, lowest first.
    pub fn slots(self) -> impl Iterator<Item = usize> {
        let mut mask = self.0;
        std::iter::from_fn(move || {
            let slot = mask.trailing_zeros() as usize;
            mask &= mask.wrapping_sub(1);
            (slot < 64).then_some(slot)
        })
    }

    pub fn contains(self, slot: usize) -> bool {
        slot < 64 && self.0 & (1 << slot) != 0
    }

    pub fn insert(&mut self, slot: usize) {
        if slot < 64 {
            self.0 |= 1 << slot;
        }
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub fn count(self) -> u32 {
        self.0.count_ones()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_common::PlayerId;

    #[test]
    fn of_and_slots_agree_with_the_ships() {
        let ship = || Some(Ship::seated(PlayerId(uuid::Uuid::from_u128(1)), "a".into(), 0));
        let mut ships = vec![None; 64];
        for slot in [0, 5, 63] {
            ships[slot] = ship();
        }
        let seats = Seats::of(&ships);
        assert_eq!(seats.slots().collect::<Vec<_>>(), [0, 5, 63]);
        assert!(seats.contains(5) && !seats.contains(6) && !seats.contains(64));
        assert_eq!(seats.count(), 3);
        assert_eq!(Seats::of(&[]).slots().count(), 0);
    }
}
