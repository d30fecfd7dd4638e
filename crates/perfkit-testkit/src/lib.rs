//! Seeded, deterministic inputs shared by perfkit's tests, benchmarks and examples.
//!
//! Every figure perfkit publishes is measured on inputs from this crate, so numbers are
//! comparable across runs, machines and crates: the same seed always gives the same data,
//! on every platform (the generator is a plain xorshift64* with no platform-dependent step).
//!
//! The standard distributions:
//!
//! - [`f32_array`] / [`f64_array`]: uniform in `[-1, 1)`.
//! - [`varint_mix`]: the integer mix used for varint benchmarks — 50% below 2^7 (1 byte),
//!   30% in [2^7, 2^14) (2 bytes), 15% in [2^14, 2^28) (3–4 bytes), 5% in [2^28, 2^64)
//!   (5–10 bytes).
//! - [`unique_strings`] / [`strings`]: strings of 8–24 characters drawn from `N` unique ones.
//!
//! ```
//! use perfkit_testkit::{Rng, f32_array, varint_mix, strings, DEFAULT_SEED};
//!
//! let xs = f32_array(1024, DEFAULT_SEED);
//! assert_eq!(xs, f32_array(1024, DEFAULT_SEED)); // deterministic
//! assert!(xs.iter().all(|x| (-1.0..1.0).contains(x)));
//!
//! let vs = varint_mix(1000, 7);
//! assert_eq!(vs.len(), 1000);
//!
//! let names = strings(100, 10, 3); // 100 draws from 10 unique strings
//! assert!(names.iter().all(|s| (8..=24).contains(&s.len())));
//!
//! let mut rng = Rng::new(42);
//! let die = rng.below(6);
//! assert!(die < 6);
//! ```
#![forbid(unsafe_code)]

use std::collections::HashSet;

/// The seed benches, tests and examples use unless they have a reason to pick another.
pub const DEFAULT_SEED: u64 = 0x5EED_F00D_CAFE_D00D;

