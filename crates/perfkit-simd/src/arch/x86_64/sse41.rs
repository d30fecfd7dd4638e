//! [`Level::Sse41`](crate::Level::Sse41): 128-bit `xmm` vectors.

use core::arch::x86_64::*;

use super::{
    copy_in, float_common, hmax_pd, hmax_ps, hmin_pd, hmin_ps, hsum_pd, hsum_ps, mask32, mask64,
};
use crate::arch::{FloatVec, U64Vec};

/// Four `f32` lanes in an `xmm` register.
#[derive(Clone, Copy)]
pub(crate) struct F32x4(__m128);

/// Two `f64` lanes in an `xmm` register.
#[derive(Clone, Copy)]
pub(crate) struct F64x2(__m128d);

// SAFETY: every method does what the trait documents on four lanes; pointer methods touch
// only the lanes they name (partial loads and stores go through a stack buffer).
unsafe impl FloatVec for F32x4 {
    float_common!(
        f32,
        4,
        _mm_set1_ps,
        _mm_loadu_ps,
        _mm_storeu_ps,
        _mm_add_ps,
        _mm_sub_ps,
        _mm_mul_ps,
        _mm_min_ps,
        _mm_max_ps
    );

    #[inline(always)]
    unsafe fn load_partial(p: *const f32, len: usize) -> Self {
        // SAFETY: `p` is valid for `len < 4` reads (caller); the buffer holds 16.
        Self(unsafe { _mm_loadu_ps(copy_in(p, len).as_ptr()) })
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize) {
        let mut buf = [0f32; 16];
        // SAFETY: `p` is valid for `len < 4` writes (caller); the buffer holds 16.
        unsafe {
            _mm_storeu_ps(buf.as_mut_ptr(), self.0);
            core::ptr::copy_nonoverlapping(buf.as_ptr(), p, len);
        }
    }
    #[inline(always)]
    unsafe fn mul_add(self, o: Self, c: Self) -> Self {
        // SAFETY: the CPU runs this level. No FMA at this level: two roundings.
        Self(unsafe { _mm_add_ps(_mm_mul_ps(self.0, o.0), c.0) })
    }
    #[inline(always)]
    unsafe fn blend_first(self, other: Self, len: usize) -> Self {
        // SAFETY: the mask table read stays in bounds for `len <= 4`; SSE4.1 is this level.
        Self(unsafe {
            let mask = _mm_castsi128_ps(_mm_loadu_si128(mask32(len).cast()));
            _mm_blendv_ps(other.0, self.0, mask)
        })
    }
    #[inline(always)]
    unsafe fn reduce_add(self) -> f32 {
        // SAFETY: SSE is part of this level.
        unsafe { hsum_ps(self.0) }
    }
    #[inline(always)]
    unsafe fn reduce_min(self) -> f32 {
        // SAFETY: SSE is part of this level.
        unsafe { hmin_ps(self.0) }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        // SAFETY: SSE is part of this level.
        unsafe { hmax_ps(self.0) }
    }
}

// SAFETY: every method does what the trait documents on two lanes; pointer methods touch
// only the lanes they name (partial loads and stores go through a stack buffer).
unsafe impl FloatVec for F64x2 {
    float_common!(
        f64,
        2,
        _mm_set1_pd,
        _mm_loadu_pd,
        _mm_storeu_pd,
        _mm_add_pd,
        _mm_sub_pd,
        _mm_mul_pd,
        _mm_min_pd,
        _mm_max_pd
    );

