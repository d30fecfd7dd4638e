//! [`Level::Avx2`](crate::Level::Avx2): 256-bit `ymm` vectors.

use core::arch::x86_64::*;

use super::{
    float_common, hmax_pd, hmax_ps, hmin_pd, hmin_ps, hsum_pd, hsum_ps, mask32, mask64, rotate32,
};
use crate::arch::{FloatVec, U64Vec};

/// Eight `f32` lanes in a `ymm` register.
#[derive(Clone, Copy)]
pub(crate) struct F32x8(__m256);

/// Four `f64` lanes in a `ymm` register.
#[derive(Clone, Copy)]
pub(crate) struct F64x4(__m256d);

/// A mask of the first `len` of eight 32-bit lanes.
///
/// # Safety
/// AVX; `len <= 8`.
#[inline(always)]
unsafe fn first32(len: usize) -> __m256i {
    // SAFETY: the table holds 8 entries from `mask32(len)`; AVX is part of this level.
    unsafe { _mm256_loadu_si256(mask32(len).cast()) }
}

/// `vpermps` indices that rotate eight 32-bit lanes down by `s` (lane `t` takes lane
/// `(t + s) % 8`).
///
/// # Safety
/// AVX; `s <= 8`.
#[inline(always)]
unsafe fn rotation(s: usize) -> __m256i {
    // SAFETY: the table holds 8 entries from `rotate32(s)`; AVX is part of this level.
    unsafe { _mm256_loadu_si256(rotate32(s).cast()) }
}

/// A mask of the first `len` of four 64-bit lanes.
///
/// # Safety
/// AVX; `len <= 4`.
#[inline(always)]
unsafe fn first64(len: usize) -> __m256i {
    // SAFETY: the table holds 8 entries from `mask64(len)`; AVX is part of this level.
    unsafe { _mm256_loadu_si256(mask64(len).cast()) }
}

// SAFETY: every method does what the trait documents on eight lanes; partial loads and
// stores are AVX masked moves, which touch only the unmasked lanes.
unsafe impl FloatVec for F32x8 {
    float_common!(
        f32,
        8,
        _mm256_set1_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_add_ps,
        _mm256_sub_ps,
        _mm256_mul_ps,
        _mm256_min_ps,
        _mm256_max_ps
    );

    #[inline(always)]
    unsafe fn load_partial(p: *const f32, len: usize) -> Self {
        // SAFETY: the masked load reads only the first `len` elements, valid (caller).
        Self(unsafe { _mm256_maskload_ps(p, first32(len)) })
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize) {
        // SAFETY: the masked store writes only the first `len` elements, valid (caller).
        unsafe { _mm256_maskstore_ps(p, first32(len), self.0) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, o: Self, c: Self) -> Self {
        // SAFETY: FMA is part of this level.
        Self(unsafe { _mm256_fmadd_ps(self.0, o.0, c.0) })
    }
    #[inline(always)]
    unsafe fn blend_first(self, other: Self, len: usize) -> Self {
        // SAFETY: AVX is part of this level; `len < 8`.
        Self(unsafe { _mm256_blendv_ps(other.0, self.0, _mm256_castsi256_ps(first32(len))) })
    }

    const ALIGN: usize = 32;

    #[inline(always)]
    unsafe fn load_partial_high(p: *const f32, len: usize) -> Self {
        // SAFETY: the masked load reads only the first `len` elements, valid (caller); the
        // rotation by `len < 8` moves lane `j` to lane `8 - len + j` (AVX2 is this level).
        unsafe {
            let v = _mm256_maskload_ps(p, first32(len));
            Self(_mm256_permutevar8x32_ps(v, rotation(len)))
        }
    }

    #[inline(always)]
    unsafe fn reduce_add(self) -> f32 {
        // SAFETY: AVX is part of this level. Lanes k + (k + 4) first, then the 4-lane tree.
        unsafe {
            hsum_ps(_mm_add_ps(
                _mm256_castps256_ps128(self.0),
                _mm256_extractf128_ps::<1>(self.0),
            ))
        }
    }
    #[inline(always)]
    unsafe fn reduce_min(self) -> f32 {
        // SAFETY: AVX is part of this level.
        unsafe {
            hmin_ps(_mm_min_ps(
                _mm256_castps256_ps128(self.0),
                _mm256_extractf128_ps::<1>(self.0),
            ))
        }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        // SAFETY: AVX is part of this level.
        unsafe {
            hmax_ps(_mm_max_ps(
                _mm256_castps256_ps128(self.0),
                _mm256_extractf128_ps::<1>(self.0),
            ))
        }
    }
}

// SAFETY: every method does what the trait documents on four lanes; partial loads and
// stores are AVX masked moves, which touch only the unmasked lanes.
unsafe impl FloatVec for F64x4 {
    float_common!(
        f64,
        4,
        _mm256_set1_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_add_pd,
        _mm256_sub_pd,
        _mm256_mul_pd,
        _mm256_min_pd,
        _mm256_max_pd
    );

