//! [`PlayerMap`]: a map keyed by player id with a cheap hash. A large room looks its views
//! up by player a few hundred times a tick; the default SipHash cost ~70 instructions each.
//! The ids are server-issued and a room holds at most 64 views, so collisions cost little.

use orrery_common::PlayerId;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map keyed by player id, hashed by [`IdHasher`].
pub(super) type PlayerMap<V> = HashMap<PlayerId, V, BuildHasherDefault<IdHasher>>;

/// Mixes the bytes written in words of eight (a multiply-rotate hash, as FxHash).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
        }
        let mut rest = [0u8; 8];
        let tail = chunks.remainder();
        if !tail.is_empty() {
            rest[..tail.len()].copy_from_slice(tail);
            self.add(u64::from_le_bytes(rest));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn ids_that_differ_in_any_byte_hash_apart() {
        let hash = |n: u128| BuildHasherDefault::<IdHasher>::default().hash_one(PlayerId(uuid::Uuid::from_u128(n)));
        let base = 0x0123_4567_89ab_cdef_0123_4567_89ab_cdefu128;
        for byte in 0..16 {
            assert_ne!(hash(base), hash(base ^ (1 << (8 * byte))), "byte {byte}");
        }
        let mut map = PlayerMap::default();
        for n in 0..64u128 {
            map.insert(PlayerId(uuid::Uuid::from_u128(n * 7919)), n);
        }
        assert!((0..64u128).all(|n| map[&PlayerId(uuid::Uuid::from_u128(n * 7919))] == n));
    }
}
