//! Single-value decoding: one 8-byte load per value, a careful path for the buffer's end, the
//! strict (canonical-only) forms, and the errors with their offsets.

use core::num::NonZeroU64;

use crate::DecodeError;

use super::*;

/// Decodes one varint from the start of `input`: the value and the bytes it took.
///
/// Accepts non-minimal encodings (see the [module docs](super)); [`decode_u64_strict`] does
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
pub(super) fn decode_u64_window(input: &[u8], word: u64) -> Result<(u64, usize), DecodeError> {
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
pub(super) fn decode_u64_long(input: &[u8], word: u64) -> Result<(u64, usize), DecodeError> {
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
