//! LEB128 varints (the protobuf wire format): single values, zigzag-signed values, and whole
//! slices with a SIMD batch decoder.
//!
//! A varint stores an integer in 7-bit groups, least significant first; every byte but the
//! last has its high (continuation) bit set. Small numbers take one byte, a `u64` at most ten.
//!
//! # Why this module
//!
//! The textbook loop reads a byte, tests it, shifts, and repeats: one unpredictable branch per
//! byte. Here a value is read with one 8-byte load whose length comes from the continuation-bit
//! mask and whose 7-bit groups are packed without branches, so mixed sizes cost no
//! mispredicts; a window of eight one-byte values is a single test, and the last bytes of a
//! buffer take a separate careful path. On x86-64 CPUs with BMI1 and a fast BMI2 `pext`
//! (chosen once, cached) the stop mask takes one `andn` and the pack one `pext`. Slices decode
//! several values per step (Masked-VByte style) on x86-64 SIMD levels.
//!
//! Encoding takes the length from the leading zeros and writes the first eight bytes with one
//! store, built in a register without branches; on the same CPUs one `pdep` spreads the 7-bit
//! groups (in [`encode_u64_to`] and the slice encoders alike). The slice encoders also pack
//! eight consecutive one-byte values into a single store.
//!
//! # Strictness
//!
//! Every decoder rejects, with the byte offset of the offending varint:
//! - input that ends inside a varint ([`DecodeError::Truncated`]),
//! - more than 10 bytes for `u64`, more than 5 for `u32` ([`DecodeError::Overlong`]),
//! - a 10th byte above `0x01` ([`DecodeError::Overflow`]), a `u32` 5th byte above `0x0f`
//!   ([`DecodeError::OverflowU32`]).
//!
//! Like protobuf, the default decoders **accept non-minimal encodings** (`0x80 0x00` decodes
//! as 0 in 2 bytes): encoders may pad varints to a fixed width. The `*_strict` decoders also
//! reject them ([`DecodeError::NonCanonical`]). The encoders always write the minimal form.
//!
//! Protobuf writes a negative `int32` as a 10-byte varint (sign-extended to 64 bits); decode
//! such fields with [`decode_u64`] and cast, since [`decode_u32`] accepts at most 5 bytes.
//!
//! # Example
//!
//! ```
//! use perfkit_encoding::varint;
//!
//! let mut buf = Vec::new();
//! varint::encode_u64_to(150, &mut buf);
//! assert_eq!(buf, [0x96, 0x01]); // protobuf's own example
//! assert_eq!(varint::decode_u64(&buf), Ok((150, 2)));
//!
//! let values: Vec<u64> = (0..1000).map(|i| i * i * 37).collect();
//! let mut bytes = Vec::new();
//! varint::encode_u64_slice(&values, &mut bytes);
//! let mut back = Vec::new();
//! let read = varint::decode_u64_slice(&bytes, values.len(), &mut back)?;
//! assert_eq!((read, back), (bytes.len(), values));
//!
//! // Bad input is a typed error with the offset of the offending varint.
//! let err = varint::decode_u64_slice(&[0x01, 0xff, 0xff], 2, &mut Vec::new()).unwrap_err();
//! assert_eq!(err.to_string(), "input ends inside the value that starts at byte 1");
//! # Ok::<(), perfkit_encoding::DecodeError>(())
//! ```

use alloc::vec::Vec;
use core::num::NonZeroU64;

use crate::DecodeError;
use crate::dispatch::{Level, Simd};

mod batch;
#[cfg(all(target_arch = "x86_64", not(miri)))]
mod bmi;
#[cfg(target_arch = "x86_64")]
mod x86;

/// The most bytes a `u64` varint takes.
pub const MAX_LEN_U64: usize = 10;
/// The most bytes a `u32` varint takes.
pub const MAX_LEN_U32: usize = 5;

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

// ---------------------------------------------------------------------------------------------
// Lengths and zigzag
// ---------------------------------------------------------------------------------------------

