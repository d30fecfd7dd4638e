//! [`Level::Scalar`](crate::Level::Scalar): portable Rust, one lane per "vector".
//!
//! The scalar types implement the same vector traits with one lane, so the generic kernels
//! (and their lane layout, which the float reductions depend on) are the same code at
//! every level. The wrappers here carry no `#[target_feature]`; they are `unsafe fn` only
//! to share the wrapper macro, and have no precondition beyond their documented ones.

use super::U64Vec;

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

super::level_kernels! {
    u64 = u64, u64_k = 4,
}
