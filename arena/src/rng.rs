//! The room's random generator: ChaCha8 seeded from `RoomSettings::seed`, kept in the
//! game state and snapshotted exactly (seed, stream and word position).
//!
//! Ranges are mapped with a multiply-shift of our own rather than `rand`'s helpers, so
//! the meaning of a seed does not depend on a library's sampling algorithm.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The one source of randomness of a room.
#[derive(Clone, Debug)]
pub struct RoomRng(ChaCha8Rng);

impl RoomRng {
    pub fn from_seed(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Uniform in `0..n` (0 when `n == 0`).
    pub fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.0.next_u32()) * u64::from(n)) >> 32) as u32
    }

    /// Uniform in `lo..hi` (`lo` when the range is empty).
    pub fn range_i32(&mut self, lo: i32, hi: i32) -> i32 {
        if hi <= lo {
            return lo;
        }
        let span = (i64::from(hi) - i64::from(lo)).min(i64::from(u32::MAX)) as u32;
        (i64::from(lo) + i64::from(self.below(span))) as i32
    }

    /// Uniform in `lo..=hi` for tick counts.
    pub fn range_u32_inclusive(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo).saturating_add(1))
    }

    fn state(&self) -> RngState {
        RngState { seed: self.0.get_seed(), stream: self.0.get_stream(), word_pos: self.0.get_word_pos() }
    }
}

impl PartialEq for RoomRng {
    fn eq(&self, other: &Self) -> bool {
        self.state() == other.state()
    }
}

/// What a snapshot stores of the generator.
#[derive(Serialize, Deserialize, PartialEq)]
struct RngState {
    seed: [u8; 32],
    stream: u64,
    word_pos: u128,
}

impl Serialize for RoomRng {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.state().serialize(s)
    }
}

impl<'de> Deserialize<'de> for RoomRng {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let state = RngState::deserialize(d)?;
        let mut rng = ChaCha8Rng::from_seed(state.seed);
        rng.set_stream(state.stream);
        rng.set_word_pos(state.word_pos);
        Ok(Self(rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_continues_the_sequence() {
        let mut a = RoomRng::from_seed(7);
        for _ in 0..13 {
            a.below(1000);
        }
        let bytes = postcard::to_allocvec(&a).unwrap();
        let mut b: RoomRng = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(a, b);
        for _ in 0..50 {
            assert_eq!(a.below(1 << 30), b.below(1 << 30));
        }
    }

    #[test]
    fn ranges_stay_inside() {
        let mut r = RoomRng::from_seed(1);
        for _ in 0..1000 {
            let v = r.range_i32(-5, 5);
            assert!((-5..5).contains(&v));
            let t = r.range_u32_inclusive(3, 4);
            assert!((3..=4).contains(&t));
        }
        assert_eq!(r.range_i32(4, 4), 4);
    }
}
