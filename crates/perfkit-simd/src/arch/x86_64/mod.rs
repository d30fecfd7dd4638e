//! x86-64 levels: [`sse41`] (x86-64-v2), [`avx2`] (x86-64-v3) and [`avx512`].
//!
//! Each submodule implements the vector traits for its register type and instantiates the
//! generic kernels in `#[target_feature]` wrappers whose feature list is exactly its
//! [`Level::target_features`](crate::Level::target_features).

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod sse41;

use core::arch::x86_64::*;

pub(crate) use super::copy_in;

use core::sync::atomic::{AtomicU8, Ordering};

/// Calls streaming at least this many bytes (all slice arguments together) are beyond what
/// the caches hold; see [`prefer_avx2`].
pub(crate) const LONG_STREAM_BYTES: usize = 32 << 20;

/// Whether the AVX-512 level hands a call that streams `bytes` to its AVX2 kernel: only for
/// long streams ([`LONG_STREAM_BYTES`]) on CPUs where 512-bit loads stream from memory slower
/// than 256-bit ones ([`narrow_streams`]). The AVX2 kernels keep the same lane layout, so
/// the result is the same (bit for bit for the strict reductions).
#[inline(always)]
pub(crate) fn prefer_avx2(bytes: usize) -> bool {
    bytes >= LONG_STREAM_BYTES && narrow_streams()
}

/// The bytes a kernel argument makes the kernel read or write (0 for a scalar argument), so
/// that dispatch can tell a long stream from a short one.
pub(crate) trait Streamed {
    /// Bytes read or written through this argument.
    fn streamed_bytes(&self) -> usize;
}

impl<T> Streamed for &[T] {
    #[inline(always)]
    fn streamed_bytes(&self) -> usize {
        core::mem::size_of_val(*self)
    }
}

impl<T> Streamed for &mut [T] {
    #[inline(always)]
    fn streamed_bytes(&self) -> usize {
        core::mem::size_of_val(&**self)
    }
}

impl Streamed for f32 {
    #[inline(always)]
    fn streamed_bytes(&self) -> usize {
        0
    }
}

impl Streamed for u8 {
    #[inline(always)]
    fn streamed_bytes(&self) -> usize {
        0
    }
}

const UNSET: u8 = 0;
const NO: u8 = 1;
const YES: u8 = 2;
static NARROW_STREAMS: AtomicU8 = AtomicU8::new(UNSET);

/// AMD family 0x19 (Zen 4 is its AVX-512 member), which executes a 512-bit load as two
/// 256-bit halves. Measured on one (2-core EPYC VM), reading 64-256 MiB from memory: 256-bit
/// loops 5-20% faster than 512-bit ones (`sum_f32` 0.116 against 0.142 ns per element,
/// `add_f32` 6.0 against 6.6 ms over 16M elements); at 1 MiB (in L2) 512-bit was faster, at
/// 16 MiB they were even. Detected once and cached.
#[inline(always)]
fn narrow_streams() -> bool {
    match NARROW_STREAMS.load(Ordering::Relaxed) {
        UNSET => detect_narrow_streams(),
        flag => flag == YES,
    }
}

#[cold]
#[inline(never)]
fn detect_narrow_streams() -> bool {
    use crate::detect::{X86Vendor, x86_vendor_family};
    let yes = x86_vendor_family() == (X86Vendor::Amd, 0x19);
    NARROW_STREAMS.store(if yes { YES } else { NO }, Ordering::Relaxed);
    yes
}

/// `-1` (all ones) in the first eight `i32`, then zeros: a load at `8 - n` (f32 lanes) or
/// `8 - 2n` (f64 lanes) gives a mask whose first `n` lanes are set.
static MASK_TABLE: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// Pointer into [`MASK_TABLE`] for the first `n` of up to 8 `i32` lanes.
#[inline(always)]
fn mask32(n: usize) -> *const i32 {
    debug_assert!(n <= 8);
    MASK_TABLE[8 - n..].as_ptr()
}

/// Pointer into [`MASK_TABLE`] for the first `n` of up to 4 `i64` lanes.
#[inline(always)]
fn mask64(n: usize) -> *const i32 {
    debug_assert!(n <= 4);
    MASK_TABLE[8 - 2 * n..].as_ptr()
}

/// `0, 1, .., 7` twice: a load at `s <= 8` gives the `vpermps` indices `(t + s) % 8`, which
/// rotate eight 32-bit lanes down by `s` (lane `t` takes lane `(t + s) % 8`).
static ROTATE_TABLE: [i32; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7];

