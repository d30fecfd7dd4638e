//! Stream VByte with SSSE3/SSE4.1 and AVX2 shuffles (stable `core::arch`, runtime dispatch).

use alloc::vec::Vec;
use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_cmpeq_epi32, _mm_cvtsi128_si32, _mm_load_si128,
    _mm_loadu_si128, _mm_min_epu32, _mm_packus_epi16, _mm_packus_epi32, _mm_set1_epi32,
    _mm_setzero_si128, _mm_shuffle_epi8, _mm_shuffle_epi32, _mm_storeu_si128, _mm_sub_epi32,
    _mm256_inserti128_si256, _mm256_set_m128i, _mm256_shuffle_epi8, _mm256_storeu_si256,
};

use super::scalar;
use super::tables::{DECODE, ENCODE, LENGTHS};

/// The control byte of four values: code = bytes − 1, two bits per value.
///
/// # Safety
///
/// - The CPU supports SSE4.1 (the caller is a function that enables it).
#[inline(always)]
unsafe fn control(v: __m128i) -> usize {
    // SAFETY: only arithmetic intrinsics, and the caller guarantees SSE4.1.
    unsafe {
        let le1 = _mm_cmpeq_epi32(_mm_min_epu32(v, _mm_set1_epi32(0xff)), v);
        let le2 = _mm_cmpeq_epi32(_mm_min_epu32(v, _mm_set1_epi32(0xffff)), v);
        let le3 = _mm_cmpeq_epi32(_mm_min_epu32(v, _mm_set1_epi32(0xff_ffff)), v);
        // 3 + (-1 for each bound the value fits under).
        let codes = _mm_add_epi32(
            _mm_set1_epi32(3),
            _mm_add_epi32(le1, _mm_add_epi32(le2, le3)),
        );
        let bytes = _mm_packus_epi16(_mm_packus_epi32(codes, codes), codes);
        let x = _mm_cvtsi128_si32(bytes) as u32;
        ((x | x >> 6 | x >> 12 | x >> 18) & 0xff) as usize
    }
}

