//! Bit sets and bit-packed integers: one bit per member, `width` bits per value.
//!
//! A `HashSet<usize>` of dense small integers spends ~16 bytes and a hash per member; a
//! [`BitSet`] spends one bit, and its set operations run over whole 64-bit words. Its bulk
//! operations — union, intersection, difference and symmetric difference in place, and the
//! sizes of those sets *without building them* (`union_len`, ...) — go through word kernels,
//! and iteration walks set bits with trailing-zero counts, skipping empty words whole.
//!
//! A `Vec<u64>` of values below 2^11 wastes 53 bits of every 64; a [`PackedVec`] stores each
//! value in exactly `width` bits (1..=64), reads any value with two word loads and a shift,
//! and [`PackedVec::unpack`] decodes runs into a slice in bulk.
//!
//! ```
//! use perfkit_layout::bits::{BitSet, PackedVec};
//!
//! let evens: BitSet = (0..1000).step_by(2).collect();
//! let threes: BitSet = (0..1000).step_by(3).collect();
//! assert_eq!(evens.intersection_len(&threes), 167); // multiples of 6, no set built
//! let mut both = evens.clone();
//! both.intersect_with(&threes);
//! assert_eq!(both.iter().take(3).collect::<Vec<_>>(), [0, 6, 12]);
//!
//! let mut small = PackedVec::new(11)?;
//! for v in [5, 2047, 1000] {
//!     small.try_push(v)?;
//! }
//! assert!(small.try_push(2048).is_err()); // does not fit 11 bits
//! assert_eq!(small.get(1), Some(2047));
//! let mut out = [0u64; 3];
//! assert_eq!(small.unpack(0, &mut out), 3);
//! assert_eq!(out, [5, 2047, 1000]);
//! # Ok::<(), perfkit_layout::bits::PackedError>(())
//! ```

#[allow(unsafe_code)]
mod bitset;
mod kernels;
#[allow(unsafe_code)]
mod packed;

pub use bitset::{BitSet, Iter};
pub use packed::{PackedError, PackedVec};
