//! Masked-VByte batch decoding for x86-64 (SSE4.1, AVX2 and AVX-512 levels).
//!
//! Each step loads 16 bytes and takes the continuation bits with one `movemask`. Sixteen
//! clear bits mean sixteen one-byte values, widened straight to the output. Otherwise the low
//! 12 bits index a table that says how to decode the varints that *end* in the first 12
//! bytes: up to eight of at most 2 bytes (into 16-bit lanes) or up to four of at most 4 bytes
//! (into 32-bit lanes), by one `pshufb`, then a few shifts and masks pack the 7-bit groups.
//! A varint longer than 4 bytes starts a run of long values when the 64 bytes from it hold
//! few varint ends (decoded as below); otherwise it, or anything invalid, goes to the scalar
//! decoder for one value, which also produces every error. The loop runs only while 16 input bytes are
//! readable and 16 output slots are reserved; the scalar loop finishes the rest.
//!
//! The AVX2 and AVX-512 levels take the continuation bits of 64 bytes at a time into one
//! 64-bit mask (so the next step's key is a shift, not a load), fill eight 32-bit lanes per
//! step, and decode a longer varint from that mask (its length by one `tzcnt`, its value by
//! the branch-free 7-bit pack); they run while 64 bytes are readable and 64 slots reserved.
//! A block of long varints (at most [`SPARSE_STOPS`] ends in its 64 bytes) is decoded value
//! by value straight from the mask instead: the next end is `tzcnt`, the step is `blsr`, and
//! each value is packed without a branch on its length, by `pext` on CPUs where it is fast
//! (chosen once per call) and by shifts and masks where it is slow microcode (AMD before
//! Zen 3).

use alloc::vec::Vec;
use core::arch::x86_64::{
    __m128i, __m256i, __m512i, _bzhi_u64, _mm_and_si128, _mm_cvtepu8_epi32, _mm_cvtepu8_epi64,
    _mm_cvtepu16_epi32, _mm_cvtepu16_epi64, _mm_cvtepu32_epi64, _mm_load_si128, _mm_loadu_si128,
    _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi16, _mm_set1_epi32, _mm_shuffle_epi8,
    _mm_srli_epi16, _mm_srli_epi32, _mm_srli_si128, _mm_storeu_si128, _mm256_and_si256,
    _mm256_broadcastsi128_si256, _mm256_castsi256_si128, _mm256_cvtepu8_epi32,
    _mm256_cvtepu8_epi64, _mm256_cvtepu16_epi32, _mm256_cvtepu16_epi64, _mm256_cvtepu32_epi64,
    _mm256_extracti128_si256, _mm256_load_si256, _mm256_loadu_si256, _mm256_movemask_epi8,
    _mm256_or_si256, _mm256_set1_epi32, _mm256_shuffle_epi8, _mm256_srli_epi32,
    _mm256_storeu_si256, _mm512_cvtepu8_epi32, _mm512_cvtepu8_epi64, _mm512_cvtepu16_epi64,
    _mm512_cvtepu32_epi64, _mm512_storeu_si512, _pext_u64,
};

use super::batch::{at, decode_u32_scalar, decode_u64_scalar};
use super::{LOW7, MAX_LEN_U32, pack7};
use super::{decode_u32, decode_u64};
use crate::DecodeError;

/// Table entry kinds.
const KIND_SCALAR: u32 = 0;
const KIND_U16: u32 = 1;
const KIND_U32: u32 = 2;

/// What to do for one 12-bit continuation mask: `(shuffle, kind | count << 8 | consumed << 16)`.
const fn plan(mask: u32) -> ([u8; 16], u32) {
    // Lengths of the varints that end within the first 12 bytes, in order.
    let mut lens = [0usize; 12];
    let mut n = 0;
    let mut start = 0;
    let mut i = 0;
    while i < 12 {
        if (mask >> i) & 1 == 0 {
            lens[n] = i + 1 - start;
            n += 1;
            start = i + 1;
        }
        i += 1;
    }
    let mut short = 0;
    while short < n && short < 8 && lens[short] <= 2 {
        short += 1;
    }
    let mut medium = 0;
    while medium < n && medium < 4 && lens[medium] <= 4 {
        medium += 1;
    }
    let (kind, count, width) = if short > 0 && short >= medium {
        (KIND_U16, short, 2)
    } else if medium > 0 {
        (KIND_U32, medium, 4)
    } else {
        (KIND_SCALAR, 0, 0)
    };
    let mut shuffle = [0x80u8; 16];
    let mut pos = 0;
    let mut j = 0;
    while j < count {
        let mut t = 0;
        while t < lens[j] {
            shuffle[j * width + t] = (pos + t) as u8;
            t += 1;
        }
        pos += lens[j];
        j += 1;
    }
    (shuffle, kind | (count as u32) << 8 | (pos as u32) << 16)
}

#[repr(C, align(16))]
struct Shuffles([[u8; 16]; 4096]);

static SHUFFLES: Shuffles = {
    let mut t = [[0u8; 16]; 4096];
    let mut m = 0;
    while m < 4096 {
        t[m] = plan(m as u32).0;
        m += 1;
    }
    Shuffles(t)
};

static PLANS: [u32; 4096] = {
    let mut t = [0u32; 4096];
    let mut m = 0;
    while m < 4096 {
        t[m] = plan(m as u32).1;
        m += 1;
    }
    t
};

