//! The one place that knows where SIMD levels come from: perfkit-simd's [`Level`] (detected
//! once and cached) and its [`Simd`] token, whose guarantees (`Sse41` ⊃ SSSE3 + SSE4.2,
//! `Avx2` ⊃ AVX2 + BMI2, `Avx512` ⊃ AVX-512 F/BW/VL/DQ, each level including those below)
//! are what the `#[target_feature]` kernels of this crate rely on.

pub use perfkit_simd::{Level, Simd};

/// Whether `pdep`/`pext` are fast on this CPU (the varint BMI paths check it once).
#[cfg(all(target_arch = "x86_64", not(miri)))]
pub(crate) use perfkit_simd::fast_pdep_pext;
