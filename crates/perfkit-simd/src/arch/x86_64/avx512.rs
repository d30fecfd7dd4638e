//! [`Level::Avx512`](crate::Level::Avx512): 512-bit `zmm` vectors and mask registers.

use core::arch::x86_64::*;

use super::{float_common, hmax_pd, hmax_ps, hmin_pd, hmin_ps, hsum_pd, hsum_ps};
use crate::arch::{FloatVec, U64Vec};

/// Sixteen `f32` lanes in a `zmm` register.
#[derive(Clone, Copy)]
pub(crate) struct F32x16(__m512);

/// Eight `f64` lanes in a `zmm` register.
#[derive(Clone, Copy)]
pub(crate) struct F64x8(__m512d);

/// The mask register value selecting the first `len < 16` lanes.
#[inline(always)]
fn first(len: usize) -> u16 {
    debug_assert!(len < 16);
    ((1u32 << len) - 1) as u16
}

// SAFETY: every method does what the trait documents on sixteen lanes; partial loads and
// stores are AVX-512 masked moves, which touch only the unmasked lanes (no fault either).
unsafe impl FloatVec for F32x16 {
    float_common!(
        f32,
        16,
        _mm512_set1_ps,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_add_ps,
        _mm512_sub_ps,
        _mm512_mul_ps,
        _mm512_min_ps,
        _mm512_max_ps
    );

    #[inline(always)]
    unsafe fn load_partial(p: *const f32, len: usize) -> Self {
        // SAFETY: the masked load reads only the first `len` elements, valid (caller).
        Self(unsafe { _mm512_maskz_loadu_ps(first(len), p) })
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize) {
        // SAFETY: the masked store writes only the first `len` elements, valid (caller).
        unsafe { _mm512_mask_storeu_ps(p, first(len), self.0) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, o: Self, c: Self) -> Self {
        // SAFETY: AVX-512F is part of this level.
        Self(unsafe { _mm512_fmadd_ps(self.0, o.0, c.0) })
    }
    #[inline(always)]
    unsafe fn blend_first(self, other: Self, len: usize) -> Self {
        // SAFETY: AVX-512F is part of this level. The blend takes `self` where the mask is set.
        Self(unsafe { _mm512_mask_blend_ps(first(len), other.0, self.0) })
    }
    // A `zmm` load at any offset not a multiple of 64 bytes crosses a cache line. The head
    // load is the trait's default (through a stack buffer, once per call).
    const ALIGN: usize = 64;

    #[inline(always)]
    unsafe fn reduce_add(self) -> f32 {
        // SAFETY: AVX-512F/DQ are part of this level. Lanes k + (k + 8), then k + (k + 4),
        // then the 4-lane tree.
        unsafe {
            let h = _mm256_add_ps(
                _mm512_castps512_ps256(self.0),
                _mm512_extractf32x8_ps::<1>(self.0),
            );
            hsum_ps(_mm_add_ps(
                _mm256_castps256_ps128(h),
                _mm256_extractf128_ps::<1>(h),
            ))
        }
    }
    #[inline(always)]
    unsafe fn reduce_min(self) -> f32 {
        // SAFETY: AVX-512F/DQ are part of this level.
        unsafe {
            let h = _mm256_min_ps(
                _mm512_castps512_ps256(self.0),
                _mm512_extractf32x8_ps::<1>(self.0),
            );
            hmin_ps(_mm_min_ps(
                _mm256_castps256_ps128(h),
                _mm256_extractf128_ps::<1>(h),
            ))
        }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        // SAFETY: AVX-512F/DQ are part of this level.
        unsafe {
            let h = _mm256_max_ps(
                _mm512_castps512_ps256(self.0),
                _mm512_extractf32x8_ps::<1>(self.0),
            );
            hmax_ps(_mm_max_ps(
                _mm256_castps256_ps128(h),
                _mm256_extractf128_ps::<1>(h),
            ))
        }
    }
}

// SAFETY: every method does what the trait documents on eight lanes; partial loads and
// stores are AVX-512 masked moves, which touch only the unmasked lanes (no fault either).
unsafe impl FloatVec for F64x8 {
    float_common!(
        f64,
        8,
        _mm512_set1_pd,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_add_pd,
        _mm512_sub_pd,
        _mm512_mul_pd,
        _mm512_min_pd,
        _mm512_max_pd
    );