/// The AVX2 plan for one 12-bit continuation mask: up to eight leading varints of at most
/// 4 bytes, each into a 32-bit lane of a 256-bit register (both 128-bit halves shuffle the
/// same 16-byte window): `(shuffle, count | consumed << 8)`. `count == 0` when the first
/// varint is longer than 4 bytes or does not end in the window.
const fn plan8(mask: u32) -> ([u8; 32], u16) {
    let mut shuffle = [0x80u8; 32];
    let mut count = 0;
    let mut start = 0;
    let mut i = 0;
    while i < 12 && count < 8 {
        if (mask >> i) & 1 == 0 {
            let len = i + 1 - start;
            if len > 4 {
                break;
            }
            let mut t = 0;
            while t < len {
                shuffle[4 * count + t] = (start + t) as u8;
                t += 1;
            }
            count += 1;
            start = i + 1;
        }
        i += 1;
    }
    (shuffle, (count | start << 8) as u16)
}

#[repr(C, align(32))]
struct Shuffles8([[u8; 32]; 4096]);

static SHUFFLES8: Shuffles8 = {
    let mut t = [[0u8; 32]; 4096];
    let mut m = 0;
    while m < 4096 {
        t[m] = plan8(m as u32).0;
        m += 1;
    }
    Shuffles8(t)
};

static PLANS8: [u16; 4096] = {
    let mut t = [0u16; 4096];
    let mut m = 0;
    while m < 4096 {
        t[m] = plan8(m as u32).1;
        m += 1;
    }
    t
};

/// Stores eight 32-bit lanes as eight elements (AVX2 and up).
trait Sink8<T>: Sink<T> {
    /// # Safety
    ///
    /// - `dst` is valid for writing 8 elements; the CPU has the implementor's level.
    unsafe fn dwords8(dst: *mut T, v: __m256i);
}

impl Sink8<u64> for Avx2 {
    #[inline(always)]
    unsafe fn dwords8(dst: *mut u64, v: __m256i) {
        // SAFETY: see the note above the `Sink` impls; 2 stores of 4 elements.
        unsafe {
            let d = dst.cast::<__m256i>();
            _mm256_storeu_si256(d, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(v)));
            _mm256_storeu_si256(
                d.add(1),
                _mm256_cvtepu32_epi64(_mm256_extracti128_si256::<1>(v)),
            );
        }
    }
}

impl Sink8<u32> for Avx2 {
    #[inline(always)]
    unsafe fn dwords8(dst: *mut u32, v: __m256i) {
        // SAFETY: see the note above the `Sink` impls; 1 store of 8 elements.
        unsafe { _mm256_storeu_si256(dst.cast::<__m256i>(), v) }
    }
}

impl Sink8<u64> for Avx512 {
    #[inline(always)]
    unsafe fn dwords8(dst: *mut u64, v: __m256i) {
        // SAFETY: see the note above the `Sink` impls; 1 store of 8 elements.
        unsafe { _mm512_storeu_si512(dst.cast::<__m512i>(), _mm512_cvtepu32_epi64(v)) }
    }
}

impl Sink8<u32> for Avx512 {
    #[inline(always)]
    unsafe fn dwords8(dst: *mut u32, v: __m256i) {
        // SAFETY: see the note above the `Sink` impls.
        unsafe { <Avx2 as Sink8<u32>>::dwords8(dst, v) }
    }
}

