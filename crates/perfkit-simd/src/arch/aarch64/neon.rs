//! [`Level::Neon`](crate::Level::Neon): 128-bit Advanced SIMD vectors.

use core::arch::aarch64::*;

use crate::arch::{FloatVec, U64Vec, copy_in};

/// `u32::MAX` in the first four entries, then zeros: a load at `4 - n` (f32 lanes) or
/// `4 - 2n` (f64 lanes) gives a mask whose first `n` lanes are set.
static MASK_TABLE: [u32; 8] = [u32::MAX, u32::MAX, u32::MAX, u32::MAX, 0, 0, 0, 0];

/// Four `f32` lanes in a `q` register.
#[derive(Clone, Copy)]
pub(crate) struct F32x4(float32x4_t);

/// Two `f64` lanes in a `q` register.
#[derive(Clone, Copy)]
pub(crate) struct F64x2(float64x2_t);

// SAFETY: every method does what the trait documents on four lanes; partial loads and stores
// go through a stack buffer and touch only `len` elements.
unsafe impl FloatVec for F32x4 {
    type Elem = f32;
    const LANES: usize = 4;

    #[inline(always)]
    unsafe fn splat(e: f32) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vdupq_n_f32(e) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: `p` is valid for four reads (caller); NEON is this level.
        Self(unsafe { vld1q_f32(p) })
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, len: usize) -> Self {
        // SAFETY: `p` is valid for `len < 4` reads (caller); the buffer holds 16.
        Self(unsafe { vld1q_f32(copy_in(p, len).as_ptr()) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: `p` is valid for four writes (caller); NEON is this level.
        unsafe { vst1q_f32(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, len: usize) {
        let mut buf = [0f32; 4];
        // SAFETY: `p` is valid for `len < 4` writes (caller); the buffer holds 4.
        unsafe {
            vst1q_f32(buf.as_mut_ptr(), self.0);
            core::ptr::copy_nonoverlapping(buf.as_ptr(), p, len);
        }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vaddq_f32(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vsubq_f32(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vmulq_f32(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, o: Self, c: Self) -> Self {
        // SAFETY: NEON (with its fused multiply-add) is this level.
        Self(unsafe { vfmaq_f32(c.0, self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn min(self, acc: Self) -> Self {
        // SAFETY: NEON is this level. Select where `self < acc`, exactly the trait's rule.
        Self(unsafe { vbslq_f32(vcltq_f32(self.0, acc.0), self.0, acc.0) })
    }
    #[inline(always)]
    unsafe fn max(self, acc: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vbslq_f32(vcgtq_f32(self.0, acc.0), self.0, acc.0) })
    }
    #[inline(always)]
    unsafe fn blend_first(self, other: Self, len: usize) -> Self {
        // SAFETY: the table read stays in bounds for `len <= 4`; NEON is this level.
        Self(unsafe { vbslq_f32(vld1q_u32(MASK_TABLE[4 - len..].as_ptr()), self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn reduce_add(self) -> f32 {
        // SAFETY: NEON is this level. `(l0 + l2) + (l1 + l3)`.
        unsafe {
            let s = vadd_f32(vget_low_f32(self.0), vget_high_f32(self.0));
            vget_lane_f32::<0>(s) + vget_lane_f32::<1>(s)
        }
    }
    #[inline(always)]
    unsafe fn reduce_min(self) -> f32 {
        // SAFETY: NEON is this level; no lane is NaN.
        unsafe { vminvq_f32(self.0) }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        // SAFETY: NEON is this level; no lane is NaN.
        unsafe { vmaxvq_f32(self.0) }
    }
    #[inline(always)]
    unsafe fn to_lanes(self, out: &mut [f32; 16]) {
        // SAFETY: `out` holds 16 >= 4 elements; NEON is this level.
        unsafe { vst1q_f32(out.as_mut_ptr(), self.0) }
    }
}

// SAFETY: every method does what the trait documents on two lanes; partial loads and stores
// go through a stack buffer and touch only `len` elements.
unsafe impl FloatVec for F64x2 {
    type Elem = f64;
    const LANES: usize = 2;

    #[inline(always)]
    unsafe fn splat(e: f64) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vdupq_n_f64(e) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: `p` is valid for two reads (caller); NEON is this level.
        Self(unsafe { vld1q_f64(p) })
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f64, len: usize) -> Self {
        // SAFETY: `p` is valid for `len < 2` reads (caller); the buffer holds 16.
        Self(unsafe { vld1q_f64(copy_in(p, len).as_ptr()) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: `p` is valid for two writes (caller); NEON is this level.
        unsafe { vst1q_f64(p, self.0) }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f64, len: usize) {
        let mut buf = [0f64; 2];
        // SAFETY: `p` is valid for `len < 2` writes (caller); the buffer holds 2.
        unsafe {
            vst1q_f64(buf.as_mut_ptr(), self.0);
            core::ptr::copy_nonoverlapping(buf.as_ptr(), p, len);
        }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vaddq_f64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vsubq_f64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vmulq_f64(self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn mul_add(self, o: Self, c: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vfmaq_f64(c.0, self.0, o.0) })
    }
    #[inline(always)]
    unsafe fn min(self, acc: Self) -> Self {
        // SAFETY: NEON is this level. Select where `self < acc`, exactly the trait's rule.
        Self(unsafe { vbslq_f64(vcltq_f64(self.0, acc.0), self.0, acc.0) })
    }
    #[inline(always)]
    unsafe fn max(self, acc: Self) -> Self {
        // SAFETY: NEON is this level.
        Self(unsafe { vbslq_f64(vcgtq_f64(self.0, acc.0), self.0, acc.0) })
    }
    #[inline(always)]
    unsafe fn blend_first(self, other: Self, len: usize) -> Self {
        // SAFETY: the table read stays in bounds for `len <= 2`; NEON is this level.
        Self(unsafe {
            let mask = vreinterpretq_u64_u32(vld1q_u32(MASK_TABLE[4 - 2 * len..].as_ptr()));
            vbslq_f64(mask, self.0, other.0)
        })
    }
    #[inline(always)]
    unsafe fn reduce_add(self) -> f64 {
        // SAFETY: NEON is this level. `l0 + l1`.
        unsafe { vgetq_lane_f64::<0>(self.0) + vgetq_lane_f64::<1>(self.0) }
    }
    #[inline(always)]
    unsafe fn reduce_min(self) -> f64 {
        // SAFETY: NEON is this level; no lane is NaN.
        unsafe { vminvq_f64(self.0) }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f64 {
        // SAFETY: NEON is this level; no lane is NaN.
        unsafe { vmaxvq_f64(self.0) }
    }
    #[inline(always)]
    unsafe fn to_lanes(self, out: &mut [f64; 16]) {
        // SAFETY: `out` holds 16 >= 2 elements; NEON is this level.
        unsafe { vst1q_f64(out.as_mut_ptr(), self.0) }
    }
}

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
    f32 = F32x4, f32_k = 16, f32_relaxed_k = 8, f32_accurate_k = 8,
    f64 = F64x2, f64_k = 16, f64_relaxed_k = 8, f64_accurate_k = 8,
}
