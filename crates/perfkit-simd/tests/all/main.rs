//! Integration tests: every kernel on every available level against a naive reference.

mod bits;
mod env;
mod floats;

use perfkit_simd::{Level, Simd};

/// A token for every level this CPU runs.
pub fn simds() -> Vec<Simd> {
    let all: Vec<Simd> = Level::available()
        .map(|l| Simd::new(l).expect("available level"))
        .collect();
    assert!(all.iter().any(|s| s.level() == Level::Scalar));
    all
}

/// Lengths to test: every length `0..=300` (`0..=40` under Miri) and a few large ones.
pub fn lengths() -> Vec<usize> {
    if cfg!(miri) {
        // Around every vector and block boundary of the scalar layout, kept short: Miri
        // interprets every operation.
        vec![0, 1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 130]
    } else {
        (0..=300).chain([1000, 4099, 65_537]).collect()
    }
}

/// Start offsets into a buffer, so slices begin unaligned.
#[cfg(not(miri))]
pub const OFFSETS: [usize; 3] = [0, 1, 3];
/// Start offsets into a buffer, so slices begin unaligned (fewer under Miri).
#[cfg(miri)]
pub const OFFSETS: [usize; 2] = [0, 1];

/// Proptest case count: modest, and tiny under Miri.
pub fn cases() -> u32 {
    if cfg!(miri) { 2 } else { 64 }
}