/// The AVX2 loop: like [`decode_body`] but branch-free between value sizes — every step
/// decodes up to eight varints of at most 4 bytes into 32-bit lanes.
///
/// The input is walked in blocks of 64 bytes whose continuation bits are taken once into a
/// 64-bit mask, so a step's position chain is a shift of that mask and a `PLANS8` lookup
/// rather than a vector load and a `movemask`. A varint longer than 4 bytes at the front of a
/// step is decoded from the same mask (`wide`: its length by one `tzcnt`, its value by the
/// branch-free 7-bit pack), so only invalid input reaches `one`.
///
/// # Safety
///
/// - The CPU supports AVX2, BMI1, BMI2 and the level of `S`.
/// - `out` has spare capacity for at least `min(count, input.len())` elements.
#[inline(always)]
unsafe fn decode_body8<T: Copy, S: Sink8<T>>(
    input: &[u8],
    count: usize,
    out: &mut Vec<T>,
    wide: impl Fn(*const u8, u64) -> Option<(T, usize)>,
    exact: impl Fn(*const u8, usize) -> Option<T>,
    one: impl Fn(&[u8]) -> Result<(T, usize), DecodeError>,
    rest: impl FnOnce(&[u8], usize, usize, &mut Vec<T>) -> Result<usize, DecodeError>,
) -> Result<usize, DecodeError> {
    let room = count.min(input.len());
    debug_assert!(out.capacity() - out.len() >= room);
    let base = out.len();
    let mut produced = 0;
    let mut pos = 0;
    // A block starts only with 64 readable bytes at `pos` and 64 writable slots at
    // `produced`. Inside it a step starts at `off <= 48`, so its 16-byte load, the 10 bytes
    // `wide` may read and the 16 mask bits it looks at all lie within the block. A block never
    // consumes more than 64 bytes, so it produces at most 64 values, and a step's store (at
    // most 16 elements) starts at most `off` values into the block. The value-by-value path
    // runs only with 80 readable bytes at `pos`, so the 10 bytes `exact` reads at any start
    // in the block are readable, and it writes one element per stop bit: at most 64.
    // SAFETY: by the above every load stays within the input and every store within the 64
    // slots; `PLANS8` never consumes more than 12 bytes nor claims more lanes than its
    // shuffle fills.
    unsafe {
        let dst0 = out.as_mut_ptr().add(base);
        while pos + 64 <= input.len() && produced + 64 <= room {
            let block = input.as_ptr().add(pos);
            let lo = _mm256_movemask_epi8(_mm256_loadu_si256(block.cast())) as u32;
            let hi = _mm256_movemask_epi8(_mm256_loadu_si256(block.add(32).cast())) as u32;
            let mask = u64::from(lo) | u64::from(hi) << 32;
            // A block of long varints (few stop bits) is decoded value by value from the
            // mask itself: each value's end is the next set bit of `stops` (`tzcnt`, then
            // `blsr`), so the step-to-step chain is one instruction and the values decode in
            // parallel, with no branch on their sizes. The table steps below would take one
            // branchy step per varint longer than 4 bytes. 16 bytes are readable past every
            // start in the block here, which `exact` needs.
            let stops = !mask;
            let n_stops = stops.count_ones();
            if n_stops != 0 && n_stops <= SPARSE_STOPS && pos + 80 <= input.len() {
                let (start, k, valid) = sparse_block(block, stops, dst0.add(produced), &exact);
                if !valid {
                    // Invalid (too long, or too large): the scalar decoder names the
                    // error, at its offset, from this value on.
                    out.set_len(base + produced + k);
                    return rest(input, pos + start, count - produced - k, out);
                }
                produced += k;
                pos += start;
                continue;
            }
            let mut off = 0;
            while off <= 48 {
                let step = block.add(off);
                let dst = dst0.add(produced);
                let cont = mask >> off;
                if cont & 0xffff == 0 {
                    S::bytes16(dst, _mm_loadu_si128(step.cast()));
                    off += 16;
                    produced += 16;
                    continue;
                }
                // The first varint is longer than 4 bytes (its first stop bit is not among
                // the low 4): exactly the keys whose plan decodes nothing.
                if cont & 0xf == 0xf {
                    let (value, n) = match wide(step, cont) {
                        Some(decoded) => decoded,
                        None => one(&input[pos + off..]).map_err(|e| at(e, pos + off))?,
                    };
                    dst.write(value);
                    produced += 1;
                    off += n;
                    continue;
                }
                let key = (cont & 0xfff) as usize;
                let plan = usize::from(PLANS8[key]);
                debug_assert!(plan & 0xff != 0);
                let lanes = _mm256_shuffle_epi8(
                    _mm256_broadcastsi128_si256(_mm_loadu_si128(step.cast())),
                    _mm256_load_si256(SHUFFLES8.0[key].as_ptr().cast()),
                );
                let b0 = _mm256_and_si256(lanes, _mm256_set1_epi32(0x7f));
                let b1 = _mm256_and_si256(_mm256_srli_epi32::<1>(lanes), _mm256_set1_epi32(0x3f80));
                let b2 =
                    _mm256_and_si256(_mm256_srli_epi32::<2>(lanes), _mm256_set1_epi32(0x1f_c000));
                let b3 =
                    _mm256_and_si256(_mm256_srli_epi32::<3>(lanes), _mm256_set1_epi32(0xfe0_0000));
                S::dwords8(
                    dst,
                    _mm256_or_si256(_mm256_or_si256(b0, b1), _mm256_or_si256(b2, b3)),
                );
                produced += plan & 0xff;
                off += plan >> 8;
            }
            pos += off;
        }
        out.set_len(base + produced);
    }
    rest(input, pos, count - produced, out)
}

/// A block with at most this many varint ends (an average length of 4 bytes or more) takes
/// the value-by-value path ([`sparse_block`]) at every level.
const SPARSE_STOPS: u32 = 16;

/// Decodes, value by value, every varint that ends in the 64-byte `block`, whose set bits in
/// `stops` mark the varints' last bytes (`stops != 0`), into `dst`: returns the bytes
/// consumed, the values written and `true`, or, at the first invalid varint, its offset in
/// the block, the values written before it and `false`.
///
/// # Safety
///
/// - 80 bytes are readable at `block` (10 past any start in it); `dst` is valid for writing
///   64 elements; the CPU supports what `exact` needs.
#[inline(always)]
unsafe fn sparse_block<T>(
    block: *const u8,
    mut stops: u64,
    dst: *mut T,
    exact: &impl Fn(*const u8, usize) -> Option<T>,
) -> (usize, usize, bool) {
    let mut start = 0;
    let mut k = 0;
    while stops != 0 {
        let end = stops.trailing_zeros() as usize;
        let Some(value) = exact(
            // SAFETY: `start <= end < 64`, inside the block.
            unsafe { block.add(start) },
            end + 1 - start,
        ) else {
            return (start, k, false);
        };
        // SAFETY: one element per set bit of a 64-bit mask: `k < 64`.
        unsafe { dst.add(k).write(value) };
        k += 1;
        start = end + 1;
        stops &= stops - 1;
    }
    (start, k, true)
}

