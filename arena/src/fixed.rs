//! Fixed-point arithmetic of the simulation: positions, velocities, angles and the
//! sine table.
//!
//! The whole kinematic state is integers, so that the server and every client (which
//! replays the same kinematics on the quantised state, see [`crate::wire`]) compute
//! bit-identical results on any platform. Distances are in *sub-units*
//! ([`SUBUNITS_PER_UNIT`] per world unit), velocities in sub-units per tick, angles in
//! 1/65536 of a full turn (`u16`, wrapping), and trigonometry goes through a 1024-entry
//! table of `round(sin(2πi/1024) · 2^14)` computed at compile time.

use serde::{Deserialize, Serialize};

/// Sub-units per world unit: positions are exact to 1/256 of a unit.
pub const SUBUNITS_PER_UNIT: i32 = 256;
/// `1.0` in the Q14 format of [`sin_q14`] and [`cos_q14`].
pub const TRIG_ONE: i32 = 1 << 14;
/// Entries of the sine table (one full turn).
const SINE_TABLE_LEN: usize = 1024;
/// Right shift from a `u16` angle to a table index.
const ANGLE_TO_INDEX_SHIFT: u32 = 6;

/// A point or a velocity in sub-units (per tick, for velocities).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vec2 {
    pub x: i32,
    pub y: i32,
}

impl Vec2 {
    pub const ZERO: Vec2 = Vec2 { x: 0, y: 0 };

    pub const fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }

    /// Squared length, exact.
    pub fn length_squared(self) -> i64 {
        let (x, y) = (i64::from(self.x), i64::from(self.y));
        x * x + y * y
    }

    /// Squared distance to `other`, exact.
    pub fn distance_squared(self, other: Vec2) -> i64 {
        let dx = i64::from(self.x) - i64::from(other.x);
        let dy = i64::from(self.y) - i64::from(other.y);
        dx * dx + dy * dy
    }

    /// In world units (for drawing).
    pub fn to_units(self) -> (f32, f32) {
        let s = SUBUNITS_PER_UNIT as f32;
        (self.x as f32 / s, self.y as f32 / s)
    }

    /// Component-wise wrapping sum (the validated state never wraps; this only keeps
    /// decoding of hostile bytes panic-free).
    #[must_use]
    pub fn wrapping_add(self, other: Vec2) -> Vec2 {
        Vec2::new(self.x.wrapping_add(other.x), self.y.wrapping_add(other.y))
    }

    /// Shortened to at most `max` (truncating), direction kept.
    #[must_use]
    pub fn clamp_length(self, max: i32) -> Vec2 {
        let max = i64::from(max.max(0));
        let len_sq = self.length_squared();
        if len_sq <= max * max {
            return self;
        }
        // Round the length up, so the truncated components can never exceed `max`.
        let floor = isqrt(len_sq as u64) as i64;
        // At least 1 (len_sq > max² ≥ 0): `max(1)` changes nothing and spares the divisions
        // their zero and overflow checks.
        let len = (if floor * floor < len_sq { floor + 1 } else { floor }).max(1);
        let scale = |c: i32| (i64::from(c) * max / len) as i32;
        Vec2::new(scale(self.x), scale(self.y))
    }
}

/// Inputs below this need no correction of the floating-point root.
const EXACT_ROOT_BELOW: u64 = 1 << 52;

/// Integer square root (floor), exact for every input below 2^62.
pub fn isqrt(v: u64) -> u64 {
    // Below 2^52 `v` converts exactly and the correctly rounded root never reaches the
    // next integer (it is at least 1/(2(r + 1)) below it, far more than half an ulp), so
    // truncating it is the floor already (`isqrt_needs_no_correction_below_2_52`).
    if v < EXACT_ROOT_BELOW {
        return (v as f64).sqrt() as u64;
    }
    // IEEE square root is correctly rounded everywhere; the corrections make it exact.
    let mut r = (v as f64).sqrt() as u64;
    while r > 0 && r.saturating_mul(r) > v {
        r -= 1;
    }
    while (r + 1).saturating_mul(r + 1) <= v {
        r += 1;
    }
    r
}

const fn sine_taylor(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 1;
    while n < 24 {
        term = -term * x2 / (((2 * n) * (2 * n + 1)) as f64);
        sum += term;
        n += 1;
    }
    sum
}

