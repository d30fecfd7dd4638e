//! Stream VByte: `u32` columns at one to four bytes per value, decoded with one shuffle per
//! four values.
//!
//! The byte layout is the reference format of Lemire, Kurz and Rupp ("Stream VByte: Faster
//! Byte-Oriented Integer Compression", 2018) as written by the C library `streamvbyte`: for
//! `count` values, first `ceil(count / 4)` **control bytes**, each holding four 2-bit codes
//! (value `i` uses bits `2 * (i % 4)` of control byte `i / 4`; code = bytes − 1), then the
//! **data**: each value's low bytes, little-endian, with no padding. Unused codes in the last
//! control byte are zero. The stream does not store `count`: keep it alongside.
//!
//! # Why this module
//!
//! Separating lengths from data lets a decoder look up a whole group's layout from one
//! control byte and move four values into place with one `pshufb` (SSSE3) or eight with two
//! (AVX2) — on stable Rust, with runtime dispatch. The encoder computes four codes at once
//! with SSE4.1 and packs them with the inverse shuffle. [`encode_delta`]/[`decode_delta`] code
//! the differences of (typically sorted) values, with the prefix sum fused into the decoder.
//!
//! # Hardening
//!
//! Before anything is read past the control bytes or anything is allocated, the decoder
//! checks that the control bytes are present and sums their codes to the exact data length,
//! which must fit the input ([`DecodeError::InputTooShort`]). The SIMD loops read 16 bytes at
//! a time only while 16 bytes remain in the input; the rest is decoded byte-exact. Like the
//! reference decoder, a value stored in more bytes than it needs is accepted.
//!
//! ```
//! use perfkit_encoding::stream_vbyte;
//!
//! let values = [0u32, 1, 300, 70_000, 1 << 30];
//! let mut bytes = Vec::new();
//! stream_vbyte::encode(&values, &mut bytes);
//! // One control byte for four values, one for the fifth; then 1+1+2+3+4 data bytes.
//! assert_eq!(bytes, [0b10_01_00_00, 0b11, 0, 1, 0x2c, 0x01, 0x70, 0x11, 0x01, 0, 0, 0, 0x40]);
//! let mut back = Vec::new();
//! assert_eq!(stream_vbyte::decode(&bytes, values.len(), &mut back)?, bytes.len());
//! assert_eq!(back, values);
//! # Ok::<(), perfkit_encoding::DecodeError>(())
//! ```

use alloc::vec::Vec;

use crate::DecodeError;
#[cfg(target_arch = "x86_64")]
use crate::dispatch::Level;
use crate::dispatch::Simd;

mod scalar;
mod tables;
#[cfg(target_arch = "x86_64")]
mod x86;

/// The largest encoding of `count` values: control bytes plus four data bytes per value.
#[must_use]
pub const fn max_encoded_len(count: usize) -> usize {
    count.div_ceil(4) + 4 * count
}

/// Bytes `values` take when encoded (control bytes plus data).
#[must_use]
pub fn encoded_len(values: &[u32]) -> usize {
    values.len().div_ceil(4) + values.iter().map(|&v| scalar::byte_len(v)).sum::<usize>()
}

/// Appends the Stream VByte encoding of `values` to `out`.
#[inline]
pub fn encode(values: &[u32], out: &mut Vec<u8>) {
    encode_with(Simd::detected(), values, out);
}

/// Appends the Stream VByte encoding of the differences of `values` (each minus the one
/// before, the first minus 0, wrapping) to `out`. Sorted input gives small differences.
#[inline]
pub fn encode_delta(values: &[u32], out: &mut Vec<u8>) {
    encode_delta_with(Simd::detected(), values, out);
}

/// [`encode`] at the level of `simd` (every level writes the same bytes).
pub fn encode_with(simd: Simd, values: &[u32], out: &mut Vec<u8>) {
    encode_impl::<false>(simd, values, out);
}

/// [`encode_delta`] at the level of `simd` (every level writes the same bytes).
pub fn encode_delta_with(simd: Simd, values: &[u32], out: &mut Vec<u8>) {
    encode_impl::<true>(simd, values, out);
}

