//! SIMD kernels with runtime CPU dispatch, decided once.
//!
//! Why this crate: hand-written intrinsics are fast on the machine they were written for and
//! wrong (or a crash) on the next one; portable code leaves 4–16× on the table. Here every
//! kernel is written once, compiled for each instruction-set [`Level`] (scalar, SSE4.1,
//! AVX2, AVX-512, NEON), and the best level the CPU runs is picked at run time, once per
//! process. The [`Simd`] token proves a level is usable, so every kernel is a safe method on
//! it; the free functions use [`Simd::detected`], and each has a `*_with(simd, ..)` twin
//! ([`sum_f32_with`], ...) that runs one given level: the per-level entry point every perfkit
//! crate shapes the same way (perfkit-encoding's `decode_u64_slice_with`, ...).
//!
//! Float reductions ([`sum_f32`], [`dot_f32`], [`l2_squared_f32`], ...) return
//! **bit-identical results at every level**: the order of additions is a fixed lane layout
//! that the scalar code follows too (see [the reduction order](#reduction-order)). A result
//! computed on an AVX-512 server equals the one computed on a laptop or under Miri, and the
//! guarantee costs next to nothing: the layout is the one an AVX2 core wants anyway.
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
//! One exception inside the AVX-512 level: on AMD family 0x19 CPUs (Zen 4), which split
//! 512-bit loads in two, calls that stream 32 MiB or more run the AVX2 kernels, measured
//! 5-20% faster there on inputs read from memory. The strict reductions give the same bits
//! either way (same lane layout); only the `*_relaxed` variants may round differently.
//!
//! # Reduction order
//!
//! The strict float reductions (`sum_*`, `dot_*`, `l2_squared_*`; also the accumulators of
//! `min_f32`/`max_f32`) use `L` lanes: `L = 64` for f32, `L = 32` for f64.
//!
//! 1. Every lane starts at `-0.0` (the exact additive identity).
//! 2. Element `i` (for dot and l2, the rounded term `a[i] * b[i]` or `d * d` with
//!    `d = a[i] - b[i]`) is added into lane `i % L`, in increasing `i`, one rounding per
//!    operation, no fused multiply-add.
//! 3. The lanes are summed by a pairwise tree: while more than one lane is left, with `h`
//!    half the lanes left, lane `k` becomes `lane[k] + lane[k + h]` for `k < h`. Lane 0 is
//!    the result.
//!
//! Vector levels hold lane `g` in lane `g % W` of accumulator `g / W` (`W` lanes per
//! register: 4 `zmm`, 8 `ymm` or 16 `xmm` accumulators), and mask or blend the last
//! partial vector so the other lanes are untouched; the scalar level keeps an array of `L`
//! accumulators. On long inputs the AVX2 and AVX-512 levels start their loop at the first
//! register-aligned element `h` (a load that crosses a cache line costs two): their
//! accumulators then hold the lanes rotated by `h`, and the first `h` elements start
//! their lanes in the last accumulator. A rotation changes no bit of the result: each tree
//! step adds the same pairs of lanes `{k, k + half}` (only their positions rotate), and
//! IEEE addition is commutative. Each step is one IEEE-754 operation with the same operands at every level,
//! hence the same bits (for results that are not NaN; a NaN result is NaN everywhere).
//! The `*_accurate` sums use the same scheme with 32 (f32) or 16 (f64) lanes of
//! (sum, compensation) pairs. The `*_relaxed` variants drop the guarantee (per-level layout,
//! FMA) for when reproducibility does not matter.
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
// On docs.rs (and in .ci/run's nightly doc build), both built with `--cfg docsrs`, every
// feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "std")]
extern crate std;

mod arch;
mod detect;
mod level;
mod small;

pub use level::{Level, ParseLevelError, Simd};