const fn build_sine_table() -> [i32; SINE_TABLE_LEN] {
    let pi = core::f64::consts::PI;
    let mut table = [0; SINE_TABLE_LEN];
    let mut i = 0;
    while i < SINE_TABLE_LEN {
        let mut x = 2.0 * pi * (i as f64) / (SINE_TABLE_LEN as f64);
        if x > pi {
            x -= 2.0 * pi;
        }
        let s = sine_taylor(x) * (TRIG_ONE as f64);
        table[i] = if s >= 0.0 { (s + 0.5) as i32 } else { (s - 0.5) as i32 };
        i += 1;
    }
    table
}

static SINE_TABLE: [i32; SINE_TABLE_LEN] = build_sine_table();

/// `sin(angle)` in Q14.
pub fn sin_q14(angle: u16) -> i32 {
    SINE_TABLE[usize::from(angle >> ANGLE_TO_INDEX_SHIFT)]
}

/// `cos(angle)` in Q14.
pub fn cos_q14(angle: u16) -> i32 {
    sin_q14(angle.wrapping_add(1 << 14))
}

/// The vector of length `length` pointing along `angle` (truncated toward zero).
pub fn direction(angle: u16, length: i32) -> Vec2 {
    let scale = |q14: i32| (i64::from(q14) * i64::from(length) / i64::from(TRIG_ONE)) as i32;
    Vec2::new(scale(cos_q14(angle)), scale(sin_q14(angle)))
}

/// A `u16` angle in radians (for drawing).
pub fn angle_to_radians(angle: u16) -> f32 {
    f32::from(angle) / 65536.0 * std::f32::consts::TAU
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_table_matches_libm() {
        for (i, entry) in SINE_TABLE.iter().enumerate() {
            let x = std::f64::consts::TAU * i as f64 / SINE_TABLE_LEN as f64;
            let expected = (x.sin() * f64::from(TRIG_ONE)).round() as i32;
            assert!((entry - expected).abs() <= 1, "entry {i}");
        }
        assert_eq!(sin_q14(0), 0);
        assert_eq!(cos_q14(0), TRIG_ONE);
        assert_eq!(sin_q14(16384), TRIG_ONE);
    }

    #[test]
    fn isqrt_is_exact() {
        for v in [0u64, 1, 2, 3, 4, 15, 16, 17, 1 << 40, (1 << 40) + 1, u32::MAX as u64 * 7] {
            let r = isqrt(v);
            assert!(r * r <= v && (r + 1) * (r + 1) > v, "{v}");
        }
    }

    /// The floor by the corrections alone, as `isqrt` computed it for every input.
    fn isqrt_corrected(v: u64) -> u64 {
        let mut r = (v as f64).sqrt() as u64;
        while r > 0 && r.saturating_mul(r) > v {
            r -= 1;
        }
        while (r + 1).saturating_mul(r + 1) <= v {
            r += 1;
        }
        r
    }

    #[test]
    fn isqrt_needs_no_correction_below_2_52() {
        // Around every square (where a rounded root would cross an integer), up to the bound.
        let mut rng = crate::rng::RoomRng::from_seed(9);
        let top = 1u64 << 26;
        let roots = (0..4096).chain(top - 4096..top).chain((0..100_000).map(|_| rng.range_i32(0, i32::MAX) as u64 % top));
        for r in roots {
            for v in [r * r, (r * r).saturating_sub(1), r * r + 1, (r + 1) * (r + 1) - 1] {
                if v < EXACT_ROOT_BELOW {
                    assert_eq!(isqrt(v), isqrt_corrected(v), "{v}");
                }
            }
        }
        assert_eq!(isqrt(EXACT_ROOT_BELOW - 1), (1 << 26) - 1);
        assert_eq!(isqrt(EXACT_ROOT_BELOW), 1 << 26);
    }

    #[test]
    fn clamp_length_never_exceeds_max() {
        let v = Vec2::new(3000, -4000).clamp_length(1000);
        assert!(v.length_squared() <= 1000 * 1000);
        assert!(v.length_squared() > 990 * 990);
        assert_eq!(Vec2::new(3, 4).clamp_length(10), Vec2::new(3, 4));
        // The length's square root rounds down; the clamp must still hold.
        let v = Vec2::new(-11, 5121).clamp_length(5120);
        assert!(v.length_squared() <= 5120 * 5120, "{v:?}");
    }
}
