//! A small, fast, non-cryptographic string hash for the interner's table.
//!
//! Short strings (the common case for identifiers and metric names) are read as at most
//! two overlapping 64-bit words and finished with one folded 128-bit multiply, in the style
//! of wyhash/foldhash. The seed is fixed: the table is not meant to resist inputs chosen to
//! collide (use a keyed hash map for untrusted keys).

const K0: u64 = 0x243F_6A88_85A3_08D3;
const K1: u64 = 0x1319_8A2E_0370_7344;
const K2: u64 = 0xA409_3822_299F_31D0;

#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

#[inline(always)]
fn r64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

#[inline(always)]
fn r32(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u64::from(u32::from_le_bytes(w))
}

/// The 64-bit hash of `bytes`. Every output bit depends on every input bit.
#[inline]
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let (a, b, seed) = if len <= 16 {
        let (a, b) = if len >= 8 {
            (r64(bytes, 0), r64(bytes, len - 8))
        } else if len >= 4 {
            (r32(bytes, 0), r32(bytes, len - 4))
        } else if len > 0 {
            let x = (u64::from(bytes[0]) << 16)
                | (u64::from(bytes[len / 2]) << 8)
                | u64::from(bytes[len - 1]);
            (x, 0)
        } else {
            (0, 0)
        };
        (a, b, K0)
    } else {
        let mut seed = K0;
        let mut at = 0;
        while len - at > 16 {
            seed = fold_mul(r64(bytes, at) ^ K1, r64(bytes, at + 8) ^ seed);
            at += 16;
        }
        (r64(bytes, len - 16), r64(bytes, len - 8), seed)
    };
    fold_mul(a ^ K1 ^ (len as u64), fold_mul(b ^ seed, K2))
}

#[cfg(test)]
mod tests {
    use super::hash;
    use alloc::collections::BTreeSet;
    use alloc::format;

    #[test]
    fn distinct_inputs_rarely_collide_and_bits_are_mixed() {
        let mut seen = BTreeSet::new();
        let mut ones = [0u32; 64];
        let n = 20_000;
        for i in 0..n {
            let s = format!("metric.{i}");
            let h = hash(s.as_bytes());
            assert!(seen.insert(h), "collision at {s}");
            for (bit, count) in ones.iter_mut().enumerate() {
                *count += ((h >> bit) & 1) as u32;
            }
        }
        // Every output bit is set about half the time.
        for (bit, &c) in ones.iter().enumerate() {
            assert!((9_000..11_000).contains(&c), "bit {bit} set {c} times");
        }
        // Lengths 0..=40 with the same prefix all differ (covers every length branch).
        let long = [b'x'; 40];
        let hs: BTreeSet<u64> = (0..=40).map(|l| hash(&long[..l])).collect();
        assert_eq!(hs.len(), 41);
        assert_ne!(hash(b"ab"), hash(b"ba"));
    }
}