/// The `u64` varint of `len` bytes (1 or more) at `at`, without a branch on `len`; `None`
/// when it is invalid (more than 10 bytes, or a 10th byte above 1).
///
/// # Safety
///
/// - 10 bytes are readable at `at`; the CPU supports BMI2 when `PEXT` or `BMI`.
#[inline(always)]
unsafe fn exact_u64<const PEXT: bool, const BMI: bool>(at: *const u8, len: usize) -> Option<u64> {
    let bits = 8 * len as u32;
    // SAFETY: the caller guarantees 10 readable bytes at `at` and the CPU features.
    let (word, tail) = unsafe {
        (
            u64::from_le(at.cast::<u64>().read_unaligned()),
            u64::from(u16::from_le(at.add(8).cast::<u16>().read_unaligned())),
        )
    };
    // SAFETY: as above (`bzhi` keeps all bits for an index of 64 or more). Bytes 9 and 10
    // give the 7 data bits of the 9th and the 1 bit left for the 10th.
    let (low, high) = unsafe {
        (
            pack_low7::<PEXT>(keep_low::<BMI>(LOW7, bits), word),
            if PEXT {
                _pext_u64(tail, keep_low::<BMI>(0x017f, bits.saturating_sub(64)))
            } else {
                let t = keep_low::<BMI>(tail, bits.saturating_sub(64));
                (t & 0x7f) | (t >> 1 & 0x80)
            },
        )
    };
    // Written as `&` and `!` of comparisons on purpose: as `(len < 10) | (...)` the compiler
    // branched on `len == 10`, a mispredict on every mix of 9- and 10-byte values (2.7× the
    // time on full-range `u64`s).
    let valid = (len <= 10) & !((len == 10) & (tail >> 8 > 1));
    valid.then_some(low | high << 56)
}

/// The bits of `word` under `mask` (a prefix of [`LOW7`]) packed to the bottom: one `pext`
/// when `PEXT` (CPUs where it is fast), the portable shifts and masks otherwise.
///
/// # Safety
///
/// - The CPU supports BMI2.
#[inline(always)]
unsafe fn pack_low7<const PEXT: bool>(mask: u64, word: u64) -> u64 {
    if PEXT {
        // SAFETY: the caller guarantees BMI2.
        unsafe { _pext_u64(word, mask) }
    } else {
        pack7(word & mask)
    }
}

/// `x` with its bits `bits` and up cleared (all of `x` for `bits >= 64`): BMI2 `bzhi` when
/// `BMI`, a shift and a select otherwise. The two differ only for `bits >= 256`, which no
/// valid varint reaches.
///
/// # Safety
///
/// - With `BMI`, the CPU supports BMI2.
#[inline(always)]
unsafe fn keep_low<const BMI: bool>(x: u64, bits: u32) -> u64 {
    if BMI {
        // SAFETY: the caller guarantees BMI2.
        unsafe { _bzhi_u64(x, bits) }
    } else if bits >= 64 {
        x
    } else {
        x & ((1u64 << bits) - 1)
    }
}

/// Whether `pext` is fast here (chosen once per process, see `bmi`).
#[inline(always)]
fn fast_pext() -> bool {
    #[cfg(not(miri))]
    return super::bmi::fast_bmi();
    #[cfg(miri)]
    return false;
}

/// [`exact_u64`] for `u32` varints (at most 5 bytes, at most 32 bits).
///
/// # Safety
///
/// - 8 bytes are readable at `at`; the CPU supports BMI2 when `PEXT` or `BMI`.
#[inline(always)]
unsafe fn exact_u32<const PEXT: bool, const BMI: bool>(at: *const u8, len: usize) -> Option<u32> {
    // SAFETY: the caller guarantees 8 readable bytes at `at` and the CPU features.
    let value = unsafe {
        pack_low7::<PEXT>(
            keep_low::<BMI>(LOW7, 8 * len as u32),
            u64::from_le(at.cast::<u64>().read_unaligned()),
        )
    };
    if len > MAX_LEN_U32 {
        return None;
    }
    u32::try_from(value).ok()
}

/// One `u64` varint at `at` whose continuation bits are the low bits of `cont` (at least 16 of
/// them valid, 10 bytes readable at `at`); `None` when it is invalid (the caller's scalar
/// decoder then names the error).
///
/// # Safety
///
/// - 10 bytes are readable at `at`; the CPU supports BMI1 and BMI2 (`bzhi`).
#[inline(always)]
unsafe fn wide_u64(at: *const u8, cont: u64) -> Option<(u64, usize)> {
    let len = (!cont).trailing_zeros() as usize + 1;
    // SAFETY: the caller guarantees 10 readable bytes at `at` and the CPU features.
    unsafe {
        let word = u64::from_le(at.cast::<u64>().read_unaligned());
        if len <= 8 {
            return Some((pack7(word & _bzhi_u64(LOW7, 8 * len as u32)), len));
        }
        let low = pack7(word & LOW7);
        let b8 = u64::from(at.add(8).read());
        let b9 = u64::from(at.add(9).read());
        match len {
            9 => Some((low | b8 << 56, 9)),
            10 if b9 <= 1 => Some((low | (b8 & 0x7f) << 56 | b9 << 63, 10)),
            _ => None,
        }
    }
}

/// [`wide_u64`] for `u32` varints (at most 5 bytes, at most 32 bits).
///
/// # Safety
///
/// - 8 bytes are readable at `at`; the CPU supports BMI1 and BMI2.
#[inline(always)]
unsafe fn wide_u32(at: *const u8, cont: u64) -> Option<(u32, usize)> {
    let len = (!cont).trailing_zeros() as usize + 1;
    // SAFETY: the caller guarantees 8 readable bytes at `at` and the CPU features.
    let word = unsafe { u64::from_le(at.cast::<u64>().read_unaligned()) };
    if len > MAX_LEN_U32 {
        return None;
    }
    // SAFETY: as above.
    let value = pack7(word & unsafe { _bzhi_u64(LOW7, 8 * len as u32) });
    u32::try_from(value).ok().map(|v| (v, len))
}