/// Pointer into [`ROTATE_TABLE`] for a rotation by `s <= 8` 32-bit lanes.
#[inline(always)]
fn rotate32(s: usize) -> *const i32 {
    debug_assert!(s <= 8);
    ROTATE_TABLE[s..].as_ptr()
}

/// The common methods of a float vector over one `__m*` register.
macro_rules! float_common {
    (
        $e:ty, $lanes:literal,
        $set1:ident, $loadu:ident, $storeu:ident,
        $add:ident, $sub:ident, $mul:ident, $min:ident, $max:ident
    ) => {
        type Elem = $e;
        const LANES: usize = $lanes;

        #[inline(always)]
        unsafe fn splat(e: $e) -> Self {
            // SAFETY: the CPU runs this level (caller).
            Self(unsafe { $set1(e) })
        }
        #[inline(always)]
        unsafe fn load(p: *const $e) -> Self {
            // SAFETY: `p` is valid for LANES reads and the CPU runs this level (caller).
            Self(unsafe { $loadu(p) })
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut $e) {
            // SAFETY: `p` is valid for LANES writes and the CPU runs this level (caller).
            unsafe { $storeu(p, self.0) }
        }
        #[inline(always)]
        unsafe fn add(self, o: Self) -> Self {
            // SAFETY: the CPU runs this level (caller).
            Self(unsafe { $add(self.0, o.0) })
        }
        #[inline(always)]
        unsafe fn sub(self, o: Self) -> Self {
            // SAFETY: the CPU runs this level (caller).
            Self(unsafe { $sub(self.0, o.0) })
        }
        #[inline(always)]
        unsafe fn mul(self, o: Self) -> Self {
            // SAFETY: the CPU runs this level (caller).
            Self(unsafe { $mul(self.0, o.0) })
        }
        #[inline(always)]
        unsafe fn min(self, acc: Self) -> Self {
            // SAFETY: the CPU runs this level (caller). `min(a, b)` returns `b` when either is
            // NaN or both are equal: exactly `if a < b { a } else { b }`.
            Self(unsafe { $min(self.0, acc.0) })
        }
        #[inline(always)]
        unsafe fn max(self, acc: Self) -> Self {
            // SAFETY: as for `min`: `if a > b { a } else { b }`.
            Self(unsafe { $max(self.0, acc.0) })
        }
        #[inline(always)]
        unsafe fn to_lanes(self, out: &mut [$e; 16]) {
            // SAFETY: `out` holds 16 >= LANES elements; the CPU runs this level (caller).
            unsafe { $storeu(out.as_mut_ptr(), self.0) }
        }
    };
}
use float_common;

// Horizontal reductions by the fixed tree (lane k + lane k + half, lower half kept), shared
// by the levels: a wider register first adds its upper half into its lower half.

/// Sum of 4 f32 lanes: `(l0 + l2) + (l1 + l3)`.
///
/// # Safety
/// SSE (baseline on x86-64).
#[inline(always)]
unsafe fn hsum_ps(v: __m128) -> f32 {
    // SAFETY: SSE is baseline on x86-64.
    unsafe {
        let s = _mm_add_ps(v, _mm_movehl_ps(v, v));
        _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s)))
    }
}

/// Sum of 2 f64 lanes: `l0 + l1`.
///
/// # Safety
/// SSE2 (baseline on x86-64).
#[inline(always)]
unsafe fn hsum_pd(v: __m128d) -> f64 {
    // SAFETY: SSE2 is baseline on x86-64.
    unsafe { _mm_cvtsd_f64(_mm_add_sd(v, _mm_unpackhi_pd(v, v))) }
}

/// Minimum of 4 f32 lanes (no NaN).
///
/// # Safety
/// SSE (baseline on x86-64).
#[inline(always)]
unsafe fn hmin_ps(v: __m128) -> f32 {
    // SAFETY: SSE is baseline on x86-64.
    unsafe {
        let s = _mm_min_ps(v, _mm_movehl_ps(v, v));
        _mm_cvtss_f32(_mm_min_ss(s, _mm_shuffle_ps::<0b01>(s, s)))
    }
}

/// Maximum of 4 f32 lanes (no NaN).
///
/// # Safety
/// SSE (baseline on x86-64).
#[inline(always)]
unsafe fn hmax_ps(v: __m128) -> f32 {
    // SAFETY: SSE is baseline on x86-64.
    unsafe {
        let s = _mm_max_ps(v, _mm_movehl_ps(v, v));
        _mm_cvtss_f32(_mm_max_ss(s, _mm_shuffle_ps::<0b01>(s, s)))
    }
}

