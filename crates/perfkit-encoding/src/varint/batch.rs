//! Scalar batch decoding: the reference every SIMD level must agree with, and the tail loop
//! the SIMD kernels finish with.

use alloc::vec::Vec;

use super::{decode_u32, decode_u64};
use crate::DecodeError;

/// Moves an error found in `input[pos..]` to its offset in `input`.
#[inline]
pub(super) fn at(err: DecodeError, pos: usize) -> DecodeError {
    match err {
        DecodeError::Truncated { offset } => DecodeError::Truncated {
            offset: offset + pos,
        },
        DecodeError::Overlong { offset, max_len } => DecodeError::Overlong {
            offset: offset + pos,
            max_len,
        },
        DecodeError::Overflow { offset, last_byte } => DecodeError::Overflow {
            offset: offset + pos,
            last_byte,
        },
        DecodeError::OverflowU32 { offset, last_byte } => DecodeError::OverflowU32 {
            offset: offset + pos,
            last_byte,
        },
        DecodeError::NonCanonical { offset, len } => DecodeError::NonCanonical {
            offset: offset + pos,
            len,
        },
        other @ DecodeError::InputTooShort { .. } => other,
    }
}

/// Decodes `count` varints from `input[pos..]`, pushing them to `out`; returns the end offset.
#[inline]
pub(super) fn decode_u64_scalar(
    input: &[u8],
    mut pos: usize,
    count: usize,
    out: &mut Vec<u64>,
) -> Result<usize, DecodeError> {
    for _ in 0..count {
        let (v, n) = decode_u64(input.get(pos..).unwrap_or_default()).map_err(|e| at(e, pos))?;
        out.push(v);
        pos += n;
    }
    Ok(pos)
}

/// Decodes `count` `u32` varints from `input[pos..]`, pushing them to `out`; returns the end offset.
#[inline]
pub(super) fn decode_u32_scalar(
    input: &[u8],
    mut pos: usize,
    count: usize,
    out: &mut Vec<u32>,
) -> Result<usize, DecodeError> {
    for _ in 0..count {
        let (v, n) = decode_u32(input.get(pos..).unwrap_or_default()).map_err(|e| at(e, pos))?;
        out.push(v);
        pos += n;
    }
    Ok(pos)
}