/// Bytes the varint encoding of `value` takes (1..=10).
#[must_use]
#[inline(always)]
pub const fn encoded_len_u64(value: u64) -> usize {
    // ceil(bits / 7) for bits in 1..=64 is (bits * 9 + 64) / 64.
    let bits = 64 - (value | 1).leading_zeros() as usize;
    (bits * 9 + 64) / 64
}

/// Bytes the varint encoding of `value` takes (1..=5).
#[must_use]
#[inline(always)]
pub const fn encoded_len_u32(value: u32) -> usize {
    encoded_len_u64(value as u64)
}

/// Bytes the zigzag varint encoding of `value` takes (1..=10).
#[must_use]
#[inline(always)]
pub const fn encoded_len_i64(value: i64) -> usize {
    encoded_len_u64(zigzag_encode_i64(value))
}

/// Bytes the zigzag varint encoding of `value` takes (1..=5).
#[must_use]
#[inline(always)]
pub const fn encoded_len_i32(value: i32) -> usize {
    encoded_len_u32(zigzag_encode_i32(value))
}

/// Maps signed to unsigned so small magnitudes stay small: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
#[must_use]
#[inline(always)]
pub const fn zigzag_encode_i64(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Inverse of [`zigzag_encode_i64`].
#[must_use]
#[inline(always)]
pub const fn zigzag_decode_i64(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Maps signed to unsigned so small magnitudes stay small (see [`zigzag_encode_i64`]).
#[must_use]
#[inline(always)]
pub const fn zigzag_encode_i32(value: i32) -> u32 {
    ((value << 1) ^ (value >> 31)) as u32
}

/// Inverse of [`zigzag_encode_i32`].
#[must_use]
#[inline(always)]
pub const fn zigzag_decode_i32(value: u32) -> i32 {
    ((value >> 1) as i32) ^ -((value & 1) as i32)
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// Spreads the low 56 bits of `value` into eight 7-bit groups, one per byte (a portable `pdep`).
#[inline(always)]
const fn spread7(value: u64) -> u64 {
    let x = value & 0x00ff_ffff_ffff_ffff;
    let x = (x & 0x0fff_ffff) | ((x & 0x00ff_ffff_f000_0000) << 4);
    let x = (x & 0x0000_3fff_0000_3fff) | ((x & 0x0fff_c000_0fff_c000) << 2);
    (x & 0x007f_007f_007f_007f) | ((x & 0x3f80_3f80_3f80_3f80) << 1)
}

/// Packs eight 7-bit groups (one per byte, high bits clear) into 56 bits (a portable `pext`).
#[inline(always)]
const fn pack7(x: u64) -> u64 {
    let x = (x & 0x007f_007f_007f_007f) | ((x & 0x7f00_7f00_7f00_7f00) >> 1);
    let x = (x & 0x0000_3fff_0000_3fff) | ((x & 0x3fff_0000_3fff_0000) >> 2);
    (x & 0x0000_0000_0fff_ffff) | ((x & 0x0fff_ffff_0000_0000) >> 4)
}

/// Encodes `value` into the first `len` bytes of `buf`, where `len` is returned.
///
/// Branch-light: the length comes from the leading zeros, the first eight bytes are built in
/// a register and written with one store.
#[inline(always)]
pub fn encode_u64(value: u64, buf: &mut [u8; MAX_LEN_U64]) -> usize {
    let len = encoded_len_u64(value);
    let (head, tail) = buf.split_at_mut(8);
    let head: &mut [u8; 8] = head.try_into().unwrap_or_else(|_| unreachable!());
    *head = first8(value, len).to_le_bytes();
    if len > 8 {
        tail[0] = ((value >> 56) as u8 & 0x7f) | if len > 9 { 0x80 } else { 0 };
        tail[1] = (value >> 63) as u8;
    }
    len
}

/// The first eight bytes of the encoding of `value` (length `len`) as a little-endian word.
#[inline(always)]
const fn first8(value: u64, len: usize) -> u64 {
    // Continuation bits on every byte below the last one (on all eight when len > 8).
    let cont = if len >= 9 {
        HIGH
    } else {
        HIGH & ((1u64 << (8 * (len - 1))) - 1)
    };
    spread7(value) | cont
}

/// Encodes `value` into the first `len` bytes of `buf`, where `len` is returned (at most 5).
#[inline(always)]
pub fn encode_u32(value: u32, buf: &mut [u8; MAX_LEN_U32]) -> usize {
    let len = encoded_len_u32(value);
    let word = first8(u64::from(value), len).to_le_bytes();
    buf.copy_from_slice(&word[..MAX_LEN_U32]);
    len
}

/// Zigzag-encodes `value` into `buf` and returns the length.
#[inline(always)]
pub fn encode_i64(value: i64, buf: &mut [u8; MAX_LEN_U64]) -> usize {
    encode_u64(zigzag_encode_i64(value), buf)
}

/// Zigzag-encodes `value` into `buf` and returns the length.
#[inline(always)]
pub fn encode_i32(value: i32, buf: &mut [u8; MAX_LEN_U32]) -> usize {
    encode_u32(zigzag_encode_i32(value), buf)
}

/// Appends the varint encoding of `value` to `out` and returns its length.
#[inline]
pub fn encode_u64_to(value: u64, out: &mut Vec<u8>) -> usize {
    out.reserve(MAX_LEN_U64 + 6);
    // SAFETY: `reserve` made room for 16 bytes past `out.len()`.
    unsafe { write_u64_unchecked(value, out) }
}

/// Appends the varint encoding of `value` to `out` and returns its length.
#[inline]
pub fn encode_u32_to(value: u32, out: &mut Vec<u8>) -> usize {
    encode_u64_to(u64::from(value), out)
}

/// Appends the zigzag varint encoding of `value` to `out` and returns its length.
#[inline]
pub fn encode_i64_to(value: i64, out: &mut Vec<u8>) -> usize {
    encode_u64_to(zigzag_encode_i64(value), out)
}

/// Appends the zigzag varint encoding of `value` to `out` and returns its length.
#[inline]
pub fn encode_i32_to(value: i32, out: &mut Vec<u8>) -> usize {
    encode_u64_to(u64::from(zigzag_encode_i32(value)), out)
}

/// Appends one varint to `out` with wide unaligned stores.
///
/// # Safety
///
/// - `out` must have spare capacity for at least 16 bytes (`out.capacity() - out.len() >= 16`).
#[inline(always)]
unsafe fn write_u64_unchecked(value: u64, out: &mut Vec<u8>) -> usize {
    let at = out.len();
    // SAFETY: the caller guarantees 16 spare bytes after `at`; `write_raw` writes 10 of them
    // and we expose only the `len <= 10` bytes that are the varint.
    unsafe {
        let dst = out.as_mut_ptr().add(at);
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        let len = if bmi::fast_bmi() {
            // `fast_bmi` is true only on CPUs with BMI1, BMI2 and LZCNT.
            bmi::write_raw(value, dst)
        } else {
            write_raw(value, dst)
        };
        #[cfg(not(all(target_arch = "x86_64", not(miri))))]
        let len = write_raw(value, dst);
        out.set_len(at + len);
        len
    }
}

/// Bytes 9 and 10 of the encoding of `value` (length `len`) as a little-endian `u16`; only
/// meaningful when `len > 8`.
#[inline(always)]
const fn tail_bytes(value: u64, len: usize) -> u16 {
    (((value >> 56) as u16 & 0x7f) | if len > 9 { 0x80 } else { 0 }) | ((value >> 63) as u16) << 8
}

/// Writes one varint at `dst` with an 8-byte unaligned store (and a 2-byte one for the rare
/// 9- and 10-byte values: a predictable branch costs less than computing their bytes always);
/// returns its length.
///
/// # Safety
///
/// - `dst` must be valid for writing 10 bytes.
#[inline(always)]
unsafe fn write_raw(value: u64, dst: *mut u8) -> usize {
    let len = encoded_len_u64(value);
    let word = first8(value, len);
    // SAFETY: the caller guarantees 10 writable bytes at `dst`; the stores are unaligned.
    unsafe {
        dst.cast::<u64>().write_unaligned(word.to_le());
        if len > 8 {
            let tail = tail_bytes(value, len);
            dst.add(8).cast::<u16>().write_unaligned(tail.to_le());
        }
    }
    len
}

/// Values encoded per reservation in the slice encoders: room is reserved for a block's worst
/// case (10 bytes a value) so the inner loop has no capacity check, and the over-reservation
/// stays bounded (2.5 KiB) whatever the input length.
const ENCODE_BLOCK: usize = 256;

/// Appends the encodings of `values` to `out`, a block at a time: each block's worst case is
/// reserved, then the values are written into the spare capacity with a local cursor (so the
/// stores need not reload `out.len()`) and the length is set once. `write` stores one varint
/// of at most `max_len` bytes at a pointer valid for 10 bytes (writing up to 10) and returns
/// its length.
#[inline(always)]
fn encode_values<T: Copy + Into<u64>>(
    values: &[T],
    max_len: usize,
    out: &mut Vec<u8>,
    mut write: impl FnMut(u64, *mut u8) -> usize,
) {
    for block in values.chunks(ENCODE_BLOCK) {
        out.reserve(block.len() * max_len + 16);
        let start = out.len();
        let mut at = 0;
        // SAFETY: the block's worst case (`max_len` bytes a value) plus 16 bytes were
        // reserved, so the 10 bytes `write` (or 8 packed ones) stores at `start + at` are
        // inside the spare capacity; only the `at` bytes written as varints are exposed.
        unsafe {
            let base = out.as_mut_ptr().add(start);
            // Eight values at a time: when all eight take one byte (one OR and one compare
            // tell), their bytes are packed into one 8-byte store; otherwise each is written
            // on its own. Streams of small values (tags, counts, flags) run several times
            // faster; mixed sizes pay about one OR per value.
            let mut groups = block.chunks_exact(8);
            for group in &mut groups {
                let v: [u64; 8] = core::array::from_fn(|k| group[k].into());
                if v.iter().fold(0, |acc, &x| acc | x) < 0x80 {
                    let packed = v.iter().rev().fold(0u64, |acc, &x| acc << 8 | x);
                    base.add(at).cast::<u64>().write_unaligned(packed.to_le());
                    at += 8;
                } else {
                    for x in v {
                        at += write(x, base.add(at));
                    }
                }
            }
            for &v in groups.remainder() {
                at += write(v.into(), base.add(at));
            }
            out.set_len(start + at);
        }
    }
}

/// The slice encoders at `simd`'s level: the BMI step at the AVX2 and AVX-512 levels where
/// this CPU's `pdep` is fast, the portable step otherwise.
#[inline(always)]
fn encode_slice_with<T: Copy + Into<u64>>(
    simd: Simd,
    values: &[T],
    max_len: usize,
    out: &mut Vec<u8>,
) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if matches!(simd.level(), Level::Avx2 | Level::Avx512) && bmi::fast_bmi() {
        // SAFETY: `fast_bmi` is true only on CPUs with BMI1, BMI2 and LZCNT, and
        // `encode_values` hands `write_raw` 10 writable bytes.
        return encode_values(values, max_len, out, |v, dst| unsafe {
            bmi::write_raw(v, dst)
        });
    }
    let _ = simd;
    // SAFETY: `encode_values` hands `write_raw` 10 writable bytes.
    encode_values(values, max_len, out, |v, dst| unsafe { write_raw(v, dst) });
}

/// Appends the varint encodings of all `values` to `out`.
///
/// On x86-64 CPUs with BMI2 and a fast `pdep` (the same cached choice as the single decode's
/// BMI path) each value is spread into its 7-bit groups by one `pdep`; elsewhere by shifts and
/// masks. Both write the same bytes.
#[inline]
pub fn encode_u64_slice(values: &[u64], out: &mut Vec<u8>) {
    encode_u64_slice_with(Simd::detected(), values, out);
}

/// [`encode_u64_slice`] at the level of `simd`: the BMI step runs at the AVX2 and AVX-512
/// levels (where this CPU's `pdep` is fast), the portable step otherwise. Every level writes
/// the same bytes.
pub fn encode_u64_slice_with(simd: Simd, values: &[u64], out: &mut Vec<u8>) {
    encode_slice_with(simd, values, MAX_LEN_U64, out);
}

/// Appends the varint encodings of all `values` to `out` (see [`encode_u64_slice`]).
#[inline]
pub fn encode_u32_slice(values: &[u32], out: &mut Vec<u8>) {
    encode_u32_slice_with(Simd::detected(), values, out);
}

/// [`encode_u32_slice`] at the level of `simd` (see [`encode_u64_slice_with`]).
pub fn encode_u32_slice_with(simd: Simd, values: &[u32], out: &mut Vec<u8>) {
    encode_slice_with(simd, values, MAX_LEN_U32, out);
}

// ---------------------------------------------------------------------------------------------
// Single-value decoding
// ---------------------------------------------------------------------------------------------

/// Decodes one varint from the start of `input`: the value and the bytes it took.
///
/// Accepts non-minimal encodings (see the [module docs](self)); [`decode_u64_strict`] does
/// not. Error offsets are relative to `input` (always 0 here).
///
/// # Errors
///
/// [`DecodeError::Truncated`], [`DecodeError::Overlong`] (more than 10 bytes),
/// [`DecodeError::Overflow`] (10th byte above 1).
#[inline(always)]
pub fn decode_u64(input: &[u8]) -> Result<(u64, usize), DecodeError> {
    let result = decode_u64_inner(input);
    if let Ok((_, len)) = result {
        // SAFETY: every `Ok` of `decode_u64_inner` counts bytes it read from `input` (the
        // 8-byte window, `get(8)`/`get(9)`, or the tail's byte loop). Telling the compiler
        // after the paths merge lets a caller's `&input[len..]` skip its bounds check.
        unsafe { core::hint::assert_unchecked(len <= input.len()) };
    }
    result
}

#[inline(always)]
fn decode_u64_inner(input: &[u8]) -> Result<(u64, usize), DecodeError> {
    // With eight bytes readable the length comes from the first clear continuation bit of one
    // 8-byte load, without a branch on the value's size: a branch per size mispredicts on
    // mixed data, and a mispredict costs more than the whole decode. The only branches are on
    // what is predictable for a stream: eight one-byte values ahead (all-small streams keep a
    // one-step fast path), more than eight bytes (rare), and the end of the buffer. Each path
    // returns its own `Ok`, so the hot ones carry no error plumbing.
    let Some(head) = input.first_chunk::<8>() else {
        return decode_u64_short(input);
    };
    let word = u64::from_le_bytes(*head);
    // A stop bit (clear continuation bit) in every byte of the window.
    if word & HIGH == 0 {
        return Ok((word & 0x7f, 1));
    }
    // On CPUs with fast BMI the same step takes fewer instructions (see `bmi`); the flag is
    // cached, so this branch always goes the same way.
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if bmi::fast_bmi() {
        // SAFETY: `fast_bmi` is true only on CPUs with BMI1 and BMI2.
        return unsafe { bmi::decode_u64_window(input, word) };
    }
    decode_u64_window(input, word)
}

/// The 8-byte-window step of [`decode_u64`] in portable code: `word` holds the first 8 bytes
/// of `input`.
#[inline(always)]
fn decode_u64_window(input: &[u8], word: u64) -> Result<(u64, usize), DecodeError> {
    let Some(stops) = NonZeroU64::new(!word & HIGH) else {
        return decode_u64_long(input, word);
    };
    // All bits up to and including the first stop bit.
    let keep = stops.get() ^ (stops.get() - 1);
    let len = (stops.trailing_zeros() / 8 + 1) as usize;
    Ok((pack7(word & keep & LOW7), len))
}

/// `input` is shorter than eight bytes.
#[inline(always)]
fn decode_u64_short(input: &[u8]) -> Result<(u64, usize), DecodeError> {
    if let Some(&b) = input.first()
        && b < 0x80
    {
        return Ok((u64::from(b), 1));
    }
    let (value, len) = decode_u64_tail(input);
    if len == 0 {
        return Err(decode_u64_error(input));
    }
    Ok((value, len))
}

/// A varint whose first eight bytes (`word`) all have the continuation bit: 9 or 10 bytes.
#[inline(always)]
fn decode_u64_long(input: &[u8], word: u64) -> Result<(u64, usize), DecodeError> {
    let low = pack7(word & LOW7);
    match (input.get(8), input.get(9)) {
        (Some(&b8), _) if b8 < 0x80 => Ok((low | u64::from(b8) << 56, 9)),
        (Some(&b8), Some(&b9)) if b9 <= 1 => {
            Ok((low | u64::from(b8 & 0x7f) << 56 | u64::from(b9) << 63, 10))
        }
        _ => Err(decode_u64_error(input)),
    }
}

/// Byte-at-a-time decoding for inputs shorter than eight bytes; `len == 0` on error.
#[inline(never)]
fn decode_u64_tail(input: &[u8]) -> (u64, usize) {
    let mut value = 0u64;
    for (i, &b) in input.iter().enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return (value, i + 1);
        }
    }
    (0, 0)
}

