//! Encoding: single values into a fixed buffer or a `Vec`, and whole slices (eight one-byte
//! values packed into one store).

use alloc::vec::Vec;

#[cfg(target_arch = "x86_64")]
use crate::dispatch::Level;
use crate::dispatch::Simd;

use super::*;

/// Spreads the low 56 bits of `value` into eight 7-bit groups, one per byte (a portable `pdep`).
#[inline(always)]
pub(super) const fn spread7(value: u64) -> u64 {
    let x = value & 0x00ff_ffff_ffff_ffff;
    let x = (x & 0x0fff_ffff) | ((x & 0x00ff_ffff_f000_0000) << 4);
    let x = (x & 0x0000_3fff_0000_3fff) | ((x & 0x0fff_c000_0fff_c000) << 2);
    (x & 0x007f_007f_007f_007f) | ((x & 0x3f80_3f80_3f80_3f80) << 1)
}

/// Packs eight 7-bit groups (one per byte, high bits clear) into 56 bits (a portable `pext`).
#[inline(always)]
pub(super) const fn pack7(x: u64) -> u64 {
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
///
/// A value below 128 is one `push`: a predictable branch on streams dominated by one-byte
/// values (tags, enums, flags, small counts) that takes half the instructions of the
/// branch-free step, which every longer value takes. On mixes where one-byte and longer
/// values alternate at random the branch mispredicts; [`encode_u64_slice`] has no such
/// branch and is the faster choice there when the values are at hand as a slice.
#[inline]
pub fn encode_u64_to(value: u64, out: &mut Vec<u8>) -> usize {
    if value < 0x80 {
        out.push(value as u8);
        return 1;
    }
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
pub(super) const fn tail_bytes(value: u64, len: usize) -> u16 {
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