/// Minimum of 2 f64 lanes (no NaN).
///
/// # Safety
/// SSE2 (baseline on x86-64).
#[inline(always)]
unsafe fn hmin_pd(v: __m128d) -> f64 {
    // SAFETY: SSE2 is baseline on x86-64.
    unsafe { _mm_cvtsd_f64(_mm_min_sd(v, _mm_unpackhi_pd(v, v))) }
}

/// Maximum of 2 f64 lanes (no NaN).
///
/// # Safety
/// SSE2 (baseline on x86-64).
#[inline(always)]
unsafe fn hmax_pd(v: __m128d) -> f64 {
    // SAFETY: SSE2 is baseline on x86-64.
    unsafe { _mm_cvtsd_f64(_mm_max_sd(v, _mm_unpackhi_pd(v, v))) }
}

#[cfg(test)]
mod long_stream_tests {
    use super::{LONG_STREAM_BYTES, Streamed, narrow_streams, prefer_avx2};

    /// The hand-off starts exactly at `LONG_STREAM_BYTES` (the integration tests' 32 MiB
    /// inputs sit just above it) and only on CPUs that stream narrow; every argument's bytes
    /// count, scalars none.
    #[test]
    fn hand_off_threshold_and_byte_count() {
        assert_eq!(LONG_STREAM_BYTES, 32 << 20);
        assert!(!prefer_avx2(LONG_STREAM_BYTES - 1));
        assert_eq!(prefer_avx2(LONG_STREAM_BYTES), narrow_streams());
        let (a, mut b) = ([0u64; 3], [0f32; 5]);
        let (shared, unique): (&[u64], &mut [f32]) = (&a, &mut b);
        let bytes = shared.streamed_bytes() + unique.streamed_bytes();
        assert_eq!(
            bytes + 2.5f32.streamed_bytes() + 7u8.streamed_bytes(),
            24 + 20
        );
    }
}

#[cfg(test)]
mod tests {
    //! The helpers of the aligned reductions, against their definitions: the AVX2
    //! overrides and the trait's defaults (used by SSE4.1's types here, and by the AVX-512
    //! ones).

    use super::{avx2, sse41};
    use crate::Level;
    use crate::arch::{Float, FloatVec};

    /// The lanes of `v`.
    ///
    /// # Safety
    /// The CPU runs `V`'s level.
    #[inline(always)]
    unsafe fn lanes<V: FloatVec>(v: V) -> [V::Elem; 16] {
        let mut out = [V::Elem::NEG_ZERO; 16];
        // SAFETY: forwarded precondition.
        unsafe { v.to_lanes(&mut out) };
        out
    }

    /// Checks `load_partial_high` and `align_head` of `V`.
    ///
    /// # Safety
    /// The CPU runs `V`'s level.
    #[inline(always)]
    unsafe fn check<V: FloatVec>(src: &[V::Elem; 32])
    where
        V::Elem: core::fmt::Debug,
    {
        let w = V::LANES;
        // SAFETY: the CPU runs V's level (caller); every pointer stays inside `src`.
        unsafe {
            for len in 1..w {
                let got = lanes(V::load_partial_high(src.as_ptr(), len));
                assert!(got[..w - len].iter().all(|&z| z == V::Elem::NEG_ZERO));
                assert_eq!(got[w - len..w], src[..len], "load_partial_high len={len}");
            }
        }
        let size = core::mem::size_of::<V::Elem>();
        let base = src
            .as_ptr()
            .wrapping_add(32 - src.as_ptr().addr() % 64 / size);
        for j in 0..w {
            let want = if V::ALIGN == 0 { 0 } else { (w - j) % w };
            assert_eq!(V::align_head(base.wrapping_add(j)), want, "align_head +{j}");
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn check_avx2(f: &[f32; 32], d: &[f64; 32]) {
        // SAFETY: this function's features are the AVX2 level.
        unsafe {
            check::<avx2::F32x8>(f);
            check::<avx2::F64x4>(d);
        }
    }

    #[target_feature(enable = "sse4.1")]
    unsafe fn check_sse41(f: &[f32; 32], d: &[f64; 32]) {
        // SAFETY: this function's features are the SSE4.1 level.
        unsafe {
            check::<sse41::F32x4>(f);
            check::<sse41::F64x2>(d);
        }
    }

    #[test]
    fn alignment_helpers_match_their_definitions() {
        let f: [f32; 32] = core::array::from_fn(|i| i as f32 + 1.0);
        let d: [f64; 32] = core::array::from_fn(|i| -(i as f64) - 0.5);
        if Level::Avx2.is_available() {
            // SAFETY: AVX2 was detected just above.
            unsafe { check_avx2(&f, &d) };
        }
        if Level::Sse41.is_available() {
            // SAFETY: SSE4.1 was detected just above.
            unsafe { check_sse41(&f, &d) };
        }
    }
}