fn encode_impl<const DELTA: bool>(simd: Simd, values: &[u32], out: &mut Vec<u8>) {
    // 16 bytes of slack for the wide stores of the last group.
    out.reserve(max_encoded_len(values.len()) + 16);
    let written = match simd.level() {
        #[cfg(target_arch = "x86_64")]
        Level::Sse41 | Level::Avx2 | Level::Avx512 => {
            // SAFETY: every x86-64 SIMD level guarantees SSE4.1 (proven by the token), and the
            // reserve above leaves `max_encoded_len + 16` spare bytes.
            unsafe { x86::encode_sse41::<DELTA>(values, out) }
        }
        _ => scalar::encode::<DELTA>(values, out),
    };
    debug_assert!(written <= max_encoded_len(values.len()));
}

/// Checks the control bytes against the input; returns (control length, total length).
fn check(input: &[u8], count: usize) -> Result<(usize, usize), DecodeError> {
    let ctrl_len = count.div_ceil(4);
    let Some(ctrl) = input.get(..ctrl_len) else {
        return Err(DecodeError::InputTooShort {
            needed: ctrl_len,
            available: input.len(),
        });
    };
    let total = ctrl_len + scalar::data_len(ctrl, count);
    if total > input.len() {
        return Err(DecodeError::InputTooShort {
            needed: total,
            available: input.len(),
        });
    }
    Ok((ctrl_len, total))
}

/// Decodes `count` values from the start of `input`, appends them to `out`, and returns the
/// bytes read (control bytes plus data).
///
/// # Errors
///
/// [`DecodeError::InputTooShort`] when the control bytes, or the data they describe, do not
/// fit in `input`; nothing is appended or allocated then.
#[inline]
pub fn decode(input: &[u8], count: usize, out: &mut Vec<u32>) -> Result<usize, DecodeError> {
    decode_with(Simd::detected(), input, count, out)
}

/// Decodes a stream written by [`encode_delta`]: the prefix sums of the stored differences.
///
/// # Errors
///
/// As [`decode`].
#[inline]
pub fn decode_delta(input: &[u8], count: usize, out: &mut Vec<u32>) -> Result<usize, DecodeError> {
    decode_delta_with(Simd::detected(), input, count, out)
}

/// [`decode`] at the level of `simd` (every level gives the same result).
///
/// # Errors
///
/// As [`decode`].
pub fn decode_with(
    simd: Simd,
    input: &[u8],
    count: usize,
    out: &mut Vec<u32>,
) -> Result<usize, DecodeError> {
    decode_impl::<false>(simd, input, count, out)
}

/// [`decode_delta`] at the level of `simd` (every level gives the same result).
///
/// # Errors
///
/// As [`decode`].
pub fn decode_delta_with(
    simd: Simd,
    input: &[u8],
    count: usize,
    out: &mut Vec<u32>,
) -> Result<usize, DecodeError> {
    decode_impl::<true>(simd, input, count, out)
}

fn decode_impl<const DELTA: bool>(
    simd: Simd,
    input: &[u8],
    count: usize,
    out: &mut Vec<u32>,
) -> Result<usize, DecodeError> {
    let (ctrl_len, total) = check(input, count)?;
    out.reserve(count);
    let start = out.len();
    match simd.level() {
        #[cfg(target_arch = "x86_64")]
        Level::Sse41 => {
            // SAFETY: the token proves SSSE3/SSE4.1; `check` validated the stream against
            // `input` and `out` has room for `count` more values.
            unsafe { x86::decode_ssse3::<DELTA>(input, ctrl_len, count, out) }
        }
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 | Level::Avx512 => {
            // SAFETY: the token proves AVX2; as above for the stream and `out`.
            unsafe { x86::decode_avx2::<DELTA>(input, ctrl_len, count, out) }
        }
        _ => scalar::decode_from::<DELTA>(input, ctrl_len, 0, ctrl_len, 0, count, out),
    }
    debug_assert_eq!(out.len(), start + count);
    Ok(total)
}