/// Appends control bytes then data for `values` to `out`; returns the bytes written.
///
/// # Safety
///
/// - The CPU supports SSE4.1 and SSSE3.
/// - `out` has at least `max_encoded_len(values.len()) + 16` bytes of spare capacity.
#[target_feature(enable = "sse4.1,ssse3")]
pub(super) unsafe fn encode_sse41<const DELTA: bool>(values: &[u32], out: &mut Vec<u8>) -> usize {
    let base = out.len();
    let ctrl_len = values.len().div_ceil(4);
    let mut chunks = values.chunks_exact(4);
    // SAFETY: control byte `k < ctrl_len` and data are written inside the reserved spare
    // capacity: before each group the data offset is at most `ctrl_len + 4 * (values before)`,
    // and a group writes 16 bytes, within `max_encoded_len + 16`. Loads read whole chunks.
    unsafe {
        let start = out.as_mut_ptr().add(base);
        let mut data = start.add(ctrl_len);
        let mut prev = _mm_setzero_si128();
        for (k, c) in (&mut chunks).enumerate() {
            let v = _mm_loadu_si128(c.as_ptr().cast());
            let d = if DELTA {
                // [prev[3], v0, v1, v2]
                let shifted = _mm_alignr_epi8::<12>(v, prev);
                prev = v;
                _mm_sub_epi32(v, shifted)
            } else {
                v
            };
            // The enclosing function enables SSE4.1, as `control` requires.
            let code = control(d);
            start.add(k).write(code as u8);
            _mm_storeu_si128(
                data.cast(),
                _mm_shuffle_epi8(d, _mm_load_si128(ENCODE[code].0.as_ptr().cast())),
            );
            data = data.add(usize::from(LENGTHS[code]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = if DELTA {
                values
                    .len()
                    .checked_sub(rest.len() + 1)
                    .map_or(0, |i| values[i])
            } else {
                0
            };
            let mut code = 0u8;
            for (j, &v) in rest.iter().enumerate() {
                let v = if DELTA {
                    v.wrapping_sub(core::mem::replace(&mut last, v))
                } else {
                    v
                };
                let len = scalar::byte_len(v);
                code |= ((len - 1) as u8) << (2 * j);
                data.cast::<[u8; 4]>().write_unaligned(v.to_le_bytes());
                data = data.add(len);
            }
            start.add(ctrl_len - 1).write(code);
        }
        let written = data.offset_from(start) as usize;
        out.set_len(base + written);
        written
    }
}

/// The running state of a delta decode, one group of four values behind: its decoded
/// differences `x`, their pair sums `y` (`y[i] = x[i] + x[i - 1]`, reaching into the group
/// before) and its outputs `o`. All zero at the start of a stream.
///
/// The next group's outputs come from sliding windows instead of a prefix sum inside the group:
/// with `z[i] = x[i] + x[i - 1] + x[i - 2] + x[i - 3]` (two `palignr` against the previous
/// group and two adds), output `i` is `z[i]` plus output `i - 4`, which is lane `i` of the
/// previous group's outputs. So the only loop-carried operation is one lane-wise add per group,
/// and no broadcast of a running total is needed.
#[derive(Clone, Copy)]
struct Window {
    x: __m128i,
    y: __m128i,
    o: __m128i,
}

impl Window {
    /// The state before the first group.
    #[inline(always)]
    fn new() -> Self {
        // SAFETY: SSE2 is part of the x86-64 baseline.
        let zero = unsafe { _mm_setzero_si128() };
        Self {
            x: zero,
            y: zero,
            o: zero,
        }
    }

    /// Outputs of the group with differences `x`; advances the state past it.
    ///
    /// # Safety
    ///
    /// - The CPU supports SSSE3 (the caller is a function that enables it).
    #[inline(always)]
    unsafe fn next(&mut self, x: __m128i) -> __m128i {
        // SAFETY: only arithmetic intrinsics, and the caller guarantees SSSE3.
        unsafe {
            let y = _mm_add_epi32(x, _mm_alignr_epi8::<12>(x, self.x));
            let z = _mm_add_epi32(y, _mm_alignr_epi8::<8>(y, self.y));
            let o = _mm_add_epi32(z, self.o);
            *self = Self { x, y, o };
            o
        }
    }

    /// The last value output so far (0 before the first group).
    #[inline(always)]
    fn last(&self) -> u32 {
        // SAFETY: SSE2 is part of the x86-64 baseline.
        unsafe { _mm_cvtsi128_si32(_mm_shuffle_epi32::<0xff>(self.o)) as u32 }
    }
}

/// Decodes whole groups of four with SSSE3 from group `k` while 16 input bytes are readable,
/// then finishes with the scalar loop.
///
/// # Safety
///
/// - The CPU supports SSSE3 and SSE4.1.
/// - The stream was checked against `input`: `ctrl_len = ceil(count / 4)` control bytes and the
///   data they describe fit in `input`; `data` is where group `k`'s data starts.
/// - `out` has spare capacity for `count - 4 * k` more values.
#[inline(always)]
unsafe fn finish_sse<const DELTA: bool>(
    input: &[u8],
    ctrl_len: usize,
    count: usize,
    mut k: usize,
    mut data: usize,
    mut window: Window,
    out: &mut Vec<u32>,
) {
    let full = count / 4;
    let len0 = out.len();
    // SAFETY: `k < full <= ctrl_len` indexes the control bytes; 16 bytes at `data` are inside
    // `input` by the loop condition; group `j` (from the first `k`) is stored at `4 * j` past
    // `len0`, within the reserved room.
    unsafe {
        let dst = out.as_mut_ptr().add(len0);
        let first = k;
        while k < full && data + 16 <= input.len() {
            let c = usize::from(*input.get_unchecked(k));
            let v = _mm_loadu_si128(input.as_ptr().add(data).cast());
            let mut s = _mm_shuffle_epi8(v, _mm_load_si128(DECODE[c].0.as_ptr().cast()));
            if DELTA {
                // The caller guarantees SSSE3 (first precondition), as `next` requires.
                s = window.next(s);
            }
            _mm_storeu_si128(dst.add(4 * (k - first)).cast(), s);
            data += usize::from(LENGTHS[c]);
            k += 1;
        }
        out.set_len(len0 + 4 * (k - first));
    }
    let last = if DELTA { window.last() } else { 0 };
    scalar::decode_from::<DELTA>(input, ctrl_len, 4 * k, data, last, count, out);
}

/// SSSE3 decoder (see [`finish_sse`]).
///
/// # Safety
///
/// - The CPU supports SSSE3 and SSE4.1.
/// - The stream was checked against `input` (see `check`), `ctrl_len = ceil(count / 4)`.
/// - `out` has spare capacity for `count` values.
#[target_feature(enable = "sse4.1,ssse3")]
pub(super) unsafe fn decode_ssse3<const DELTA: bool>(
    input: &[u8],
    ctrl_len: usize,
    count: usize,
    out: &mut Vec<u32>,
) {
    // SAFETY: forwarded preconditions, starting at group 0 whose data follows the control bytes.
    unsafe { finish_sse::<DELTA>(input, ctrl_len, count, 0, ctrl_len, Window::new(), out) }
}

/// Decodes groups `k` and `k + 1` (data at `data`) into `dst`; returns where their data ends.
/// For delta streams `window` is the state after the groups before `k`.
///
/// # Safety
///
/// - The CPU supports AVX2; `k + 1` indexes a control byte of `input`.
/// - `data + 32 <= input.len()`; `dst` is valid for writing 8 values.
#[inline(always)]
unsafe fn step8<const DELTA: bool>(
    input: &[u8],
    k: usize,
    data: usize,
    window: &mut Window,
    dst: *mut u32,
) -> usize {
    // SAFETY: the caller's preconditions cover every read and the store.
    unsafe {
        let c0 = usize::from(*input.get_unchecked(k));
        let c1 = usize::from(*input.get_unchecked(k + 1));
        let lo = _mm_loadu_si128(input.as_ptr().add(data).cast());
        let hi = _mm_loadu_si128(input.as_ptr().add(data + usize::from(LENGTHS[c0])).cast());
        let shuf0 = _mm_load_si128(DECODE[c0].0.as_ptr().cast());
        let shuf1 = _mm_load_si128(DECODE[c1].0.as_ptr().cast());
        if DELTA {
            // 128-bit groups, each from sliding windows over the group before (see
            // `Window`): per group one shuffle, two `palignr` and three adds, with one add
            // loop-carried. The shuffles stay within 128 bits (a 256-bit prefix sum needs
            // lane-crossing moves, which cost more than these on AVX2 machines). AVX2
            // includes the SSSE3 that `next` requires.
            let a = window.next(_mm_shuffle_epi8(lo, shuf0));
            _mm_storeu_si128(dst.cast(), a);
            let b = window.next(_mm_shuffle_epi8(hi, shuf1));
            _mm_storeu_si128(dst.add(4).cast(), b);
        } else {
            let v = _mm256_inserti128_si256::<1>(_mm256_set_m128i(lo, lo), hi);
            let s = _mm256_shuffle_epi8(v, _mm256_set_m128i(shuf1, shuf0));
            _mm256_storeu_si256(dst.cast(), s);
        }
        data + usize::from(LENGTHS[c0]) + usize::from(LENGTHS[c1])
    }
}

/// AVX2 decoder: two groups (eight values) per step, then the SSSE3 and scalar tails.
///
/// # Safety
///
/// - The CPU supports AVX2.
/// - The stream was checked against `input` (see `check`), `ctrl_len = ceil(count / 4)`.
/// - `out` has spare capacity for `count` values.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn decode_avx2<const DELTA: bool>(
    input: &[u8],
    ctrl_len: usize,
    count: usize,
    out: &mut Vec<u32>,
) {
    let full = count / 4;
    let len0 = out.len();
    let mut k = 0;
    let mut data = ctrl_len;
    let mut window = Window::new();
    // Bounds: `k + 1 < full <= ctrl_len` indexes control bytes; a step's two 16-byte loads end
    // at most at `data + 32 <= input.len()`: in the first two loops because groups `k..k + 8`
    // (from the step's own `k`) hold at least 32 data bytes (one a value), all inside the
    // checked stream, in the third by its condition. 8 values per step are stored within the
    // room for `count` values.
    // SAFETY: every load, store and index below stays within the bounds argued above, and the
    // tail call forwards the preconditions with the state reached.
    unsafe {
        let dst = out.as_mut_ptr().add(len0);
        // Two steps (16 values) per iteration: half the loop overhead.
        while k + 10 <= full {
            data = step8::<DELTA>(input, k, data, &mut window, dst.add(4 * k));
            data = step8::<DELTA>(input, k + 2, data, &mut window, dst.add(4 * k + 8));
            k += 4;
        }
        while k + 8 <= full {
            data = step8::<DELTA>(input, k, data, &mut window, dst.add(4 * k));
            k += 2;
        }
        while k + 2 <= full && data + 32 <= input.len() {
            data = step8::<DELTA>(input, k, data, &mut window, dst.add(4 * k));
            k += 2;
        }
        out.set_len(len0 + 4 * k);
        finish_sse::<DELTA>(input, ctrl_len, count, k, data, window, out);
    }
}