/// Why `input` does not start with a valid `u64` varint (called only after a failure).
#[cold]
#[inline(never)]
fn decode_u64_error(input: &[u8]) -> DecodeError {
    first_error(input, MAX_LEN_U64, 1, |last_byte| DecodeError::Overflow {
        offset: 0,
        last_byte,
    })
}

/// Why `input` does not start with a varint of at most `max_len` bytes whose last byte is at
/// most `last_max` (the bits left for it); `overflow` builds the error for a larger last byte.
fn first_error(
    input: &[u8],
    max_len: usize,
    last_max: u8,
    overflow: fn(u8) -> DecodeError,
) -> DecodeError {
    for (i, &b) in input.iter().enumerate().take(max_len) {
        if i == max_len - 1 {
            if b >= 0x80 {
                return DecodeError::Overlong {
                    offset: 0,
                    max_len: max_len as u8,
                };
            }
            if b > last_max {
                return overflow(b);
            }
        }
        if b < 0x80 {
            break;
        }
    }
    DecodeError::Truncated { offset: 0 }
}

/// Decodes one `u32` varint (at most 5 bytes) from the start of `input`.
///
/// # Errors
///
/// [`DecodeError::Truncated`], [`DecodeError::Overlong`] (more than 5 bytes),
/// [`DecodeError::OverflowU32`] (the value needs more than 32 bits).
#[inline(always)]
pub fn decode_u32(input: &[u8]) -> Result<(u32, usize), DecodeError> {
    // Shaped like `decode_u64`: one 8-byte load, no branch on the value's size.
    let Some(head) = input.first_chunk::<8>() else {
        return decode_u32_short(input);
    };
    let word = u64::from_le_bytes(*head);
    if word & HIGH == 0 {
        return Ok(((word & 0x7f) as u32, 1));
    }
    let stops = !word & HIGH & 0xff_ffff_ffff;
    let keep = stops ^ stops.wrapping_sub(1);
    let len = (stops.trailing_zeros() / 8 + 1) as usize;
    // `stops == 0`: no end within five bytes. A 5-byte varint carries 35 bits; the top three
    // must be clear.
    match u32::try_from(pack7(word & keep & LOW7)) {
        Ok(v) if stops != 0 => Ok((v, len)),
        _ => Err(decode_u32_error(input)),
    }
}

