//! SIMD kernels with runtime CPU dispatch, decided once.
//!
//! Why this crate: hand-written intrinsics are fast on the machine they were written for and
//! wrong (or a crash) on the next one; portable code leaves 4–16× on the table. Here every
//! kernel is written once, compiled for each instruction-set [`Level`] (scalar, SSE4.1,
//! AVX2, AVX-512, NEON), and the best level the CPU runs is picked at run time, once per
//! process. The [`Simd`] token proves a level is usable, so every kernel is a safe method on
//! it; the free functions use [`Simd::detected`].
//!
//! Float reductions (`sum_f32`, `dot_f32`, `l2_squared_f32`, ...) return
//! **bit-identical results at every level**: the order of additions is a fixed lane layout
//! that the scalar code follows too. A result
//! computed on an AVX-512 server equals the one computed on a laptop or under Miri.
//!
//! ```
//! use perfkit_simd::{Level, Simd};
//!
//! let words = [0b1011_u64, u64::MAX, 0];
//! assert_eq!(perfkit_simd::popcount(&words), 3 + 64);
//!
//! let mut a = [0b1100_u64, 0b1010];
//! perfkit_simd::and_assign(&mut a, &[0b1010, 0b0110]);
//! assert_eq!(a, [0b1000, 0b0010]);
//!
//! assert_eq!(perfkit_simd::count_byte(b"a,b,,c", b','), 3);
//!
//! // Every level this CPU runs gives the same answer.
//! for level in Level::available() {
//!     let simd = Simd::new(level).unwrap();
//!     assert_eq!(simd.popcount(&words), 67);
//! }
//! ```
//!
//! # Levels and dispatch
//!
//! [`Level::detected`] queries the CPU on first use (std's feature detection with the `std`
//! feature, `cpuid` without it) and caches the answer in an atomic; later calls are one
//! relaxed load. The environment variable `PERFKIT_SIMD=scalar|sse41|avx2|avx512|neon` lowers
//! the level (never raises it), to test or compare the slower paths in production builds.
//! The features each level guarantees are listed on [`Level`]; other crates may rely on them
//! to dispatch their own `#[target_feature]` code on a [`Simd`] (see its docs).
//!
//! # Panics
//!
//! Kernels taking two or three slices panic when their lengths differ, with a message naming
//! the kernel and both lengths, e.g. `perfkit_simd::and_assign: slice lengths differ (a has
//! 3 elements, b has 4)`. Nothing else panics.
//!
//! # Features
//!
//! - `std` (default): std's runtime detection and the `PERFKIT_SIMD` override. Without it
//!   the crate is `#![no_std]` (no allocation either) and detects x86-64 levels by `cpuid`.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "std")]
extern crate std;

mod arch;
mod detect;
mod level;

pub use level::{Level, ParseLevelError, Simd};

/// Calls the wrapper of `$name` for the token's level.
macro_rules! dispatch {
    ($simd:expr, $name:ident($($arg:expr),*)) => {
        match $simd.level() {
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Level::Avx512 => {
                // SAFETY: a `Simd` only exists for a level this CPU runs (its invariant), and
                // the caller checked the wrapper's length preconditions.
                unsafe { arch::x86_64::avx512::$name($($arg),*) }
            }
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Level::Avx2 => {
                // SAFETY: as above.
                unsafe { arch::x86_64::avx2::$name($($arg),*) }
            }
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Level::Sse41 => {
                // SAFETY: as above.
                unsafe { arch::x86_64::sse41::$name($($arg),*) }
            }
            #[cfg(all(target_arch = "aarch64", not(miri)))]
            Level::Neon => {
                // SAFETY: as above.
                unsafe { arch::aarch64::neon::$name($($arg),*) }
            }
            _ => {
                // SAFETY: the scalar wrappers need no CPU feature; the caller checked the
                // length preconditions.
                unsafe { arch::scalar::$name($($arg),*) }
            }
        }
    };
}

/// Panics with the documented length-mismatch message.
#[cold]
#[inline(never)]
#[track_caller]
fn length_mismatch(kernel: &str, first: (&str, usize), second: (&str, usize)) -> ! {
    panic!(
        "perfkit_simd::{kernel}: slice lengths differ ({} has {} elements, {} has {})",
        first.0, first.1, second.0, second.1
    )
}

/// Checks that every named slice has the first one's length.
#[inline(always)]
#[track_caller]
fn check_lengths<const N: usize>(kernel: &str, lens: [(&str, usize); N]) {
    for &other in &lens[1..] {
        if other.1 != lens[0].1 {
            length_mismatch(kernel, lens[0], other);
        }
    }
}

/// Defines each kernel as a `Simd` method that dispatches on the token's level, and as a
/// free function on [`Simd::detected`], both with the same docs.
macro_rules! kernels {
    ($(
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident : $ty:ty),*) $(-> $ret:ty)? $(; check $($len:ident),+)?;
    )*) => {
        impl Simd {
            $(
                $(#[$attr])*
                #[inline]
                #[track_caller]
                pub fn $name(self, $($arg: $ty),*) $(-> $ret)? {
                    $(check_lengths(stringify!($name), [$((stringify!($len), $len.len())),+]);)?
                    dispatch!(self, $name($($arg),*))
                }
            )*
        }

        $(
            $(#[$attr])*
            #[inline]
            #[track_caller]
            pub fn $name($($arg: $ty),*) $(-> $ret)? {
                Simd::detected().$name($($arg),*)
            }
        )*
    };
}

kernels! {
    /// The number of set bits in `words`.
    ///
    /// ```
    /// assert_eq!(perfkit_simd::popcount(&[0b111, 1 << 63]), 4);
    /// ```
    #[must_use]
    fn popcount(words: &[u64]) -> u64;

    /// `a[i] &= b[i]` for every `i`.
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    fn and_assign(a: &mut [u64], b: &[u64]); check a, b;

    /// `a[i] |= b[i]` for every `i`.
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    fn or_assign(a: &mut [u64], b: &[u64]); check a, b;

    /// `a[i] ^= b[i]` for every `i`.
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    fn xor_assign(a: &mut [u64], b: &[u64]); check a, b;

    /// `a[i] &= !b[i]` for every `i` (clears in `a` the bits set in `b`).
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    fn andnot_assign(a: &mut [u64], b: &[u64]); check a, b;

    /// How many bytes of `haystack` equal `needle`.
    ///
    /// ```
    /// assert_eq!(perfkit_simd::count_byte(b"one\ntwo\n", b'\n'), 2);
    /// ```
    #[must_use]
    fn count_byte(haystack: &[u8], needle: u8) -> usize;

    /// The wrapping sum of `x` (as `u64::wrapping_add` in any order).
    ///
    /// ```
    /// assert_eq!(perfkit_simd::sum_u64(&[1, 2, u64::MAX]), 2);
    /// ```
    #[must_use]
    fn sum_u64(x: &[u64]) -> u64;

    /// The sum of `x` in `i64`: exact unless `x` has more than 2^32 elements (then wrapping).
    ///
    /// ```
    /// assert_eq!(perfkit_simd::sum_i32(&[i32::MAX, i32::MAX, -1]), 2 * i32::MAX as i64 - 1);
    /// ```
    #[must_use]
    fn sum_i32(x: &[i32]) -> i64;
}