/// Widening stores of decoded lanes into the output, per level and element type.
///
/// Every method writes a full vector's worth of elements (16, 8 or 4) at `dst`.
trait Sink<T> {
    /// Stores 16 byte lanes as 16 elements.
    ///
    /// # Safety
    ///
    /// - `dst` is valid for writing 16 elements; the CPU has the implementor's level.
    unsafe fn bytes16(dst: *mut T, v: __m128i);
    /// Stores 8 16-bit lanes as 8 elements.
    ///
    /// # Safety
    ///
    /// - `dst` is valid for writing 8 elements; the CPU has the implementor's level.
    unsafe fn words8(dst: *mut T, v: __m128i);
    /// Stores 4 32-bit lanes as 4 elements.
    ///
    /// # Safety
    ///
    /// - `dst` is valid for writing 4 elements; the CPU has the implementor's level.
    unsafe fn dwords4(dst: *mut T, v: __m128i);
}

struct Sse41;
struct Avx2;
struct Avx512;

// SAFETY (for every `Sink` method below): the callers uphold the documented preconditions —
// `dst` is valid for the writes made (unaligned stores), and the target features the
// intrinsics need are enabled in the `#[target_feature]` function they are inlined into.
impl Sink<u64> for Sse41 {
    #[inline(always)]
    unsafe fn bytes16(dst: *mut u64, v: __m128i) {
        // SAFETY: see the note above the impls; 8 stores of 2 elements.
        unsafe {
            let d = dst.cast::<__m128i>();
            _mm_storeu_si128(d, _mm_cvtepu8_epi64(v));
            _mm_storeu_si128(d.add(1), _mm_cvtepu8_epi64(_mm_srli_si128::<2>(v)));
            _mm_storeu_si128(d.add(2), _mm_cvtepu8_epi64(_mm_srli_si128::<4>(v)));
            _mm_storeu_si128(d.add(3), _mm_cvtepu8_epi64(_mm_srli_si128::<6>(v)));
            _mm_storeu_si128(d.add(4), _mm_cvtepu8_epi64(_mm_srli_si128::<8>(v)));
            _mm_storeu_si128(d.add(5), _mm_cvtepu8_epi64(_mm_srli_si128::<10>(v)));
            _mm_storeu_si128(d.add(6), _mm_cvtepu8_epi64(_mm_srli_si128::<12>(v)));
            _mm_storeu_si128(d.add(7), _mm_cvtepu8_epi64(_mm_srli_si128::<14>(v)));
        }
    }
    #[inline(always)]
    unsafe fn words8(dst: *mut u64, v: __m128i) {
        // SAFETY: see the note above the impls; 4 stores of 2 elements.
        unsafe {
            let d = dst.cast::<__m128i>();
            _mm_storeu_si128(d, _mm_cvtepu16_epi64(v));
            _mm_storeu_si128(d.add(1), _mm_cvtepu16_epi64(_mm_srli_si128::<4>(v)));
            _mm_storeu_si128(d.add(2), _mm_cvtepu16_epi64(_mm_srli_si128::<8>(v)));
            _mm_storeu_si128(d.add(3), _mm_cvtepu16_epi64(_mm_srli_si128::<12>(v)));
        }
    }
    #[inline(always)]
    unsafe fn dwords4(dst: *mut u64, v: __m128i) {
        // SAFETY: see the note above the impls; 2 stores of 2 elements.
        unsafe {
            let d = dst.cast::<__m128i>();
            _mm_storeu_si128(d, _mm_cvtepu32_epi64(v));
            _mm_storeu_si128(d.add(1), _mm_cvtepu32_epi64(_mm_srli_si128::<8>(v)));
        }
    }
}

impl Sink<u32> for Sse41 {
    #[inline(always)]
    unsafe fn bytes16(dst: *mut u32, v: __m128i) {
        // SAFETY: see the note above the impls; 4 stores of 4 elements.
        unsafe {
            let d = dst.cast::<__m128i>();
            _mm_storeu_si128(d, _mm_cvtepu8_epi32(v));
            _mm_storeu_si128(d.add(1), _mm_cvtepu8_epi32(_mm_srli_si128::<4>(v)));
            _mm_storeu_si128(d.add(2), _mm_cvtepu8_epi32(_mm_srli_si128::<8>(v)));
            _mm_storeu_si128(d.add(3), _mm_cvtepu8_epi32(_mm_srli_si128::<12>(v)));
        }
    }
    #[inline(always)]
    unsafe fn words8(dst: *mut u32, v: __m128i) {
        // SAFETY: see the note above the impls; 2 stores of 4 elements.
        unsafe {
            let d = dst.cast::<__m128i>();
            _mm_storeu_si128(d, _mm_cvtepu16_epi32(v));
            _mm_storeu_si128(d.add(1), _mm_cvtepu16_epi32(_mm_srli_si128::<8>(v)));
        }
    }
    #[inline(always)]
    unsafe fn dwords4(dst: *mut u32, v: __m128i) {
        // SAFETY: see the note above the impls; 1 store of 4 elements.
        unsafe { _mm_storeu_si128(dst.cast::<__m128i>(), v) }
    }
}