/// A small, fast, seeded pseudo-random generator (xorshift64*).
///
/// Not cryptographic. Its only job is to make the same inputs on every run.
#[derive(Debug, Clone)]
pub struct Rng {
    /// Invariant: never zero (xorshift's all-zero state is a fixed point).
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed`. Seed 0 is remapped to a fixed non-zero state.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        // Scramble the seed (splitmix64 finaliser) so nearby seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self {
            state: if z == 0 { 0x2545_F491_4F6C_DD1D } else { z },
        }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The next 32 random bits (the high half of [`Rng::next_u64`], the better-mixed one).
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A uniform value in `0..n` (Lemire's multiply-shift; bias below 2^-32 for `n < 2^32`).
    ///
    /// Returns 0 when `n` is 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform value in `lo..hi` (empty ranges give `lo`).
    #[inline]
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo))
    }

    /// A uniform `f64` in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform `f32` in `[0, 1)` with 24 random bits.
    #[inline]
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }
}

/// `n` values uniform in `[-1, 1)`.
#[must_use]
pub fn f32_array(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.next_f32() * 2.0 - 1.0).collect()
}

/// `n` values uniform in `[-1, 1)`.
#[must_use]
pub fn f64_array(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.next_f64() * 2.0 - 1.0).collect()
}

/// `n` bytes, uniform over `0..=255`.
#[must_use]
pub fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// `n` random 64-bit words (for bit-set kernels).
#[must_use]
pub fn u64_array(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.next_u64()).collect()
}

/// One value of the varint mix (see [`varint_mix`]).
#[inline]
pub fn varint_value(rng: &mut Rng) -> u64 {
    let bucket = rng.below(100);
    if bucket < 50 {
        rng.below(1 << 7)
    } else if bucket < 80 {
        rng.range(1 << 7, 1 << 14)
    } else if bucket < 95 {
        rng.range(1 << 14, 1 << 28)
    } else {
        // Full range above 2^28: pick a bit length uniformly so 5..=10-byte encodings all appear.
        let bits = rng.range(29, 65) as u32;
        let top = 1u64 << (bits - 1);
        top | (rng.next_u64() & (top - 1))
    }
}

/// `n` integers in the varint mix: 50% below 2^7, 30% in [2^7, 2^14), 15% in
/// [2^14, 2^28), 5% in [2^28, 2^64) with a uniformly chosen bit length.
#[must_use]
pub fn varint_mix(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| varint_value(&mut rng)).collect()
}

/// The same mix as [`varint_mix`] folded into 32 bits (the 5% tail takes bit lengths 29..=32).
#[must_use]
pub fn varint_mix_u32(n: usize, seed: u64) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let v = varint_value(&mut rng);
            if v < (1 << 28) {
                v as u32
            } else {
                let bits = 29 + (v % 4) as u32;
                let top = 1u32 << (bits - 1);
                top | ((v >> 8) as u32 & (top - 1))
            }
        })
        .collect()
}

/// The alphabet strings are drawn from: identifier-like metric names.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_.";

/// `unique` distinct strings, each 8–24 ASCII characters, in generation order.
#[must_use]
pub fn unique_strings(unique: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut seen = HashSet::with_capacity(unique);
    let mut out = Vec::with_capacity(unique);
    while out.len() < unique {
        let len = rng.range(8, 25) as usize;
        let s: String = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char)
            .collect();
        if seen.insert(s.clone()) {
            out.push(s);
        }
    }
    out
}

/// `n` strings drawn uniformly (with repetition) from [`unique_strings`]`(unique, seed)`.
///
/// Returns an empty vector when `unique` is 0.
#[must_use]
pub fn strings(n: usize, unique: usize, seed: u64) -> Vec<String> {
    if unique == 0 {
        return Vec::new();
    }
    let pool = unique_strings(unique, seed);
    let mut rng = Rng::new(seed ^ 0xD1CE);
    (0..n)
        .map(|_| pool[rng.below(unique as u64) as usize].clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        let a: Vec<u64> = {
            let mut r = Rng::new(1);
            (0..100).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(1);
            (0..100).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::new(2);
            (0..100).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(f32_array(500, 9), f32_array(500, 9));
        assert_eq!(f64_array(500, 9), f64_array(500, 9));
        assert_eq!(varint_mix(500, 9), varint_mix(500, 9));
        assert_eq!(strings(500, 50, 9), strings(500, 50, 9));
        assert_ne!(varint_mix(500, 9), varint_mix(500, 10));
    }

    #[test]
    fn stream_is_pinned_across_platforms_and_releases() {
        // Figures are comparable across runs only if the inputs never change: pin the stream.
        let mut r = Rng::new(DEFAULT_SEED);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut again = Rng::new(DEFAULT_SEED);
        assert_eq!(first, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        assert_eq!(Rng::new(0).next_u64(), Rng::new(0).next_u64());
        assert_ne!(Rng::new(0).state, 0);
        let expected = {
            // Independent re-computation of the first output from the documented algorithm.
            let mut z = DEFAULT_SEED.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            z ^= z >> 12;
            z ^= z << 25;
            z ^= z >> 27;
            z.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        assert_eq!(first[0], expected);
    }

    #[test]
    fn floats_are_uniform_in_minus_one_one() {
        let xs = f64_array(100_000, DEFAULT_SEED);
        assert!(xs.iter().all(|x| (-1.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        let below_zero = xs.iter().filter(|&&x| x < 0.0).count() as f64 / xs.len() as f64;
        assert!(
            (below_zero - 0.5).abs() < 0.01,
            "share below zero {below_zero}"
        );
        let ys = f32_array(100_000, DEFAULT_SEED);
        assert!(ys.iter().all(|x| (-1.0..1.0).contains(x)));
        let quarter = ys.iter().filter(|&&x| x >= 0.5).count() as f64 / ys.len() as f64;
        assert!((quarter - 0.25).abs() < 0.01, "share >= 0.5 {quarter}");
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Rng::new(5);
        let mut hits = [0u32; 7];
        for _ in 0..70_000 {
            hits[r.below(7) as usize] += 1;
        }
        for (i, &h) in hits.iter().enumerate() {
            assert!((9_000..11_000).contains(&h), "bucket {i}: {h}");
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.range(10, 10), 10);
    }

    #[test]
    fn varint_mix_has_the_documented_proportions() {
        let n = 200_000;
        let vs = varint_mix(n, DEFAULT_SEED);
        let share =
            |lo: u64, hi: u64| vs.iter().filter(|&&v| v >= lo && v < hi).count() as f64 / n as f64;
        let s7 = share(0, 1 << 7);
        let s14 = share(1 << 7, 1 << 14);
        let s28 = share(1 << 14, 1 << 28);
        let rest = vs.iter().filter(|&&v| v >= 1 << 28).count() as f64 / n as f64;
        for (got, want, name) in [
            (s7, 0.50, "< 2^7"),
            (s14, 0.30, "2^7..2^14"),
            (s28, 0.15, "2^14..2^28"),
            (rest, 0.05, ">= 2^28"),
        ] {
            assert!((got - want).abs() < 0.01, "{name}: {got} vs {want}");
        }
        // The full-range tail reaches 10-byte encodings (bit 63 set) and 5-byte ones.
        assert!(vs.iter().any(|&v| v >= 1 << 63));
        assert!(vs.iter().any(|&v| (1 << 28..1 << 35).contains(&v)));
    }

    #[test]
    fn varint_mix_u32_keeps_proportions_within_32_bits() {
        let n = 100_000;
        let vs = varint_mix_u32(n, DEFAULT_SEED);
        let small = vs.iter().filter(|&&v| v < 1 << 7).count() as f64 / n as f64;
        let big = vs.iter().filter(|&&v| v >= 1 << 28).count() as f64 / n as f64;
        assert!((small - 0.5).abs() < 0.01, "{small}");
        assert!((big - 0.05).abs() < 0.01, "{big}");
        assert!(vs.iter().any(|&v| v >= 1 << 31));
    }

    #[test]
    fn strings_are_drawn_from_n_unique_of_8_to_24_chars() {
        let pool = unique_strings(1000, 3);
        assert_eq!(pool.len(), 1000);
        assert_eq!(pool.iter().collect::<HashSet<_>>().len(), 1000);
        assert!(pool.iter().all(|s| (8..=24).contains(&s.len())));
        let draws = strings(50_000, 1000, 3);
        assert_eq!(draws.len(), 50_000);
        let distinct: HashSet<_> = draws.iter().collect();
        // 50 draws per string on average: every one appears.
        assert_eq!(distinct.len(), 1000);
        assert!(distinct.iter().all(|s| pool.contains(s)));
        let lens: HashSet<usize> = pool.iter().map(String::len).collect();
        assert_eq!(lens.len(), 17, "every length 8..=24 appears");
        assert!(strings(10, 0, 3).is_empty());
    }
}
