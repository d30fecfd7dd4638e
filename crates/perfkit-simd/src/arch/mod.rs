//! Per-architecture code, in the memchr style.
//!
//! - [`generic`]: every kernel, written once as an `#[inline(always)]` function generic over
//!   the small vector traits defined here ([`U64Vec`], ...).
//! - `scalar`, `x86_64/{sse41,avx2,avx512}`, `aarch64/neon`: one module per
//!   [`Level`](crate::Level), each implementing the traits for its register types and instantiating
//!   every generic kernel in a thin `#[target_feature]` wrapper (the `level_kernels!` macro).
//!
//! The crate root picks the wrapper from the [`Simd`](crate::Simd) token's level: one
//! predictable branch per call, no feature detection.
//!
//! Every trait method is `unsafe`: it may only run on a CPU with its level's features (true
//! inside that level's wrappers) and, where it takes a pointer, the pointer must be valid
//! for the number of elements the method reads or writes.

pub(crate) mod generic;
pub(crate) mod scalar;

// Miri interprets no vendor intrinsics: under it only the scalar level exists.
#[cfg(all(target_arch = "x86_64", not(miri)))]
pub(crate) mod x86_64;

#[cfg(all(target_arch = "aarch64", not(miri)))]
pub(crate) mod aarch64;

/// A vector of `LANES` `u64` lanes (also viewed as `8 * LANES` bytes).
///
/// # Safety
///
/// Implementations must behave exactly as described on each method; the generic kernels
/// rely on `LANES` to compute in-bounds pointers.
pub(crate) unsafe trait U64Vec: Copy {
    /// Number of `u64` lanes.
    const LANES: usize;
    /// All lanes zero.
    unsafe fn zero() -> Self;
    /// Loads `LANES` u64 from `p` (any alignment).
    unsafe fn load(p: *const u64) -> Self;
    /// Loads `8 * LANES` bytes from `p` (any alignment).
    unsafe fn load_bytes(p: *const u8) -> Self;
    /// Loads `LANES` i32 from `p` (any alignment), each sign-extended to a 64-bit lane.
    unsafe fn load_i32_widen(p: *const i32) -> Self;
    /// Stores `LANES` u64 to `p` (any alignment).
    unsafe fn store(self, p: *mut u64);
    /// Lane-wise `self & o`.
    unsafe fn and(self, o: Self) -> Self;
    /// Lane-wise `self | o`.
    unsafe fn or(self, o: Self) -> Self;
    /// Lane-wise `self ^ o`.
    unsafe fn xor(self, o: Self) -> Self;
    /// Lane-wise `self & !o`.
    unsafe fn andnot(self, o: Self) -> Self;
    /// Lane-wise wrapping `self + o`.
    unsafe fn add(self, o: Self) -> Self;
    /// Lane-wise population count.
    unsafe fn popcnt(self) -> Self;
    /// Wrapping sum of all lanes.
    unsafe fn reduce_add(self) -> u64;
    /// Every byte set to `b`.
    unsafe fn splat_byte(b: u8) -> Self;
    /// How many of the `8 * LANES` bytes of `self` equal the bytes of `needle`.
    unsafe fn count_eq_bytes(self, needle: Self) -> u64;
}

/// The element types of the float kernels.
pub(crate) trait Float: Copy + PartialEq + PartialOrd {
    /// `-0.0`, the exact additive identity (`x + -0.0 == x` for every `x`, including `+0.0`).
    const NEG_ZERO: Self;
    /// `+inf`.
    const INFINITY: Self;
    /// `-inf`.
    const NEG_INFINITY: Self;
}

impl Float for f32 {
    const NEG_ZERO: Self = -0.0;
    const INFINITY: Self = f32::INFINITY;
    const NEG_INFINITY: Self = f32::NEG_INFINITY;
}

impl Float for f64 {
    const NEG_ZERO: Self = -0.0;
    const INFINITY: Self = f64::INFINITY;
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
}

