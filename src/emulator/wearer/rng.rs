//! Counter-based randomness for the simulated wearer.
//!
//! Every random choice is a *hash* of (seed, purpose, position) rather than the next value of one
//! long stream, so any minute, night or day can be computed on its own, in any order, and two
//! fetches of the same window agree byte for byte. Only `+ - * /` are used on floats: transcendental
//! functions may differ between platforms' libm and would break determinism.

/// SplitMix64's increment (the golden ratio in 64-bit fixed point).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// What a hash is for; keeps unrelated decisions about the same position independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Purpose {
    Traits = 1,
    Day = 2,
    Night = 3,
    Minute = 4,
    HeartNoise = 5,
    Charge = 6,
    LiveHeart = 7,
    Fidget = 8,
}

/// The SplitMix64 output function: a bijective 64-bit mixer with good avalanche.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A well-mixed value for `(seed, purpose, at)`.
pub(crate) fn hash(seed: u64, purpose: Purpose, at: i64) -> u64 {
    let keyed = mix(seed ^ (purpose as u64).wrapping_mul(GOLDEN));
    // Reinterpreting the sign bit is intended: `at` is only an identity here.
    mix(keyed ^ mix((at as u64).wrapping_add(GOLDEN)))
}

/// The `k`-th independent value derived from one hash, so one hash per minute can feed several
/// decisions.
pub(crate) fn derive(h: u64, k: u64) -> u64 {
    mix(h ^ k.wrapping_mul(GOLDEN))
}

/// A SplitMix64 stream, used where one decision needs several draws (a day's schedule).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    /// A stream for `(seed, purpose, at)`.
    pub(crate) fn new(seed: u64, purpose: Purpose, at: i64) -> SplitMix {
        SplitMix(hash(seed, purpose, at))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// `true` with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform integer in `lo..=hi` (`lo` when the range is empty).
    pub(crate) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        between(self.next_u64(), lo, hi)
    }

    /// Uniform float in `[lo, hi)`.
    pub(crate) fn between_f(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// The top 53 bits of `bits` as a float in `[0, 1)`.
pub(crate) fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform integer in `lo..=hi` from `bits` (`lo` when the range is empty).
pub(crate) fn between(bits: u64, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        return lo;
    }
    let span = hi.abs_diff(lo).saturating_add(1);
    // Multiply-shift maps 64 random bits onto the span without a division.
    let offset = ((u128::from(bits) * u128::from(span)) >> 64) as u64;
    lo.wrapping_add(offset as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference_vector() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        let mut s = SplitMix(0);
        assert_eq!(s.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(s.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn hash_separates_purposes_and_positions() {
        let a = hash(7, Purpose::Day, 100);
        assert_ne!(a, hash(7, Purpose::Night, 100));
        assert_ne!(a, hash(7, Purpose::Day, 101));
        assert_ne!(a, hash(8, Purpose::Day, 100));
        assert_eq!(a, hash(7, Purpose::Day, 100));
    }

    #[test]
    fn between_stays_in_range_and_covers_it() {
        let mut seen = [false; 5];
        let mut s = SplitMix::new(1, Purpose::Minute, 0);
        for _ in 0..1000 {
            let v = s.between(-2, 2);
            assert!((-2..=2).contains(&v));
            seen[(v + 2) as usize] = true;
        }
        assert!(seen.iter().all(|&x| x));
        assert_eq!(between(u64::MAX, 5, 5), 5);
        assert_eq!(between(u64::MAX, 5, 1), 5);
        assert_eq!(between(0, i64::MIN, i64::MAX), i64::MIN);
        assert!(between(u64::MAX, i64::MIN, i64::MAX) > i64::MAX - 2);
    }

    #[test]
    fn derived_values_differ() {
        let h = hash(1, Purpose::Minute, 2);
        assert_ne!(derive(h, 1), derive(h, 2));
        assert_ne!(derive(h, 1), h);
    }

    #[test]
    fn unit_is_half_open() {
        assert_eq!(unit(0), 0.0);
        assert!(unit(u64::MAX) < 1.0);
    }
}
