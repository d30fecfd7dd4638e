//! [`Level::Scalar`](crate::Level::Scalar): portable Rust, one lane per "vector".
//!
//! The scalar types implement the same vector traits with one lane, so the generic kernels
//! (and their lane layout, which the float reductions depend on) are the same code at
//! every level. The wrappers here carry no `#[target_feature]`; they are `unsafe fn` only
//! to share the wrapper macro, and have no precondition beyond their documented ones.

use super::{FloatVec, U64Vec};

// SAFETY: every method does exactly what the trait documents, on one lane.
unsafe impl U64Vec for u64 {
    const LANES: usize = 1;

    #[inline(always)]
    unsafe fn zero() -> Self {
        0
    }
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        // SAFETY: the caller guarantees `p` is valid for one (possibly unaligned) read.
        unsafe { p.read_unaligned() }
    }
    #[inline(always)]
    unsafe fn load_bytes(p: *const u8) -> Self {
        // SAFETY: the caller guarantees `p` is valid for 8 bytes.
        u64::from_le_bytes(unsafe { p.cast::<[u8; 8]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn load_i32_widen(p: *const i32) -> Self {
        // SAFETY: the caller guarantees `p` is valid for one read.
        i64::from(unsafe { p.read_unaligned() }).cast_unsigned()
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        // SAFETY: the caller guarantees `p` is valid for one write.
        unsafe { p.write_unaligned(self) }
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        self & o
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        self | o
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        self ^ o
    }
    #[inline(always)]
    unsafe fn andnot(self, o: Self) -> Self {
        self & !o
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    #[inline(always)]
    unsafe fn popcnt(self) -> Self {
        u64::from(self.count_ones())
    }
    #[inline(always)]
    unsafe fn reduce_add(self) -> u64 {
        self
    }
    #[inline(always)]
    unsafe fn splat_byte(b: u8) -> Self {
        u64::from_ne_bytes([b; 8])
    }
    #[inline(always)]
    unsafe fn count_eq_bytes(self, needle: Self) -> u64 {
        // SWAR: a byte of `x` is zero exactly where the bytes were equal. For each byte,
        // `(x & 0x7f) + 0x7f` sets bit 7 iff the low seven bits are non-zero; or-ing `x` adds
        // bit 7 itself. No carry crosses a byte, so the count is exact.
        const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        let x = self ^ needle;
        let nonzero = (((x & LOW7) + LOW7) | x) & !LOW7;
        8 - u64::from(nonzero.count_ones())
    }
}

/// Implements [`FloatVec`] with one lane for a float type.
macro_rules! scalar_float {
    ($t:ty) => {
        // SAFETY: every method does what the trait documents, on one lane, in plain Rust
        // (which never fuses a multiply and an add).
        unsafe impl FloatVec for $t {
            type Elem = $t;
            const LANES: usize = 1;

            #[inline(always)]
            unsafe fn splat(e: $t) -> Self {
                e
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> Self {
                // SAFETY: the caller guarantees `p` is valid for one read.
                unsafe { p.read() }
            }
            #[inline(always)]
            unsafe fn load_partial(_: *const $t, _: usize) -> Self {
                // `len < 1`: nothing to read.
                0.0
            }
            #[inline(always)]
            unsafe fn store(self, p: *mut $t) {
                // SAFETY: the caller guarantees `p` is valid for one write.
                unsafe { p.write(self) }
            }
            #[inline(always)]
            unsafe fn store_partial(self, _: *mut $t, _: usize) {}
            #[inline(always)]
            unsafe fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            unsafe fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            unsafe fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            unsafe fn mul_add(self, o: Self, c: Self) -> Self {
                // No FMA is guaranteed at this level (a software fma would be slow).
                self * o + c
            }
            #[inline(always)]
            unsafe fn min(self, acc: Self) -> Self {
                if self < acc { self } else { acc }
            }
            #[inline(always)]
            unsafe fn max(self, acc: Self) -> Self {
                if self > acc { self } else { acc }
            }
            #[inline(always)]
            unsafe fn blend_first(self, other: Self, _: usize) -> Self {
                // `len < 1`: every lane comes from `other`.
                other
            }
            #[inline(always)]
            unsafe fn reduce_add(self) -> $t {
                self
            }
            #[inline(always)]
            unsafe fn reduce_min(self) -> $t {
                self
            }
            #[inline(always)]
            unsafe fn reduce_max(self) -> $t {
                self
            }
            #[inline(always)]
            unsafe fn to_lanes(self, out: &mut [$t; 16]) {
                out[0] = self;
            }
        }
    };
}

scalar_float!(f32);
scalar_float!(f64);

super::level_kernels! {
    u64 = u64, u64_k = 4,
    f32 = f32, f32_k = 64, f32_relaxed_k = 16, f32_accurate_k = 32,
    f64 = f64, f64_k = 32, f64_relaxed_k = 16, f64_accurate_k = 16,
}