impl Sink<u64> for Avx2 {
    #[inline(always)]
    unsafe fn bytes16(dst: *mut u64, v: __m128i) {
        // SAFETY: see the note above the impls; 4 stores of 4 elements.
        unsafe {
            let d = dst.cast::<__m256i>();
            _mm256_storeu_si256(d, _mm256_cvtepu8_epi64(v));
            _mm256_storeu_si256(d.add(1), _mm256_cvtepu8_epi64(_mm_srli_si128::<4>(v)));
            _mm256_storeu_si256(d.add(2), _mm256_cvtepu8_epi64(_mm_srli_si128::<8>(v)));
            _mm256_storeu_si256(d.add(3), _mm256_cvtepu8_epi64(_mm_srli_si128::<12>(v)));
        }
    }
    #[inline(always)]
    unsafe fn words8(dst: *mut u64, v: __m128i) {
        // SAFETY: see the note above the impls; 2 stores of 4 elements.
        unsafe {
            let d = dst.cast::<__m256i>();
            _mm256_storeu_si256(d, _mm256_cvtepu16_epi64(v));
            _mm256_storeu_si256(d.add(1), _mm256_cvtepu16_epi64(_mm_srli_si128::<8>(v)));
        }
    }
    #[inline(always)]
    unsafe fn dwords4(dst: *mut u64, v: __m128i) {
        // SAFETY: see the note above the impls; 1 store of 4 elements.
        unsafe { _mm256_storeu_si256(dst.cast::<__m256i>(), _mm256_cvtepu32_epi64(v)) }
    }
}

impl Sink<u32> for Avx2 {
    #[inline(always)]
    unsafe fn bytes16(dst: *mut u32, v: __m128i) {
        // SAFETY: see the note above the impls; 2 stores of 8 elements.
        unsafe {
            let d = dst.cast::<__m256i>();
            _mm256_storeu_si256(d, _mm256_cvtepu8_epi32(v));
            _mm256_storeu_si256(d.add(1), _mm256_cvtepu8_epi32(_mm_srli_si128::<8>(v)));
        }
    }
    #[inline(always)]
    unsafe fn words8(dst: *mut u32, v: __m128i) {
        // SAFETY: see the note above the impls; 1 store of 8 elements.
        unsafe { _mm256_storeu_si256(dst.cast::<__m256i>(), _mm256_cvtepu16_epi32(v)) }
    }
    #[inline(always)]
    unsafe fn dwords4(dst: *mut u32, v: __m128i) {
        // SAFETY: see the note above the impls; 1 store of 4 elements.
        unsafe { _mm_storeu_si128(dst.cast::<__m128i>(), v) }
    }
}

impl Sink<u64> for Avx512 {
    #[inline(always)]
    unsafe fn bytes16(dst: *mut u64, v: __m128i) {
        // SAFETY: see the note above the impls; 2 stores of 8 elements.
        unsafe {
            let d = dst.cast::<__m512i>();
            _mm512_storeu_si512(d, _mm512_cvtepu8_epi64(v));
            _mm512_storeu_si512(d.add(1), _mm512_cvtepu8_epi64(_mm_srli_si128::<8>(v)));
        }
    }
    #[inline(always)]
    unsafe fn words8(dst: *mut u64, v: __m128i) {
        // SAFETY: see the note above the impls; 1 store of 8 elements.
        unsafe { _mm512_storeu_si512(dst.cast::<__m512i>(), _mm512_cvtepu16_epi64(v)) }
    }
    #[inline(always)]
    unsafe fn dwords4(dst: *mut u64, v: __m128i) {
        // SAFETY: see the note above the impls (AVX-512 implies AVX2).
        unsafe { <Avx2 as Sink<u64>>::dwords4(dst, v) }
    }
}

impl Sink<u32> for Avx512 {
    #[inline(always)]
    unsafe fn bytes16(dst: *mut u32, v: __m128i) {
        // SAFETY: see the note above the impls; 1 store of 16 elements.
        unsafe { _mm512_storeu_si512(dst.cast::<__m512i>(), _mm512_cvtepu8_epi32(v)) }
    }
    #[inline(always)]
    unsafe fn words8(dst: *mut u32, v: __m128i) {
        // SAFETY: see the note above the impls (AVX-512 implies AVX2).
        unsafe { <Avx2 as Sink<u32>>::words8(dst, v) }
    }
    #[inline(always)]
    unsafe fn dwords4(dst: *mut u32, v: __m128i) {
        // SAFETY: see the note above the impls.
        unsafe { _mm_storeu_si128(dst.cast::<__m128i>(), v) }
    }
}

/// The continuation bits of the 64 bytes at `block`, one per byte (SSE2 `pmovmskb`).
///
/// # Safety
///
/// - 64 bytes are readable at `block`.
#[inline(always)]
unsafe fn movemask64(block: *const u8) -> u64 {
    // SAFETY: the caller guarantees 64 readable bytes; SSE2 is baseline on x86-64.
    unsafe {
        let m = |i: usize| {
            u64::from(_mm_movemask_epi8(_mm_loadu_si128(block.add(16 * i).cast())) as u16)
        };
        m(0) | m(1) << 16 | m(2) << 32 | m(3) << 48
    }
}