/// `input` is shorter than eight bytes.
#[inline(always)]
fn decode_u32_short(input: &[u8]) -> Result<(u32, usize), DecodeError> {
    if let Some(&b) = input.first()
        && b < 0x80
    {
        return Ok((u32::from(b), 1));
    }
    let (value, len) = decode_u32_tail(input);
    if len == 0 {
        return Err(decode_u32_error(input));
    }
    // SAFETY: the tail loop returns the number of bytes of `input` it read.
    unsafe { core::hint::assert_unchecked(len <= input.len()) };
    Ok((value, len))
}

#[inline(never)]
fn decode_u32_tail(input: &[u8]) -> (u32, usize) {
    let mut value = 0u64;
    for (i, &b) in input.iter().enumerate().take(MAX_LEN_U32) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return u32::try_from(value).map_or((0, 0), |v| (v, i + 1));
        }
    }
    (0, 0)
}

/// Why `input` does not start with a valid `u32` varint (called only after a failure).
#[cold]
#[inline(never)]
fn decode_u32_error(input: &[u8]) -> DecodeError {
    first_error(input, MAX_LEN_U32, 0x0f, |last_byte| {
        DecodeError::OverflowU32 {
            offset: 0,
            last_byte,
        }
    })
}

/// Decodes one zigzag-encoded `i64` varint.
///
/// # Errors
///
/// As [`decode_u64`].
#[inline(always)]
pub fn decode_i64(input: &[u8]) -> Result<(i64, usize), DecodeError> {
    decode_u64(input).map(|(v, n)| (zigzag_decode_i64(v), n))
}

