//! [`Level::Avx512`](crate::Level::Avx512): 512-bit `zmm` vectors and mask registers.

use core::arch::x86_64::*;

use crate::arch::U64Vec;

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
}