/// A vector of `LANES` floats.
///
/// Arithmetic is lane-wise IEEE-754 with round-to-nearest, one rounding per operation
/// (never fused, except in [`FloatVec::mul_add`]), so a lane computes exactly what scalar
/// Rust computes. The float reductions' bit-identical guarantee rests on this.
///
/// # Safety
///
/// Implementations must behave exactly as described on each method; the generic kernels
/// rely on `LANES` to compute in-bounds pointers.
pub(crate) unsafe trait FloatVec: Copy {
    /// The lane type.
    type Elem: Float;
    /// Number of lanes (a power of two).
    const LANES: usize;
    /// Every lane `e`.
    unsafe fn splat(e: Self::Elem) -> Self;
    /// Loads `LANES` elements from `p` (any alignment of the element type).
    unsafe fn load(p: *const Self::Elem) -> Self;
    /// Loads `len < LANES` elements from `p` (a masked load where the level has one, never
    /// reading past `p + len`); the other lanes are `0.0`.
    unsafe fn load_partial(p: *const Self::Elem, len: usize) -> Self;
    /// Stores `LANES` elements to `p`.
    unsafe fn store(self, p: *mut Self::Elem);
    /// Stores the first `len < LANES` lanes to `p`, never writing past `p + len`.
    unsafe fn store_partial(self, p: *mut Self::Elem, len: usize);
    /// `self + o`.
    unsafe fn add(self, o: Self) -> Self;
    /// `self - o`.
    unsafe fn sub(self, o: Self) -> Self;
    /// `self * o`.
    unsafe fn mul(self, o: Self) -> Self;
    /// `self * o + c`, fused (one rounding) where the level has FMA, else two roundings.
    /// Only the relaxed kernels use it.
    unsafe fn mul_add(self, o: Self, c: Self) -> Self;
    /// `if self < acc { self } else { acc }` per lane: a NaN in `self` keeps `acc`.
    unsafe fn min(self, acc: Self) -> Self;
    /// `if self > acc { self } else { acc }` per lane: a NaN in `self` keeps `acc`.
    unsafe fn max(self, acc: Self) -> Self;
    /// Lanes `< len` from `self`, the others from `other` (`len < LANES`).
    unsafe fn blend_first(self, other: Self, len: usize) -> Self;
    /// The sum of the lanes by the fixed pairwise tree: while more than one lane is left,
    /// lane `k` becomes `lane k + lane (k + half)` for the lower half; lane 0 is the result.
    unsafe fn reduce_add(self) -> Self::Elem;
    /// The minimum of the lanes (no lane is NaN).
    unsafe fn reduce_min(self) -> Self::Elem;
    /// The maximum of the lanes (no lane is NaN).
    unsafe fn reduce_max(self) -> Self::Elem;
    /// Writes the lanes to `out[..LANES]` (`out` holds at least `LANES`).
    unsafe fn to_lanes(self, out: &mut [Self::Elem; 16]);

    /// The alignment in bytes (the register width) that the reductions give their vector
    /// loads, at levels where a load that crosses a cache line costs a second load (`ymm`
    /// and `zmm`); `0` where unaligned loads cost no more (the reductions do not peel).
    const ALIGN: usize = 0;

    /// How many elements from `p` to the next [`ALIGN`](FloatVec::ALIGN)-byte boundary
    /// (`0` when `p` is on one, or when the level does not align): less than `LANES` for
    /// a `p` aligned to its element type.
    #[inline(always)]
    fn align_head(p: *const Self::Elem) -> usize {
        if Self::ALIGN == 0 {
            0
        } else {
            (p.addr().wrapping_neg() % Self::ALIGN) / core::mem::size_of::<Self::Elem>()
        }
    }

    /// Loads `len` elements (`0 < len < LANES`) from `p` into the **last** `len` lanes, in
    /// order (element `j` in lane `LANES - len + j`); the other lanes hold zeros (of either
    /// sign). Reads nothing past `p + len`.
    ///
    /// The default goes through a stack buffer; levels that align override it.
    #[inline(always)]
    unsafe fn load_partial_high(p: *const Self::Elem, len: usize) -> Self {
        debug_assert!(0 < len && len < Self::LANES && Self::LANES <= 16);
        let mut buf = [Self::Elem::NEG_ZERO; 16];
        // SAFETY: `p` is valid for `len` reads (caller); `LANES - len + len <= 16` elements
        // of `buf` are written and `LANES <= 16` read; the CPU runs this level (caller).
        unsafe {
            core::ptr::copy_nonoverlapping(p, buf.as_mut_ptr().add(Self::LANES - len), len);
            Self::load(buf.as_ptr())
        }
    }
}