/// Decodes one zigzag-encoded `i32` varint.
///
/// # Errors
///
/// As [`decode_u32`].
#[inline(always)]
pub fn decode_i32(input: &[u8]) -> Result<(i32, usize), DecodeError> {
    decode_u32(input).map(|(v, n)| (zigzag_decode_i32(v), n))
}

/// Checks that a varint of `len` bytes ending in `last` has no redundant zero group.
#[inline(always)]
fn check_canonical(len: usize, last: u8, offset: usize) -> Result<(), DecodeError> {
    if len > 1 && last == 0 {
        return Err(DecodeError::NonCanonical {
            offset: offset as u64,
            len: len as u8,
        });
    }
    Ok(())
}

/// [`decode_u64`] that also rejects non-minimal encodings.
///
/// # Errors
///
/// As [`decode_u64`], plus [`DecodeError::NonCanonical`].
#[inline]
pub fn decode_u64_strict(input: &[u8]) -> Result<(u64, usize), DecodeError> {
    let (v, n) = decode_u64(input)?;
    check_canonical(n, input[n - 1], 0)?;
    Ok((v, n))
}

/// [`decode_u32`] that also rejects non-minimal encodings.
///
/// # Errors
///
/// As [`decode_u32`], plus [`DecodeError::NonCanonical`].
#[inline]
pub fn decode_u32_strict(input: &[u8]) -> Result<(u32, usize), DecodeError> {
    let (v, n) = decode_u32(input)?;
    check_canonical(n, input[n - 1], 0)?;
    Ok((v, n))
}

