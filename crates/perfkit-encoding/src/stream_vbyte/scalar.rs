//! Portable Stream VByte: the reference the SIMD levels must match, and their tail loops.

use alloc::vec::Vec;

/// Bytes value `v` takes in the data section (1..=4).
#[inline(always)]
pub(super) const fn byte_len(v: u32) -> usize {
    4 - (v | 1).leading_zeros() as usize / 8
}

/// Data bytes described by the first `count` codes of `ctrl` (which holds `ceil(count / 4)` bytes).
pub(super) fn data_len(ctrl: &[u8], count: usize) -> usize {
    const ONES: u64 = 0x5555_5555_5555_5555;
    let full = count / 4;
    let (whole, last) = ctrl.split_at(full);
    let mut codes = 0usize;
    let mut words = whole.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        // Each 2-bit code is (high bit) * 2 + (low bit).
        codes += (w & ONES).count_ones() as usize + 2 * ((w >> 1) & ONES).count_ones() as usize;
    }
    for &b in words.remainder() {
        codes += code_sum(b, 4);
    }
    if let Some(&b) = last.first() {
        codes += code_sum(b, count % 4);
    }
    count + codes
}

/// Sum of the first `n` codes of a control byte.
#[inline(always)]
fn code_sum(byte: u8, n: usize) -> usize {
    (0..n).map(|j| usize::from((byte >> (2 * j)) & 3)).sum()
}

/// Appends control bytes then data for `values` to `out`; returns the bytes written.
pub(super) fn encode<const DELTA: bool>(values: &[u32], out: &mut Vec<u8>) -> usize {
    let base = out.len();
    let ctrl_len = values.len().div_ceil(4);
    out.resize(base + ctrl_len, 0);
    let mut prev = 0u32;
    for (i, &v) in values.iter().enumerate() {
        let v = if DELTA {
            v.wrapping_sub(core::mem::replace(&mut prev, v))
        } else {
            v
        };
        let len = byte_len(v);
        out[base + i / 4] |= ((len - 1) as u8) << (2 * (i % 4));
        out.extend_from_slice(&v.to_le_bytes()[..len]);
    }
    out.len() - base
}

/// Decodes values `index..count` whose data starts at `data`, appending them to `out`.
///
/// `prev` is the running sum for delta streams (the last value decoded so far).
/// The caller has checked the stream against `input`, so no index here is out of bounds.
pub(super) fn decode_from<const DELTA: bool>(
    input: &[u8],
    ctrl_len: usize,
    mut index: usize,
    mut data: usize,
    mut prev: u32,
    count: usize,
    out: &mut Vec<u32>,
) {
    let (ctrl, _) = input.split_at(ctrl_len);
    while index < count {
        let len = usize::from((ctrl[index / 4] >> (2 * (index % 4))) & 3) + 1;
        let mut word = [0u8; 4];
        word[..len].copy_from_slice(&input[data..data + len]);
        let mut v = u32::from_le_bytes(word);
        if DELTA {
            v = v.wrapping_add(prev);
            prev = v;
        }
        out.push(v);
        data += len;
        index += 1;
    }
}