    #[inline(always)]
    unsafe fn load_partial(p: *const f64, len: usize) -> Self {
        // SAFETY: the masked load reads only the first `len` elements, valid (caller).
        Self(unsafe { _mm256_maskload_pd(p, first64(len)) })
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f64, len: usize) {
        // SAFETY: the masked store writes only the first `len` elements, valid (caller).
        unsafe { _mm256_maskstore_pd(p, first64(len), self.0) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, o: Self, c: Self) -> Self {
        // SAFETY: FMA is part of this level.
        Self(unsafe { _mm256_fmadd_pd(self.0, o.0, c.0) })
    }
    #[inline(always)]
    unsafe fn blend_first(self, other: Self, len: usize) -> Self {
        // SAFETY: AVX is part of this level; `len < 4`.
        Self(unsafe { _mm256_blendv_pd(other.0, self.0, _mm256_castsi256_pd(first64(len))) })
    }

    const ALIGN: usize = 32;

    #[inline(always)]
    unsafe fn load_partial_high(p: *const f64, len: usize) -> Self {
        // SAFETY: the masked load reads only the first `len` elements, valid (caller); the
        // rotation by `2 * len` 32-bit lanes moves 64-bit lane `j` to lane `4 - len + j`.
        unsafe {
            let v = _mm256_castpd_ps(_mm256_maskload_pd(p, first64(len)));
            Self(_mm256_castps_pd(_mm256_permutevar8x32_ps(
                v,
                rotation(2 * len),
            )))
        }
    }

    #[inline(always)]
    unsafe fn reduce_add(self) -> f64 {
        // SAFETY: AVX is part of this level. Lanes k + (k + 2) first, then the 2-lane tree.
        unsafe {
            hsum_pd(_mm_add_pd(
                _mm256_castpd256_pd128(self.0),
                _mm256_extractf128_pd::<1>(self.0),
            ))
        }
    }
    #[inline(always)]
    unsafe fn reduce_min(self) -> f64 {
        // SAFETY: AVX is part of this level.
        unsafe {
            hmin_pd(_mm_min_pd(
                _mm256_castpd256_pd128(self.0),
                _mm256_extractf128_pd::<1>(self.0),
            ))
        }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f64 {
        // SAFETY: AVX is part of this level.
        unsafe {
            hmax_pd(_mm_max_pd(
                _mm256_castpd256_pd128(self.0),
                _mm256_extractf128_pd::<1>(self.0),
            ))
        }
    }
}

/// Four `u64` lanes in a `ymm` register.
#[derive(Clone, Copy)]
pub(crate) struct U64x4(__m256i);

/// Per-lane popcount by nibble lookup (`vpshufb`) and a horizontal byte sum (`vpsadbw`).
#[inline(always)]
unsafe fn popcnt_epi64(v: __m256i) -> __m256i {
    // SAFETY: the caller runs on an AVX2 CPU (this level); pure register operations.
    unsafe {
        let lookup = _mm256_setr_epi8(
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2,
            3, 3, 4,
        );
        let low = _mm256_set1_epi8(0x0f);
        let lo = _mm256_and_si256(v, low);
        let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
        let bytes = _mm256_add_epi8(
            _mm256_shuffle_epi8(lookup, lo),
            _mm256_shuffle_epi8(lookup, hi),
        );
        _mm256_sad_epu8(bytes, _mm256_setzero_si256())
    }
}

// SAFETY: every method does what the trait documents, on four lanes; pointer methods read or
// write exactly 32 bytes unaligned (16 for the widening load), as callers guarantee is valid.
unsafe impl U64Vec for U64x4 {
    const LANES: usize = 4;

    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: AVX is part of this level.
        Self(unsafe { _mm256_setzero_si256() })
    }
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        // SAFETY: `p` is valid for 32 bytes (caller); AVX is part of this level.
        Self(unsafe { _mm256_loadu_si256(p.cast()) })
    }
    #[inline(always)]
    unsafe fn load_bytes(p: *const u8) -> Self {
        // SAFETY: `p` is valid for 32 bytes (caller); AVX is part of this level.
        Self(unsafe { _mm256_loadu_si256(p.cast()) })
    }
    #[inline(always)]
    unsafe fn load_i32_widen(p: *const i32) -> Self {
        // SAFETY: `p` is valid for four i32 = 16 bytes (caller); AVX2 is this level.
        Self(unsafe { _mm256_cvtepi32_epi64(_mm_loadu_si128(p.cast())) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        // SAFETY: `p` is valid for 32 bytes (caller); AVX is part of this level.
        unsafe { _mm256_storeu_si256(p.cast(), self.0) }
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        // SAFETY: AVX2 is this level.
        Self(unsafe { _mm256_and_si256(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        // SAFETY: AVX2 is this level.
        Self(unsafe { _mm256_or_si256(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        // SAFETY: AVX2 is this level.
        Self(unsafe { _mm256_xor_si256(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn andnot(self, o: Self) -> Self {
        // SAFETY: AVX2 is this level. `andnot(x, y)` is `!x & y`.
        Self(unsafe { _mm256_andnot_si256(o.0, self.0) })
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: AVX2 is this level.
        Self(unsafe { _mm256_add_epi64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn popcnt(self) -> Self {
        // SAFETY: AVX2 is this level.
        Self(unsafe { popcnt_epi64(self.0) })
    }
    #[inline(always)]
    unsafe fn reduce_add(self) -> u64 {
        // SAFETY: AVX2 and SSE4.1 are part of this level.
        unsafe {
            let s = _mm_add_epi64(
                _mm256_castsi256_si128(self.0),
                _mm256_extracti128_si256::<1>(self.0),
            );
            (_mm_extract_epi64::<0>(s) as u64).wrapping_add(_mm_extract_epi64::<1>(s) as u64)
        }
    }
    #[inline(always)]
    unsafe fn splat_byte(b: u8) -> Self {
        // SAFETY: AVX is part of this level.
        Self(unsafe { _mm256_set1_epi8(b as i8) })
    }
    #[inline(always)]
    unsafe fn count_eq_bytes(self, needle: Self) -> u64 {
        // SAFETY: AVX2 and POPCNT are part of this level.
        let mask = unsafe { _mm256_movemask_epi8(_mm256_cmpeq_epi8(self.0, needle.0)) };
        u64::from(mask.count_ones())
    }
}

crate::arch::level_kernels! {
    features = "sse2,sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,bmi1,bmi2,lzcnt",
    u64 = U64x4, u64_k = 4,
    f32 = F32x8, f32_k = 8, f32_relaxed_k = 8, f32_accurate_k = 4,
    f64 = F64x4, f64_k = 8, f64_relaxed_k = 8, f64_accurate_k = 4,
}
