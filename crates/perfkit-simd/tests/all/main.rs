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
        (0..=40).chain([67, 131]).collect()
    } else {
        (0..=300).chain([1000, 4099, 65_537]).collect()
    }
}

/// Start offsets into a buffer, so slices begin unaligned.
pub const OFFSETS: [usize; 3] = [0, 1, 3];

/// Proptest case count: modest, and tiny under Miri.
pub fn cases() -> u32 {
    if cfg!(miri) { 4 } else { 64 }
}