// ---------------------------------------------------------------------------------------------
// Batch decoding
// ---------------------------------------------------------------------------------------------

/// Defines a batch decoder and its per-level twin for one element type.
macro_rules! batch_decoder {
    ($t:ty, $name:ident, $with:ident, $single:ident, $scalar:path, $sse41:ident, $avx2:ident, $avx512:ident) => {
        /// Decodes `count` varints from the start of `input`, appends them to `out`, and
        /// returns the bytes read.
        ///
        #[doc = concat!("Values follow [`", stringify!($single), "`]'s rules (non-minimal encodings are accepted).")]
        /// Uses the best SIMD level of this CPU (chosen once). `out` grows by at most
        /// `min(count, input.len())` before decoding starts: a huge `count` with a short
        /// input allocates nothing more than the input justifies.
        ///
        /// # Errors
        ///
        /// The first bad varint's error, with its offset in `input`. On error `out` is left
        /// as it was.
        #[inline]
        pub fn $name(input: &[u8], count: usize, out: &mut Vec<$t>) -> Result<usize, DecodeError> {
            $with(Simd::detected(), input, count, out)
        }

        #[doc = concat!("[`", stringify!($name), "`] at the level of `simd` (every level gives the same result).")]
        ///
        /// # Errors
        ///
        #[doc = concat!("As [`", stringify!($name), "`].")]
        pub fn $with(simd: Simd, input: &[u8], count: usize, out: &mut Vec<$t>) -> Result<usize, DecodeError> {
            let start = out.len();
            out.reserve(count.min(input.len()));
            let result = match simd.level() {
                #[cfg(target_arch = "x86_64")]
                Level::Sse41 => {
                    // SAFETY: the `Simd` token proves SSE4.1/SSSE3; `out` has the room reserved above.
                    unsafe { x86::$sse41(input, count, out) }
                }
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => {
                    // SAFETY: the `Simd` token proves AVX2; `out` has the room reserved above.
                    unsafe { x86::$avx2(input, count, out) }
                }
                #[cfg(target_arch = "x86_64")]
                Level::Avx512 => {
                    // SAFETY: the `Simd` token proves AVX-512 F/BW/VL (and AVX2); room as above.
                    unsafe { x86::$avx512(input, count, out) }
                }
                _ => $scalar(input, 0, count, out),
            };
            if result.is_err() {
                out.truncate(start);
            }
            result
        }
    };
}

