//! [`Level::Sse41`](crate::Level::Sse41): 128-bit `xmm` vectors.

use core::arch::x86_64::*;

use crate::arch::U64Vec;

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
}