/// Whether this CPU runs BMI2's `pdep` and `pext` as fast single instructions: Intel CPUs,
/// and AMD CPUs from family 0x19 (Zen 3) on. Earlier AMD cores that have BMI2 run both in
/// microcode, dozens of cycles each, so code that would use them there is better off without.
///
/// This says nothing about whether BMI2 is present: a [`Simd`] of level [`Level::Avx2`] or
/// higher guarantees that. Not cached (two `cpuid` instructions): call it once and keep the
/// answer. `false` on other architectures and under Miri.
///
/// ```
/// let use_pext = perfkit_simd::Simd::detected().level().includes(perfkit_simd::Level::Avx2)
///     && perfkit_simd::fast_pdep_pext();
/// # let _ = use_pext;
/// ```
#[must_use]
pub fn fast_pdep_pext() -> bool {
    detect::fast_pdep_pext()
}

/// Calls the wrapper of `$name` for the token's level.
macro_rules! dispatch {
    ($simd:expr, $name:ident($($arg:expr),*)) => {
        match $simd.level() {
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Level::Avx512 => {
                let bytes = 0 $(+ arch::x86_64::Streamed::streamed_bytes(&$arg))*;
                if arch::x86_64::prefer_avx2(bytes) {
                    // SAFETY: AVX-512 includes every AVX2 feature (`Level::includes`), so the
                    // AVX2 wrapper's features are present; lengths as below.
                    unsafe { arch::x86_64::avx2::$name($($arg),*) }
                } else {
                    // SAFETY: a `Simd` only exists for a level this CPU runs (its
                    // invariant), and the caller checked the wrapper's length preconditions.
                    unsafe { arch::x86_64::avx512::$name($($arg),*) }
                }
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

/// Defines each kernel as a `Simd` method that dispatches on the token's level, as a free
/// function on [`Simd::detected`], both with the same docs, and as a `*_with(simd, ..)` free
/// function (the per-level entry point every perfkit crate has). A `small` expression, when
/// given, is tried first: the inline path of short inputs (`Some(result)`), see `small.rs`.
macro_rules! kernels {
    ($(
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident : $ty:ty),*) $(-> $ret:ty)?; with $with:ident
            $(; check $($len:ident),+)? $(; small $small:expr)?;
    )*) => {
        impl Simd {
            $(
                $(#[$attr])*
                #[inline]
                #[track_caller]
                pub fn $name(self, $($arg: $ty),*) $(-> $ret)? {
                    $(check_lengths(stringify!($name), [$((stringify!($len), $len.len())),+]);)?
                    $(if let Some(short) = $small {
                        return short;
                    })?
                    dispatch!(self, $name($($arg),*))
                }
            )*
        }

        $(
            $(#[$attr])*
            #[inline]
            #[track_caller]
            pub fn $name($($arg: $ty),*) $(-> $ret)? {
                // The short-input path inline here too, ahead of the level load and the
                // method (which the compiler may keep out of line).
                $(check_lengths(stringify!($name), [$((stringify!($len), $len.len())),+]);)?
                $(if let Some(short) = $small {
                    return short;
                })?
                Simd::detected().$name($($arg),*)
            }

            #[doc = concat!(
                "[`", stringify!($name), "`] at the level of `simd` (the same as `simd.",
                stringify!($name), "(..)`): the per-level entry point, shaped as in every \
                perfkit crate (`*_with(simd, ..)`), for tests and benchmarks of one level \
                and for code that picked its level once. Panics as [`", stringify!($name),
                "`] does."
            )]
            #[inline]
            #[track_caller]
            pub fn $with(simd: Simd, $($arg: $ty),*) $(-> $ret)? {
                simd.$name($($arg),*)
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
    fn popcount(words: &[u64]) -> u64; with popcount_with;

    /// `a[i] &= b[i]` for every `i`.
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    fn and_assign(a: &mut [u64], b: &[u64]); with and_assign_with; check a, b;

    /// `a[i] |= b[i]` for every `i`.
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    fn or_assign(a: &mut [u64], b: &[u64]); with or_assign_with; check a, b;

    /// `a[i] ^= b[i]` for every `i`.
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    fn xor_assign(a: &mut [u64], b: &[u64]); with xor_assign_with; check a, b;

    /// `a[i] &= !b[i]` for every `i` (clears in `a` the bits set in `b`).
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    fn andnot_assign(a: &mut [u64], b: &[u64]); with andnot_assign_with; check a, b;

    /// How many bytes of `haystack` equal `needle`.
    ///
    /// ```
    /// assert_eq!(perfkit_simd::count_byte(b"one\ntwo\n", b'\n'), 2);
    /// ```
    #[must_use]
    fn count_byte(haystack: &[u8], needle: u8) -> usize; with count_byte_with;

    /// The wrapping sum of `x` (as `u64::wrapping_add` in any order).
    ///
    /// ```
    /// assert_eq!(perfkit_simd::sum_u64(&[1, 2, u64::MAX]), 2);
    /// ```
    #[must_use]
    fn sum_u64(x: &[u64]) -> u64; with sum_u64_with;

    /// The sum of `x` in `i64`: exact unless `x` has more than 2^32 elements (then wrapping).
    ///
    /// ```
    /// assert_eq!(perfkit_simd::sum_i32(&[i32::MAX, i32::MAX, -1]), 2 * i32::MAX as i64 - 1);
    /// ```
    #[must_use]
    fn sum_i32(x: &[i32]) -> i64; with sum_i32_with;

    /// The sum of `x`, in the [fixed reduction order](crate#reduction-order): the same bits
    /// at every level. The sum of an empty slice is `-0.0` (as for std's `Sum`).
    ///
    /// ```
    /// assert_eq!(perfkit_simd::sum_f32(&[0.5; 1000]), 500.0);
    /// ```
    #[must_use]
    fn sum_f32(x: &[f32]) -> f32; with sum_f32_with; small small::sum(x);

    /// The sum of `x`, in the [fixed reduction order](crate#reduction-order) (32 lanes): the
    /// same bits at every level. The sum of an empty slice is `-0.0`.
    #[must_use]
    fn sum_f64(x: &[f64]) -> f64; with sum_f64_with; small small::sum(x);

    /// `Σ a[i] * b[i]`, each product rounded then added (no FMA), in the
    /// [fixed reduction order](crate#reduction-order): the same bits at every level.
    ///
    /// ```
    /// assert_eq!(perfkit_simd::dot_f32(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
    /// ```
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    #[must_use]
    fn dot_f32(a: &[f32], b: &[f32]) -> f32; with dot_f32_with; check a, b; small small::dot(a, b);

    /// `Σ a[i] * b[i]` in f64 (no FMA), in the [fixed reduction order](crate#reduction-order).
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    #[must_use]
    fn dot_f64(a: &[f64], b: &[f64]) -> f64; with dot_f64_with; check a, b; small small::dot(a, b);

    /// `Σ (a[i] - b[i])²`, the squared Euclidean distance (subtract, square, add: three
    /// roundings per element), in the [fixed reduction order](crate#reduction-order).
    ///
    /// ```
    /// assert_eq!(perfkit_simd::l2_squared_f32(&[0.0, 3.0], &[4.0, 0.0]), 25.0);
    /// ```
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    #[must_use]
    fn l2_squared_f32(a: &[f32], b: &[f32]) -> f32; with l2_squared_f32_with; check a, b; small small::l2_squared(a, b);

    /// The smallest element of `x`, ignoring NaN.
    ///
    /// NaN policy: NaN elements are skipped (as `f32::min` does); the result is `None` when
    /// `x` is empty or all NaN. `-0.0` and `0.0` compare equal, and which of the two is
    /// returned when the minimum is zero is unspecified. Infinities are ordinary values.
    ///
    /// ```
    /// assert_eq!(perfkit_simd::min_f32(&[3.0, f32::NAN, -1.5]), Some(-1.5));
    /// assert_eq!(perfkit_simd::min_f32(&[f32::NAN]), None);
    /// ```
    #[must_use]
    fn min_f32(x: &[f32]) -> Option<f32>; with min_f32_with;

    /// The largest element of `x`, ignoring NaN (same NaN policy as [`min_f32`]).
    ///
    /// ```
    /// assert_eq!(perfkit_simd::max_f32(&[3.0, f32::NAN, -1.5]), Some(3.0));
    /// assert_eq!(perfkit_simd::max_f32(&[]), None);
    /// ```
    #[must_use]
    fn max_f32(x: &[f32]) -> Option<f32>; with max_f32_with;

    /// `out[i] = a[i] + b[i]`.
    ///
    /// # Panics
    /// If `a`, `b` and `out` do not all have the same length.
    fn add_f32(a: &[f32], b: &[f32], out: &mut [f32]); with add_f32_with; check a, b, out;

    /// `out[i] = a[i] * b[i]`.
    ///
    /// # Panics
    /// If `a`, `b` and `out` do not all have the same length.
    fn mul_f32(a: &[f32], b: &[f32], out: &mut [f32]); with mul_f32_with; check a, b, out;

    /// `x[i] *= s`.
    ///
    /// ```
    /// let mut x = [1.0, -2.0];
    /// perfkit_simd::scale_f32(&mut x, 0.5);
    /// assert_eq!(x, [0.5, -1.0]);
    /// ```
    fn scale_f32(x: &mut [f32], s: f32); with scale_f32_with;

    /// `y[i] = a * x[i] + y[i]` (multiply, then add: two roundings, as plain Rust, so every
    /// level gives the same bits).
    ///
    /// ```
    /// let mut y = [1.0, 1.0];
    /// perfkit_simd::axpy_f32(2.0, &[3.0, 4.0], &mut y);
    /// assert_eq!(y, [7.0, 9.0]);
    /// ```
    ///
    /// # Panics
    /// If `x.len() != y.len()`.
    fn axpy_f32(a: f32, x: &[f32], y: &mut [f32]); with axpy_f32_with; check x, y;

    /// [`sum_f32`] without the bit-identical guarantee: each level uses its own accumulator
    /// count and no blend on the tail, so results may differ between levels in the last bits
    /// (and in the sign of a zero sum).
    #[must_use]
    fn sum_f32_relaxed(x: &[f32]) -> f32; with sum_f32_relaxed_with; small small::sum(x);

    /// [`sum_f64`] without the bit-identical guarantee (see [`sum_f32_relaxed`]).
    #[must_use]
    fn sum_f64_relaxed(x: &[f64]) -> f64; with sum_f64_relaxed_with; small small::sum(x);

    /// [`dot_f32`] without the bit-identical guarantee: fused multiply-add where the level
    /// has FMA (AVX2, AVX-512, NEON), its own accumulator count per level.
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    #[must_use]
    fn dot_f32_relaxed(a: &[f32], b: &[f32]) -> f32; with dot_f32_relaxed_with; check a, b; small small::dot(a, b);

    /// [`dot_f64`] without the bit-identical guarantee (see [`dot_f32_relaxed`]).
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    #[must_use]
    fn dot_f64_relaxed(a: &[f64], b: &[f64]) -> f64; with dot_f64_relaxed_with; check a, b; small small::dot(a, b);

    /// [`l2_squared_f32`] without the bit-identical guarantee (see [`dot_f32_relaxed`]).
    ///
    /// # Panics
    /// If `a.len() != b.len()`.
    #[must_use]
    fn l2_squared_f32_relaxed(a: &[f32], b: &[f32]) -> f32; with l2_squared_f32_relaxed_with; check a, b; small small::l2_squared(a, b);

    /// The sum of `x` by compensated summation (Neumaier): the result is as accurate as if
    /// it had been summed in twice the precision and then rounded, so ill-conditioned sums
    /// (large terms that cancel) keep their small terms. Bit-identical at every level (32
    /// lanes, each with a sum and a compensation term). About 2–4× the cost of [`sum_f32`].
    ///
    /// ```
    /// let x = [1.0e8_f32, 1.0, -1.0e8, 1.0];
    /// assert_eq!(perfkit_simd::sum_f32_accurate(&x), 2.0);
    /// ```
    #[must_use]
    fn sum_f32_accurate(x: &[f32]) -> f32; with sum_f32_accurate_with;

    /// The sum of `x` by compensated summation (Neumaier; 16 lanes), bit-identical at every
    /// level. See [`sum_f32_accurate`].
    ///
    /// ```
    /// let x = [1.0e17, 3.0, -1.0e17, 4.0];
    /// assert_eq!(perfkit_simd::sum_f64_accurate(&x), 7.0);
    /// ```
    #[must_use]
    fn sum_f64_accurate(x: &[f64]) -> f64; with sum_f64_accurate_with;
}

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