batch_decoder!(
    u64,
    decode_u64_slice,
    decode_u64_slice_with,
    decode_u64,
    batch::decode_u64_scalar,
    decode_u64_sse41,
    decode_u64_avx2,
    decode_u64_avx512
);
batch_decoder!(
    u32,
    decode_u32_slice,
    decode_u32_slice_with,
    decode_u32,
    batch::decode_u32_scalar,
    decode_u32_sse41,
    decode_u32_avx2,
    decode_u32_avx512
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_and_spread_are_inverse() {
        for v in [0u64, 1, 127, 128, 300, 0xdead_beef, (1 << 56) - 1] {
            assert_eq!(pack7(spread7(v)), v);
        }
    }

    /// The textbook decoder, for comparison.
    fn naive(input: &[u8]) -> Option<(u64, usize)> {
        let mut v = 0u64;
        for (i, &b) in input.iter().enumerate().take(MAX_LEN_U64) {
            if i == 9 && b > 1 {
                return None;
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Some((v, i + 1));
            }
        }
        None
    }

    /// Both 8-byte-window paths (portable, and BMI where this CPU has it fast) agree with the
    /// textbook decoder on every length, on non-minimal encodings and on bad input.
    #[test]
    fn window_paths_match_naive() {
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 1..=12 {
            for _ in 0..300 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let mut b: Vec<u8> = x
                    .to_le_bytes()
                    .iter()
                    .chain(&x.rotate_left(23).to_le_bytes())
                    .copied()
                    .collect();
                for (i, byte) in b.iter_mut().enumerate() {
                    if i + 1 < len {
                        *byte |= 0x80;
                    } else if i + 1 == len {
                        *byte &= 0x7f;
                    }
                }
                inputs.push(b);
            }
        }
        inputs.push(alloc::vec![0x80, 0x80, 0x00, 0, 0, 0, 0, 0]);
        inputs.push(alloc::vec![0xff; 16]);
        for input in &inputs {
            let word = u64::from_le_bytes(*input.first_chunk::<8>().unwrap());
            let want = naive(input);
            assert_eq!(decode_u64_window(input, word).ok(), want, "{input:x?}");
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            if bmi::fast_bmi() {
                // SAFETY: `fast_bmi` is true only on CPUs with BMI1 and BMI2.
                let got = unsafe { bmi::decode_u64_window(input, word) };
                assert_eq!(got.ok(), want, "{input:x?}");
            }
            assert_eq!(decode_u64(input).ok(), want, "{input:x?}");
        }
    }

    #[test]
    fn encoded_len_matches_loop() {
        for bits in 0..=64u32 {
            let v = if bits == 0 {
                0
            } else {
                u64::MAX >> (64 - bits)
            };
            let mut n = 1;
            let mut x = v >> 7;
            while x != 0 {
                n += 1;
                x >>= 7;
            }
            assert_eq!(encoded_len_u64(v), n, "bits {bits}");
        }
    }
}