/// The shared loop. Decodes `count` varints from `input` into `out`'s spare capacity.
///
/// # Safety
///
/// - The CPU supports SSE4.1 and SSSE3 and the level of `S`.
/// - `out` has spare capacity for at least `min(count, input.len())` elements.
#[inline(always)]
unsafe fn decode_body<T: Copy, S: Sink<T>>(
    input: &[u8],
    count: usize,
    out: &mut Vec<T>,
    exact: impl Fn(*const u8, usize) -> Option<T>,
    one: impl Fn(&[u8]) -> Result<(T, usize), DecodeError>,
    rest: impl FnOnce(&[u8], usize, usize, &mut Vec<T>) -> Result<usize, DecodeError>,
) -> Result<usize, DecodeError> {
    let room = count.min(input.len());
    debug_assert!(out.capacity() - out.len() >= room);
    let base = out.len();
    let mut produced = 0;
    let mut pos = 0;
    // The loop condition keeps 16 readable bytes at `pos` and 16 writable slots at
    // `produced` (within the `room` the caller reserved); every store writes at most 16
    // elements (the value-by-value path checks for its own 80 bytes and 64 slots); `PLANS` entries never consume more than 12 bytes nor claim more lanes than the
    // shuffle fills.
    // SAFETY: every load and store stays in bounds (above); the CPU features are the caller's
    // precondition.
    unsafe {
        let dst0 = out.as_mut_ptr().add(base);
        let low7 = _mm_set1_epi16(0x7f);
        let mid7 = _mm_set1_epi16(0x3f80);
        while pos + 16 <= input.len() && produced + 16 <= room {
            let v = _mm_loadu_si128(input.as_ptr().add(pos).cast());
            let mask = _mm_movemask_epi8(v) as u32;
            let dst = dst0.add(produced);
            if mask == 0 {
                S::bytes16(dst, v);
                pos += 16;
                produced += 16;
                continue;
            }
            let key = (mask & 0xfff) as usize;
            let plan = PLANS[key];
            let shuffle = _mm_load_si128(SHUFFLES.0[key].as_ptr().cast());
            let lanes = _mm_shuffle_epi8(v, shuffle);
            match plan & 0xff {
                KIND_U16 => {
                    let hi = _mm_and_si128(_mm_srli_epi16::<1>(lanes), mid7);
                    S::words8(dst, _mm_or_si128(_mm_and_si128(lanes, low7), hi));
                }
                KIND_U32 => {
                    let b0 = _mm_and_si128(lanes, _mm_set1_epi32(0x7f));
                    let b1 = _mm_and_si128(_mm_srli_epi32::<1>(lanes), _mm_set1_epi32(0x3f80));
                    let b2 = _mm_and_si128(_mm_srli_epi32::<2>(lanes), _mm_set1_epi32(0x1f_c000));
                    let b3 = _mm_and_si128(_mm_srli_epi32::<3>(lanes), _mm_set1_epi32(0xfe0_0000));
                    S::dwords4(
                        dst,
                        _mm_or_si128(_mm_or_si128(b0, b1), _mm_or_si128(b2, b3)),
                    );
                }
                _ => {
                    // The first varint is longer than 4 bytes. When the 64 bytes from here
                    // hold few varint ends (a run of long values), they are decoded value by
                    // value from their stop mask, as the wide levels do, instead of one
                    // branchy step each.
                    if pos + 80 <= input.len() && produced + 64 <= room {
                        let block = input.as_ptr().add(pos);
                        let stops = !movemask64(block);
                        let n_stops = stops.count_ones();
                        if n_stops != 0 && n_stops <= SPARSE_STOPS {
                            let (start, k, valid) = sparse_block(block, stops, dst, &exact);
                            if !valid {
                                out.set_len(base + produced + k);
                                return rest(input, pos + start, count - produced - k, out);
                            }
                            produced += k;
                            pos += start;
                            continue;
                        }
                    }
                    let (value, n) = one(&input[pos..]).map_err(|e| at(e, pos))?;
                    dst.write(value);
                    produced += 1;
                    pos += n;
                    continue;
                }
            }
            produced += ((plan >> 8) & 0xff) as usize;
            pos += (plan >> 16) as usize;
        }
        out.set_len(base + produced);
    }
    rest(input, pos, count - produced, out)
}

macro_rules! kernels {
    ($($name:ident, $body:ident, $t:ty, $sink:ty, $one:path, $rest:path, $features:literal, $exact:ident;)*) => {$(
        /// Batch decode at one level (see the module docs).
        ///
        /// # Safety
        ///
        /// - The CPU supports the enabled target features.
        /// - `out` has spare capacity for at least `min(count, input.len())` elements.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $name(input: &[u8], count: usize, out: &mut Vec<$t>) -> Result<usize, DecodeError> {
            // SAFETY: forwarded preconditions; `$sink` needs no more than `$features`. `$one`
            // is wrapped in a closure so it is inlined (a function item passed as `impl Fn`
            // goes through an out-of-line call shim, with spills around it).
            unsafe { $body::<$t, $sink>(input, count, out, |p, n| $exact::<false, false>(p, n), |b| $one(b), $rest) }
        }
    )*};
}

macro_rules! wide_kernels {
    ($($name:ident, $t:ty, $sink:ty, $one:path, $rest:path, $features:literal, $wide:path, $exact:ident, $pext:expr;)*) => {$(
        /// Batch decode at one level (see the module docs).
        ///
        /// # Safety
        ///
        /// - The CPU supports the enabled target features.
        /// - `out` has spare capacity for at least `min(count, input.len())` elements.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $name(input: &[u8], count: usize, out: &mut Vec<$t>) -> Result<usize, DecodeError> {
            // SAFETY: forwarded preconditions; `$sink` and the closures need no more than
            // `$features` (BMI2 for `pext`). Closures, not function items, so they inline.
            // The `pext` choice is made once per call, not per value.
            unsafe {
                if $pext {
                    decode_body8::<$t, $sink>(input, count, out, |p, c| $wide(p, c),
                        |p, n| $exact::<true, true>(p, n), |b| $one(b), $rest)
                } else {
                    decode_body8::<$t, $sink>(input, count, out, |p, c| $wide(p, c),
                        |p, n| $exact::<false, true>(p, n), |b| $one(b), $rest)
                }
            }
        }
    )*};
}