#[cfg(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri)))]
/// Copies `len` elements from `p` into a zeroed `[T; 16]` (the partial load of levels
/// without a masked load).
///
/// # Safety
/// `p` is valid for `len <= 16` reads.
#[inline(always)]
pub(crate) unsafe fn copy_in<T: Copy + Default>(p: *const T, len: usize) -> [T; 16] {
    let mut buf = [T::default(); 16];
    // SAFETY: `p` is valid for `len` reads (caller) and `buf` holds 16 >= len.
    unsafe { core::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), len) };
    buf
}

/// Instantiates every generic kernel for one level as a thin wrapper.
///
/// `features` is the `#[target_feature]` list of the level (absent for scalar).
macro_rules! level_kernels {
    (
        $(features = $features:literal,)?
        u64 = $u64v:ty, u64_k = $u64k:literal,
        f32 = $f32v:ty, f32_k = $f32k:literal, f32_relaxed_k = $f32rk:literal, f32_accurate_k = $f32ak:literal,
        f64 = $f64v:ty, f64_k = $f64k:literal, f64_relaxed_k = $f64rk:literal, f64_accurate_k = $f64ak:literal,
    ) => {
        use $crate::arch::generic;

        /// The lane layout every level shares (see the crate docs).
        const _: () = {
            assert!($f32k * <$f32v as $crate::arch::FloatVec>::LANES == $crate::arch::F32_LANES);
            assert!($f64k * <$f64v as $crate::arch::FloatVec>::LANES == $crate::arch::F64_LANES);
            assert!($f32ak * <$f32v as $crate::arch::FloatVec>::LANES == $crate::arch::F32_ACCURATE_LANES);
            assert!($f64ak * <$f64v as $crate::arch::FloatVec>::LANES == $crate::arch::F64_ACCURATE_LANES);
        };

        $crate::arch::float_wrappers! {
            { $(#[target_feature(enable = $features)])? }
            [sum_f32, generic::reduce::<$f32v, generic::Sum, $f32k, true>, (x: &[f32]) -> f32, (x, x)]
            [sum_f64, generic::reduce::<$f64v, generic::Sum, $f64k, true>, (x: &[f64]) -> f64, (x, x)]
            [dot_f32, generic::reduce::<$f32v, generic::Dot, $f32k, true>, (a: &[f32], b: &[f32]) -> f32, (a, b)]
            [dot_f64, generic::reduce::<$f64v, generic::Dot, $f64k, true>, (a: &[f64], b: &[f64]) -> f64, (a, b)]
            [l2_squared_f32, generic::reduce::<$f32v, generic::L2, $f32k, true>, (a: &[f32], b: &[f32]) -> f32, (a, b)]
            [sum_f32_relaxed, generic::reduce::<$f32v, generic::Sum, $f32rk, false>, (x: &[f32]) -> f32, (x, x)]
            [sum_f64_relaxed, generic::reduce::<$f64v, generic::Sum, $f64rk, false>, (x: &[f64]) -> f64, (x, x)]
            [dot_f32_relaxed, generic::reduce::<$f32v, generic::Dot, $f32rk, false>, (a: &[f32], b: &[f32]) -> f32, (a, b)]
            [dot_f64_relaxed, generic::reduce::<$f64v, generic::Dot, $f64rk, false>, (a: &[f64], b: &[f64]) -> f64, (a, b)]
            [l2_squared_f32_relaxed, generic::reduce::<$f32v, generic::L2, $f32rk, false>, (a: &[f32], b: &[f32]) -> f32, (a, b)]
            [sum_f32_accurate, generic::sum_accurate::<$f32v, $f32ak>, (x: &[f32]) -> f32, (x)]
            [sum_f64_accurate, generic::sum_accurate::<$f64v, $f64ak>, (x: &[f64]) -> f64, (x)]
            [min_f32, generic::min::<$f32v, $f32k>, (x: &[f32]) -> Option<f32>, (x)]
            [max_f32, generic::max::<$f32v, $f32k>, (x: &[f32]) -> Option<f32>, (x)]
            [add_f32, generic::binary_into::<$f32v, generic::Add>, (a: &[f32], b: &[f32], out: &mut [f32]) -> (), (a, b, out)]
            [mul_f32, generic::binary_into::<$f32v, generic::Mul>, (a: &[f32], b: &[f32], out: &mut [f32]) -> (), (a, b, out)]
            [scale_f32, generic::update::<$f32v, generic::Scale, false>, (x: &mut [f32], s: f32) -> (), (x, &[], s)]
            [axpy_f32, generic::update::<$f32v, generic::Axpy, true>, (a: f32, x: &[f32], y: &mut [f32]) -> (), (y, x, a)]
        }

        /// # Safety
        /// The CPU must run this module's level.
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn popcount(x: &[u64]) -> u64 {
            // SAFETY: this function's features are the vector type's level.
            unsafe { generic::popcount::<$u64v, $u64k>(x) }
        }

        /// # Safety
        /// The CPU must run this module's level; `a.len() == b.len()`.
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn and_assign(a: &mut [u64], b: &[u64]) {
            // SAFETY: this function's features are the vector type's level.
            unsafe { generic::bitwise::<$u64v, generic::And>(a, b) }
        }

        /// # Safety
        /// The CPU must run this module's level; `a.len() == b.len()`.
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn or_assign(a: &mut [u64], b: &[u64]) {
            // SAFETY: this function's features are the vector type's level.
            unsafe { generic::bitwise::<$u64v, generic::Or>(a, b) }
        }

        /// # Safety
        /// The CPU must run this module's level; `a.len() == b.len()`.
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn xor_assign(a: &mut [u64], b: &[u64]) {
            // SAFETY: this function's features are the vector type's level.
            unsafe { generic::bitwise::<$u64v, generic::Xor>(a, b) }
        }

        /// # Safety
        /// The CPU must run this module's level; `a.len() == b.len()`.
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn andnot_assign(a: &mut [u64], b: &[u64]) {
            // SAFETY: this function's features are the vector type's level.
            unsafe { generic::bitwise::<$u64v, generic::AndNot>(a, b) }
        }

        /// # Safety
        /// The CPU must run this module's level.
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn count_byte(x: &[u8], b: u8) -> usize {
            // SAFETY: this function's features are the vector type's level.
            unsafe { generic::count_byte::<$u64v, $u64k>(x, b) }
        }

        /// # Safety
        /// The CPU must run this module's level.
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn sum_u64(x: &[u64]) -> u64 {
            // SAFETY: this function's features are the vector type's level.
            unsafe { generic::sum_u64::<$u64v, $u64k>(x) }
        }

        /// # Safety
        /// The CPU must run this module's level.
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn sum_i32(x: &[i32]) -> i64 {
            // SAFETY: this function's features are the vector type's level.
            unsafe { generic::sum_i32::<$u64v, $u64k>(x) }
        }
    };
}
pub(crate) use level_kernels;

/// The float wrappers of [`level_kernels!`]: one `#[target_feature]` function per entry.
macro_rules! float_wrappers {
    ({ $($attr:tt)* }) => {};
    (
        { $($attr:tt)* }
        [$name:ident, $kernel:path, ($($arg:ident : $ty:ty),*) -> $ret:ty, ($($call:expr),*)]
        $($rest:tt)*
    ) => {
        /// # Safety
        /// The CPU must run this module's level; the slices have the lengths the public
        /// kernel documents (checked by the caller).
        $($attr)*
        pub(crate) unsafe fn $name($($arg: $ty),*) -> $ret {
            // SAFETY: this function's features are the vector type's level.
            unsafe { $kernel($($call),*) }
        }

        $crate::arch::float_wrappers! { { $($attr)* } $($rest)* }
    };
}
pub(crate) use float_wrappers;

/// Lanes of the strict f32 reductions (`sum_f32`, `dot_f32`, `l2_squared_f32`, and the
/// accumulators of `min_f32`/`max_f32`): element `i` goes to lane `i % 64`.
///
/// 64 lanes are 8 `ymm` accumulators at AVX2, enough to keep both vector adders of current
/// x86 cores busy (add latency 3–4 cycles) while leaving registers for the tail and the
/// products of `dot`, so nothing spills; 4 `zmm` at AVX-512, 16 `xmm` at SSE4.1 and NEON.
pub(crate) const F32_LANES: usize = 64;
/// Lanes of the strict f64 reductions: element `i` goes to lane `i % 32` (the same
/// registers as f32).
pub(crate) const F64_LANES: usize = 32;
/// Lanes of `sum_f32_accurate` (two accumulators per lane, sum and compensation, so half
/// the lanes of the plain sum fit the same registers).
pub(crate) const F32_ACCURATE_LANES: usize = 32;
/// Lanes of `sum_f64_accurate`.
pub(crate) const F64_ACCURATE_LANES: usize = 16;
