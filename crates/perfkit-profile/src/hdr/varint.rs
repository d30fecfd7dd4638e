//! HdrHistogram's count encoding: ZigZag, then "LEB128-64b9B" — little-endian base-128 with
//! a continuation bit, except that a ninth byte, when reached, carries its 8 bits whole, so
//! a `u64` never takes more than 9 bytes (protobuf's LEB128 takes up to 10).

/// The most bytes a value takes.
pub(crate) const MAX_LEN: usize = 9;

/// Maps signed to unsigned so small magnitudes stay small: 0, -1, 1, -2, … → 0, 1, 2, 3, …
#[must_use]
pub(crate) const fn zigzag_encode(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// The inverse of [`zigzag_encode`].
#[must_use]
pub(crate) const fn zigzag_decode(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Appends `value` in 1..=9 bytes.
pub(crate) fn write(out: &mut Vec<u8>, mut value: u64) {
    for _ in 0..MAX_LEN - 1 {
        if value < 0x80 {
            out.push(value as u8);
            return;
        }
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    // Eight groups of 7 bits written: the ninth byte holds the top 8 bits as they are.
    out.push(value as u8);
}

/// Reads one value from the start of `bytes`: the value and its length, or `None` when
/// `bytes` ends inside it.
#[inline]
#[must_use]
pub(crate) fn read(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..MAX_LEN - 1 {
        let b = *bytes.get(i)?;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((value, i + 1));
        }
    }
    let b = *bytes.get(MAX_LEN - 1)?;
    Some((value | u64::from(b) << 56, MAX_LEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, v);
        out
    }

    #[test]
    fn zigzag_matches_the_reference_table() {
        // The mapping HdrHistogram's ZigZagEncoding documents.
        let table = [
            (0, 0),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (2, 4),
            (i64::MAX, u64::MAX - 1),
        ];
        for (n, z) in table {
            assert_eq!(zigzag_encode(n), z, "{n}");
            assert_eq!(zigzag_decode(z), n, "{z}");
        }
        assert_eq!(zigzag_encode(i64::MIN), u64::MAX);
        assert_eq!(zigzag_decode(u64::MAX), i64::MIN);
    }

    #[test]
    fn lengths_and_bytes_are_leb128_64b9b() {
        assert_eq!(encoded(0), [0x00]);
        assert_eq!(encoded(0x7f), [0x7f]);
        assert_eq!(encoded(0x80), [0x80, 0x01]);
        assert_eq!(encoded(300), [0xac, 0x02]);
        assert_eq!(encoded((1 << 56) - 1).len(), 8);
        // Nine bytes, the last one whole: 8 × 0xff then the top byte.
        assert_eq!(encoded(u64::MAX), [0xff; 9]);
        assert_eq!(
            encoded(1 << 63),
            [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]
        );
    }

    #[test]
    fn read_inverts_write_and_reports_truncation() {
        let mut values = vec![0, 1, 127, 128, 16_383, 16_384, u64::MAX, 1 << 63];
        values.extend((0..64).map(|b| 1u64 << b));
        values.extend((1..64).map(|b| (1u64 << b) - 1));
        for v in values {
            let bytes = encoded(v);
            assert_eq!(read(&bytes), Some((v, bytes.len())), "{v}");
            assert_eq!(read(&bytes[..bytes.len() - 1]), None, "{v} cut short");
        }
        assert_eq!(read(&[]), None);
    }
}