kernels! {
    decode_u64_sse41, decode_body, u64, Sse41, decode_u64, decode_u64_scalar, "sse4.1,ssse3,popcnt", exact_u64;
    decode_u32_sse41, decode_body, u32, Sse41, decode_u32, decode_u32_scalar, "sse4.1,ssse3,popcnt", exact_u32;
}

// Every CPU with AVX-512 (Intel from Skylake-X, AMD from Zen 4) has a fast `pext`, so the
// AVX-512 kernels carry only the `pext` form; AVX2 kernels check (AMD before Zen 3 runs it
// as slow microcode).
wide_kernels! {
    decode_u64_avx2, u64, Avx2, decode_u64, decode_u64_scalar, "avx2,bmi1,bmi2,popcnt", wide_u64, exact_u64, fast_pext();
    decode_u64_avx512, u64, Avx512, decode_u64, decode_u64_scalar, "avx512f,avx512bw,avx512vl,avx2,bmi1,bmi2,popcnt", wide_u64, exact_u64, true;
    decode_u32_avx2, u32, Avx2, decode_u32, decode_u32_scalar, "avx2,bmi1,bmi2,popcnt", wide_u32, exact_u32, fast_pext();
    decode_u32_avx512, u32, Avx512, decode_u32, decode_u32_scalar, "avx512f,avx512bw,avx512vl,avx2,bmi1,bmi2,popcnt", wide_u32, exact_u32, true;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form of `exact_u64`/`exact_u32` (with `pext`, with `bzhi` only, portable) against the single-value decoders, on every
    /// length (valid, too long and too large) of arbitrary bytes ending in a stop byte.
    #[test]
    fn exact_decodes_like_the_single_decoders_with_and_without_pext() {
        // The portable form runs everywhere; the `pext`/`bzhi` forms need BMI2.
        let bmi2 = std::arch::is_x86_feature_detected!("bmi2");
        let mut rng = perfkit_testkit::Rng::new(5);
        for _ in 0..20_000 {
            let len = rng.range(1, 13) as usize;
            let mut bytes = [0u8; 16];
            for (i, b) in bytes.iter_mut().enumerate() {
                let r = rng.next_u32() as u8;
                *b = if i + 1 < len { r | 0x80 } else { r & 0x7f };
            }
            if rng.below(3) == 0 {
                bytes[len - 1] &= 0x03;
            }
            let want = decode_u64(&bytes).ok().map(|(v, n)| {
                assert_eq!(n, len);
                v
            });
            let want32 = decode_u32(&bytes).ok().map(|(v, _)| v);
            let at = bytes.as_ptr();
            // SAFETY: 16 readable bytes; the portable forms need no CPU feature.
            unsafe {
                assert_eq!(exact_u64::<false, false>(at, len), want, "{bytes:x?}");
                assert_eq!(exact_u32::<false, false>(at, len), want32, "{bytes:x?}");
            }
            if bmi2 {
                // SAFETY: 16 readable bytes; BMI2 checked above.
                unsafe {
                    assert_eq!(exact_u64::<true, true>(at, len), want, "{bytes:x?}");
                    assert_eq!(exact_u64::<false, true>(at, len), want, "{bytes:x?}");
                    assert_eq!(exact_u32::<true, true>(at, len), want32, "{bytes:x?}");
                    assert_eq!(exact_u32::<false, true>(at, len), want32, "{bytes:x?}");
                }
            }
        }
    }

    #[test]
    fn plan8_decodes_nothing_exactly_when_the_first_varint_is_long() {
        for m in 0..4096 {
            let (shuffle, p) = plan8(m);
            assert_eq!(p & 0xff == 0, m & 0xf == 0xf, "{m:#x}");
            assert!((p >> 8) <= 12 && (p & 0xff) <= 8);
            assert!(shuffle.iter().all(|&s| s == 0x80 || s < 12));
        }
    }

    #[test]
    fn plans_consume_what_they_decode() {
        // All one-byte: eight 16-bit lanes, 8 bytes.
        assert_eq!(
            plan(0),
            (
                {
                    let mut s = [0x80; 16];
                    for j in 0..8 {
                        s[2 * j] = j as u8;
                    }
                    s
                },
                KIND_U16 | 8 << 8 | 8 << 16
            )
        );
        // A 3-byte varint first: 32-bit lanes.
        assert_eq!(plan(0b011).1 & 0xff, KIND_U32);
        // Twelve continuation bits: nothing ends in the window.
        assert_eq!(plan(0xfff).1, KIND_SCALAR);
        // A 5-byte varint first.
        assert_eq!(plan(0b1111).1, KIND_SCALAR);
        for m in 0..4096 {
            let (shuffle, p) = plan(m);
            assert!((p >> 16) <= 12 && ((p >> 8) & 0xff) <= 8);
            assert!(shuffle.iter().all(|&s| s == 0x80 || s < 12));
        }
    }
}
