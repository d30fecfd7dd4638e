//! [`Level::Neon`](crate::Level::Neon): 128-bit Advanced SIMD vectors.

use core::arch::aarch64::*;

use crate::arch::U64Vec;

/// Two `u64` lanes in a `q` register.
#[derive(Clone, Copy)]
pub(crate) struct U64x2(uint64x2_t);

// SAFETY: every method does what the trait documents, on two lanes; pointer methods read or
// write exactly 16 bytes (8 for the widening load), as callers guarantee is valid.
unsafe impl U64Vec for U64x2 {
    const LANES: usize = 2;

    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vdupq_n_u64(0) })
    }
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        // SAFETY: `p` is valid for 16 bytes (caller; `vld1q` needs only element alignment,
        // and u64 pointers from slices are aligned); NEON is this level.
        Self(unsafe { vld1q_u64(p) })
    }
    #[inline(always)]
    unsafe fn load_bytes(p: *const u8) -> Self {
        // SAFETY: `p` is valid for 16 bytes (caller); NEON is this level.
        Self(unsafe { vreinterpretq_u64_u8(vld1q_u8(p)) })
    }
    #[inline(always)]
    unsafe fn load_i32_widen(p: *const i32) -> Self {
        // SAFETY: `p` is valid for two i32 (caller); NEON is this level.
        Self(unsafe { vreinterpretq_u64_s64(vmovl_s32(vld1_s32(p))) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        // SAFETY: `p` is valid for 16 bytes (caller); NEON is this level.
        unsafe { vst1q_u64(p, self.0) }
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vandq_u64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vorrq_u64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { veorq_u64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn andnot(self, o: Self) -> Self {
        // SAFETY: NEON is this level. `vbic(a, b)` is `a & !b`.
        Self(unsafe { vbicq_u64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vaddq_u64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn popcnt(self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe {
            vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(vcntq_u8(vreinterpretq_u8_u64(
                self.0,
            )))))
        })
    }
    #[inline(always)]
    unsafe fn reduce_add(self) -> u64 {
        // SAFETY: NEON is this level.
        unsafe { vaddvq_u64(self.0) }
    }
    #[inline(always)]
    unsafe fn splat_byte(b: u8) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vreinterpretq_u64_u8(vdupq_n_u8(b)) })
    }
    #[inline(always)]
    unsafe fn count_eq_bytes(self, needle: Self) -> u64 {
        // SAFETY: NEON is this level. Equal bytes become 0xff; shifting right by 7 makes them
        // 1, and the sum of sixteen ones fits a byte.
        let ones = unsafe {
            vshrq_n_u8::<7>(vceqq_u8(
                vreinterpretq_u8_u64(self.0),
                vreinterpretq_u8_u64(needle.0),
            ))
        };
        // SAFETY: NEON is this level.
        u64::from(unsafe { vaddvq_u8(ones) })
    }
}

crate::arch::level_kernels! {
    features = "neon",
    u64 = U64x2, u64_k = 4,
}
