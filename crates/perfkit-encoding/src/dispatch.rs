//! The one place that knows which SIMD level a kernel may use.
//!
//! Interim stand-in for perfkit-simd's `Level`/`Simd` (same names and shapes), so the
//! kernels can be written against the final API.

use core::sync::atomic::{AtomicU8, Ordering};

/// A SIMD instruction-set level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Level {
    /// Portable Rust.
    Scalar,
    /// x86-64 with SSE4.1, SSSE3, SSE4.2 and POPCNT.
    Sse41,
    /// x86-64 with AVX2, FMA, BMI1, BMI2 and LZCNT (and everything in `Sse41`).
    Avx2,
    /// x86-64 with AVX-512 F/BW/VL/DQ/CD and VPOPCNTDQ (and everything in `Avx2`).
    Avx512,
    /// AArch64 NEON.
    Neon,
}

const ALL: [Level; 5] = [
    Level::Scalar,
    Level::Sse41,
    Level::Avx2,
    Level::Avx512,
    Level::Neon,
];

fn runs(level: Level) -> bool {
    match level {
        Level::Scalar => true,
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Level::Sse41 => {
            std::is_x86_feature_detected!("sse4.1")
                && std::is_x86_feature_detected!("ssse3")
                && std::is_x86_feature_detected!("sse4.2")
                && std::is_x86_feature_detected!("popcnt")
        }
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Level::Avx2 => {
            runs(Level::Sse41)
                && std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("fma")
                && std::is_x86_feature_detected!("bmi1")
                && std::is_x86_feature_detected!("bmi2")
                && std::is_x86_feature_detected!("lzcnt")
        }
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Level::Avx512 => {
            runs(Level::Avx2)
                && std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx512dq")
        }
        _ => false,
    }
}

impl Level {
    /// The best level this CPU runs, detected once.
    pub fn detected() -> Level {
        static CACHE: AtomicU8 = AtomicU8::new(u8::MAX);
        let cached = CACHE.load(Ordering::Relaxed);
        if let Some(&level) = ALL.get(usize::from(cached)) {
            return level;
        }
        let best = ALL
            .iter()
            .copied()
            .filter(|&l| runs(l))
            .max()
            .unwrap_or(Level::Scalar);
        // The index is below 5.
        CACHE.store(
            ALL.iter().position(|&l| l == best).unwrap_or(0) as u8,
            Ordering::Relaxed,
        );
        best
    }

    /// Every level this CPU runs.
    pub fn available() -> impl Iterator<Item = Level> {
        ALL.into_iter().filter(|&l| runs(l))
    }
}

/// A token proving that its level runs on this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simd(Level);

impl Simd {
    /// `Some` when `level` runs here.
    pub fn new(level: Level) -> Option<Simd> {
        runs(level).then_some(Simd(level))
    }

    /// The token for [`Level::detected`].
    pub fn detected() -> Simd {
        Simd(Level::detected())
    }

    /// The level this token proves.
    pub fn level(self) -> Level {
        self.0
    }
}
