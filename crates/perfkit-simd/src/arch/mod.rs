//! Per-architecture code, in the memchr style.
//!
//! - [`generic`]: every kernel, written once as an `#[inline(always)]` function generic over
//!   the small vector traits defined here ([`U64Vec`], ...).
//! - `scalar`, `x86_64/{sse41,avx2,avx512}`, `aarch64/neon`: one module per [`Level`]
//!   (crate::Level), each implementing the traits for its register types and instantiating
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

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;

#[cfg(target_arch = "aarch64")]
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

/// Instantiates every generic kernel for one level as a thin wrapper.
///
/// `features` is the `#[target_feature]` list of the level (absent for scalar).
macro_rules! level_kernels {
    (
        $(features = $features:literal,)?
        u64 = $u64v:ty, u64_k = $u64k:literal,
    ) => {
        use $crate::arch::generic;

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
