//! Entries: a length header, then the bytes.
//!
//! The header stores the length 6 bits per byte, least significant first, with 0x40 set on
//! every byte but the last. Header bytes are below 0x80, so they are ASCII and the whole
//! buffer stays valid UTF-8: resolving needs no UTF-8 validation, only the check that the
//! slice ends on a character boundary (see `try_resolve_in` in `interner.rs`). Strings
//! shorter than 64 bytes take a one-byte header.

use super::hash::Words;

pub(super) const MORE: u8 = 0x40;
pub(super) const MAX_HEADER: usize = 6;

/// Writes the header for a string of `len` bytes; returns its length.
#[inline]
pub(super) fn encode_header(mut len: usize, out: &mut [u8; MAX_HEADER]) -> usize {
    let mut n = 0;
    loop {
        let low = (len & 0x3F) as u8;
        len >>= 6;
        if len == 0 {
            out[n] = low;
            return n + 1;
        }
        out[n] = low | MORE;
        n += 1;
    }
}

/// The string whose entry starts at `off`, if `off` starts a well-formed entry.
#[inline]
pub(super) fn entry_at(buf: &str, off: usize) -> Option<(&str, usize)> {
    let bytes = buf.as_bytes();
    let b0 = *bytes.get(off)?;
    if b0 < MORE {
        let start = off + 1;
        let end = start + b0 as usize;
        return Some((buf.get(start..end)?, end));
    }
    entry_at_long(buf, off)
}

#[cold]
pub(super) fn entry_at_long(buf: &str, off: usize) -> Option<(&str, usize)> {
    let bytes = buf.as_bytes();
    let mut len = 0usize;
    for i in 0..MAX_HEADER {
        let b = *bytes.get(off + i)?;
        if b >= 0x80 {
            return None;
        }
        len |= usize::from(b & 0x3F) << (6 * i);
        if b & MORE == 0 {
            let start = off + i + 1;
            let end = start.checked_add(len)?;
            return Some((buf.get(start..end)?, end));
        }
    }
    None
}

/// The bytes of the entry at `off` of `buf` and the offset after it: [`entry_at`] without
/// the character-boundary checks a hash does not need.
#[inline(always)]
pub(super) fn entry_bytes_at(buf: &str, off: usize) -> Option<(&[u8], usize)> {
    let bytes = buf.as_bytes();
    let b0 = *bytes.get(off)?;
    if b0 < MORE {
        let end = off + 1 + usize::from(b0);
        return Some((bytes.get(off + 1..end)?, end));
    }
    entry_at_long(buf, off).map(|(s, end)| (s.as_bytes(), end))
}

/// `a == b`, comparing up to 32 bytes with a few overlapping word loads and one branch (the
/// strings worth interning are short, where a `memcmp` call costs more than the compare).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    match Words::new(b) {
        Some(words) => words.same_as(a),
        None => a == b,
    }
}

/// Whether the entry at `off` of `bytes` holds `s`, a string under 64 bytes (a one-byte
/// header equal to its length). One slice (one bounds check) covers header and bytes.
#[inline(always)]
pub(super) fn is_short_entry(bytes: &[u8], off: usize, s: &[u8]) -> bool {
    debug_assert!(s.len() < usize::from(MORE));
    bytes
        .get(off..off + 1 + s.len())
        .is_some_and(|e| usize::from(e[0]) == s.len() && same_bytes(&e[1..], s))
}

#[cfg(test)]
mod tests {
    use alloc::string::String;

    use super::*;

    #[test]
    // Builds strings of up to a megabyte, far too slow under Miri; no unsafe code involved.
    #[cfg_attr(miri, ignore)]
    fn headers_round_trip_at_every_length_class() {
        for len in [
            0usize,
            1,
            63,
            64,
            4095,
            4096,
            262_143,
            262_144,
            (1 << 30) - 1,
            1 << 30,
        ] {
            let mut h = [0u8; MAX_HEADER];
            let n = encode_header(len, &mut h);
            assert!(h[..n].iter().all(|&b| b < 0x80), "header of {len} is ASCII");
            // 6 bits per header byte.
            let bits = (usize::BITS - len.leading_zeros()).max(1) as usize;
            let expected = bits.div_ceil(6);
            assert_eq!(n, expected, "header length for {len}");
            if len < 1 << 20 {
                let mut buf = String::new();
                buf.extend(h[..n].iter().map(|&b| char::from(b)));
                buf.extend(core::iter::repeat_n('z', len));
                let (s, end) = entry_at(&buf, 0).unwrap();
                assert_eq!((s.len(), end), (len, n + len));
            }
        }
    }
}
