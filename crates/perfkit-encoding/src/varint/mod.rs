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

// The module docs name the error's variants.
#[cfg(doc)]
use crate::DecodeError;

mod batch;
#[cfg(all(target_arch = "x86_64", not(miri)))]
mod bmi;
mod decode;
mod decode_slice;
mod encode;
#[cfg(target_arch = "x86_64")]
mod x86;

/// The most bytes a `u64` varint takes.
pub const MAX_LEN_U64: usize = 10;
/// The most bytes a `u32` varint takes.
pub const MAX_LEN_U32: usize = 5;

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

pub use decode::*;
pub use decode_slice::*;
pub use encode::*;
// Shared with the sibling modules (the SIMD and BMI paths, x86-64 only).
#[cfg(target_arch = "x86_64")]
use decode::decode_u64_long;
#[cfg(test)]
use decode::decode_u64_window;
use encode::pack7;
#[cfg(test)]
use encode::spread7;
#[cfg(target_arch = "x86_64")]
use encode::tail_bytes;

// Lengths and zigzag

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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

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