    #[inline(always)]
    unsafe fn load_partial(p: *const f64, len: usize) -> Self {
        // SAFETY: the masked load reads only the first `len` elements, valid (caller).
        Self(unsafe { _mm512_maskz_loadu_pd(first(len) as u8, p) })
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f64, len: usize) {
        // SAFETY: the masked store writes only the first `len` elements, valid (caller).
        unsafe { _mm512_mask_storeu_pd(p, first(len) as u8, self.0) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, o: Self, c: Self) -> Self {
        // SAFETY: AVX-512F is part of this level.
        Self(unsafe { _mm512_fmadd_pd(self.0, o.0, c.0) })
    }
    #[inline(always)]
    unsafe fn blend_first(self, other: Self, len: usize) -> Self {
        // SAFETY: AVX-512F is part of this level. The blend takes `self` where the mask is set.
        Self(unsafe { _mm512_mask_blend_pd(first(len) as u8, other.0, self.0) })
    }
    // A `zmm` load at any offset not a multiple of 64 bytes crosses a cache line. The head
    // load is the trait's default (through a stack buffer, once per call).
    const ALIGN: usize = 64;

    #[inline(always)]
    unsafe fn reduce_add(self) -> f64 {
        // SAFETY: AVX-512F is part of this level. Lanes k + (k + 4), then k + (k + 2), then
        // the 2-lane tree.
        unsafe {
            let h = _mm256_add_pd(
                _mm512_castpd512_pd256(self.0),
                _mm512_extractf64x4_pd::<1>(self.0),
            );
            hsum_pd(_mm_add_pd(
                _mm256_castpd256_pd128(h),
                _mm256_extractf128_pd::<1>(h),
            ))
        }
    }
    #[inline(always)]
    unsafe fn reduce_min(self) -> f64 {
        // SAFETY: AVX-512F is part of this level.
        unsafe {
            let h = _mm256_min_pd(
                _mm512_castpd512_pd256(self.0),
                _mm512_extractf64x4_pd::<1>(self.0),
            );
            hmin_pd(_mm_min_pd(
                _mm256_castpd256_pd128(h),
                _mm256_extractf128_pd::<1>(h),
            ))
        }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f64 {
        // SAFETY: AVX-512F is part of this level.
        unsafe {
            let h = _mm256_max_pd(
                _mm512_castpd512_pd256(self.0),
                _mm512_extractf64x4_pd::<1>(self.0),
            );
            hmax_pd(_mm_max_pd(
                _mm256_castpd256_pd128(h),
                _mm256_extractf128_pd::<1>(h),
            ))
        }
    }
}

/// Eight `u64` lanes in a `zmm` register.
#[derive(Clone, Copy)]
pub(crate) struct U64x8(__m512i);

// SAFETY: every method does what the trait documents, on eight lanes; pointer methods read or
// write exactly 64 bytes unaligned (32 for the widening load), as callers guarantee is valid.
unsafe impl U64Vec for U64x8 {
    const LANES: usize = 8;

    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: AVX-512F is part of this level.
        Self(unsafe { _mm512_setzero_si512() })
    }
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        // SAFETY: `p` is valid for 64 bytes (caller); AVX-512F is part of this level.
        Self(unsafe { _mm512_loadu_si512(p.cast()) })
    }
    #[inline(always)]
    unsafe fn load_bytes(p: *const u8) -> Self {
        // SAFETY: `p` is valid for 64 bytes (caller); AVX-512F is part of this level.
        Self(unsafe { _mm512_loadu_si512(p.cast()) })
    }
    #[inline(always)]
    unsafe fn load_i32_widen(p: *const i32) -> Self {
        // SAFETY: `p` is valid for eight i32 = 32 bytes (caller); AVX-512F is this level.
        Self(unsafe { _mm512_cvtepi32_epi64(_mm256_loadu_si256(p.cast())) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        // SAFETY: `p` is valid for 64 bytes (caller); AVX-512F is part of this level.
        unsafe { _mm512_storeu_si512(p.cast(), self.0) }
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        // SAFETY: AVX-512F is part of this level.
        Self(unsafe { _mm512_and_si512(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        // SAFETY: AVX-512F is part of this level.
        Self(unsafe { _mm512_or_si512(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        // SAFETY: AVX-512F is part of this level.
        Self(unsafe { _mm512_xor_si512(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn andnot(self, o: Self) -> Self {
        // SAFETY: AVX-512F is part of this level. `andnot(x, y)` is `!x & y`.
        Self(unsafe { _mm512_andnot_si512(o.0, self.0) })
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: AVX-512F is part of this level.
        Self(unsafe { _mm512_add_epi64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn popcnt(self) -> Self {
        // SAFETY: AVX-512 VPOPCNTDQ is part of this level.
        Self(unsafe { _mm512_popcnt_epi64(self.0) })
    }
    #[inline(always)]
    unsafe fn reduce_add(self) -> u64 {
        // SAFETY: AVX-512F is part of this level.
        unsafe { _mm512_reduce_add_epi64(self.0) as u64 }
    }
    #[inline(always)]
    unsafe fn splat_byte(b: u8) -> Self {
        // SAFETY: AVX-512F is part of this level.
        Self(unsafe { _mm512_set1_epi8(b as i8) })
    }
    #[inline(always)]
    unsafe fn count_eq_bytes(self, needle: Self) -> u64 {
        // SAFETY: AVX-512BW is part of this level.
        let mask = unsafe { _mm512_cmpeq_epi8_mask(self.0, needle.0) };
        u64::from(mask.count_ones())
    }
}

crate::arch::level_kernels! {
    features = "sse2,sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,bmi1,bmi2,lzcnt,avx512f,avx512bw,avx512vl,avx512dq,avx512cd,avx512vpopcntdq",
    u64 = U64x8, u64_k = 4,
    f32 = F32x16, f32_k = 4, f32_relaxed_k = 8, f32_accurate_k = 2,
    f64 = F64x8, f64_k = 4, f64_relaxed_k = 8, f64_accurate_k = 2,
}