    #[inline(always)]
    unsafe fn load_partial(p: *const f64, len: usize) -> Self {
        // SAFETY: `p` is valid for `len < 2` reads (caller); the buffer holds 16.
        Self(unsafe { _mm_loadu_pd(copy_in(p, len).as_ptr()) })
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f64, len: usize) {
        let mut buf = [0f64; 16];
        // SAFETY: `p` is valid for `len < 2` writes (caller); the buffer holds 16.
        unsafe {
            _mm_storeu_pd(buf.as_mut_ptr(), self.0);
            core::ptr::copy_nonoverlapping(buf.as_ptr(), p, len);
        }
    }
    #[inline(always)]
    unsafe fn mul_add(self, o: Self, c: Self) -> Self {
        // SAFETY: the CPU runs this level. No FMA at this level: two roundings.
        Self(unsafe { _mm_add_pd(_mm_mul_pd(self.0, o.0), c.0) })
    }
    #[inline(always)]
    unsafe fn blend_first(self, other: Self, len: usize) -> Self {
        // SAFETY: the mask table read stays in bounds for `len <= 2`; SSE4.1 is this level.
        Self(unsafe {
            let mask = _mm_castsi128_pd(_mm_loadu_si128(mask64(len).cast()));
            _mm_blendv_pd(other.0, self.0, mask)
        })
    }
    #[inline(always)]
    unsafe fn reduce_add(self) -> f64 {
        // SAFETY: SSE2 is part of this level.
        unsafe { hsum_pd(self.0) }
    }
    #[inline(always)]
    unsafe fn reduce_min(self) -> f64 {
        // SAFETY: SSE2 is part of this level.
        unsafe { hmin_pd(self.0) }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f64 {
        // SAFETY: SSE2 is part of this level.
        unsafe { hmax_pd(self.0) }
    }
}

/// Two `u64` lanes in an `xmm` register.
#[derive(Clone, Copy)]
pub(crate) struct U64x2(__m128i);

/// Per-lane popcount by nibble lookup (`pshufb`) and a horizontal byte sum (`psadbw`).
#[inline(always)]
unsafe fn popcnt_epi64(v: __m128i) -> __m128i {
    // SAFETY: the caller runs on an SSSE3 CPU (this level); pure register operations.
    unsafe {
        let lookup = _mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        let low = _mm_set1_epi8(0x0f);
        let lo = _mm_and_si128(v, low);
        let hi = _mm_and_si128(_mm_srli_epi16(v, 4), low);
        let bytes = _mm_add_epi8(_mm_shuffle_epi8(lookup, lo), _mm_shuffle_epi8(lookup, hi));
        _mm_sad_epu8(bytes, _mm_setzero_si128())
    }
}

// SAFETY: every method does what the trait documents, on two lanes; pointer methods read or
// write exactly 16 bytes unaligned, as the trait's callers guarantee is valid.
unsafe impl U64Vec for U64x2 {
    const LANES: usize = 2;

    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: SSE2 is part of this level.
        Self(unsafe { _mm_setzero_si128() })
    }
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        // SAFETY: `p` is valid for 16 bytes (caller); SSE2 is part of this level.
        Self(unsafe { _mm_loadu_si128(p.cast()) })
    }
    #[inline(always)]
    unsafe fn load_bytes(p: *const u8) -> Self {
        // SAFETY: `p` is valid for 16 bytes (caller); SSE2 is part of this level.
        Self(unsafe { _mm_loadu_si128(p.cast()) })
    }
    #[inline(always)]
    unsafe fn load_i32_widen(p: *const i32) -> Self {
        // SAFETY: `p` is valid for two i32 = 8 bytes (caller); SSE4.1 is this level.
        Self(unsafe { _mm_cvtepi32_epi64(_mm_loadl_epi64(p.cast())) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        // SAFETY: `p` is valid for 16 bytes (caller); SSE2 is part of this level.
        unsafe { _mm_storeu_si128(p.cast(), self.0) }
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        // SAFETY: SSE2 is part of this level.
        Self(unsafe { _mm_and_si128(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        // SAFETY: SSE2 is part of this level.
        Self(unsafe { _mm_or_si128(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        // SAFETY: SSE2 is part of this level.
        Self(unsafe { _mm_xor_si128(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn andnot(self, o: Self) -> Self {
        // SAFETY: SSE2 is part of this level. `andnot(x, y)` is `!x & y`.
        Self(unsafe { _mm_andnot_si128(o.0, self.0) })
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: SSE2 is part of this level.
        Self(unsafe { _mm_add_epi64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn popcnt(self) -> Self {
        // SAFETY: SSSE3 is part of this level.
        Self(unsafe { popcnt_epi64(self.0) })
    }
    #[inline(always)]
    unsafe fn reduce_add(self) -> u64 {
        // SAFETY: SSE4.1 is this level.
        unsafe {
            (_mm_extract_epi64::<0>(self.0) as u64)
                .wrapping_add(_mm_extract_epi64::<1>(self.0) as u64)
        }
    }
    #[inline(always)]
    unsafe fn splat_byte(b: u8) -> Self {
        // SAFETY: SSE2 is part of this level.
        Self(unsafe { _mm_set1_epi8(b as i8) })
    }
    #[inline(always)]
    unsafe fn count_eq_bytes(self, needle: Self) -> u64 {
        // SAFETY: SSE2 is part of this level; `popcnt` too.
        let mask = unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(self.0, needle.0)) };
        u64::from(mask.count_ones())
    }
}

crate::arch::level_kernels! {
    features = "sse2,sse3,ssse3,sse4.1,sse4.2,popcnt",
    u64 = U64x2, u64_k = 4,
    f32 = F32x4, f32_k = 16, f32_relaxed_k = 8, f32_accurate_k = 8,
    f64 = F64x2, f64_k = 16, f64_relaxed_k = 8, f64_accurate_k = 8,
}
