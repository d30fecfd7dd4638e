//! A small, fast, non-cryptographic string hash for the interner's table.
//!
//! Short strings (the common case for identifiers and metric names) are read as at most
//! two overlapping 64-bit words and finished with one folded 128-bit multiply, in the style
//! of wyhash/foldhash. The seed is fixed: the table is not meant to resist inputs chosen to
//! collide (use a keyed hash map for untrusted keys).

const K0: u64 = 0x243F_6A88_85A3_08D3;
const K1: u64 = 0x1319_8A2E_0370_7344;
const K2: u64 = 0xA409_3822_299F_31D0;
const K3: u64 = 0x082E_FA98_EC4E_6C89;

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
///
/// Up to 16 bytes (most identifiers and metric names) this is one folded multiply of two
/// overlapping words; up to 32 bytes two independent ones; longer strings fold 32 bytes per
/// round into two lanes.
#[inline]
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    if let Some(words) = Words::new(bytes) {
        return words.hash();
    }
    let len = bytes.len();
    let lenk = (len as u64).wrapping_mul(K3);
    if len < 8 {
        let (a, b) = if len >= 4 {
            (r32(bytes, 0), r32(bytes, len - 4))
        } else if len > 0 {
            let x = (u64::from(bytes[0]) << 16)
                | (u64::from(bytes[len / 2]) << 8)
                | u64::from(bytes[len - 1]);
            (x, 0)
        } else {
            (0, 0)
        };
        return fold_mul(a ^ K1, b ^ K2 ^ lenk);
    }
    hash_long(bytes, lenk)
}

/// A string of `8..=32` bytes as four overlapping little-endian words that cover every
/// byte: at 0, at the two [`middle_words`], and at `len - 8` (for 8..=16 bytes the middle
/// two repeat the outer two). They serve both the hash and the comparison with a stored
/// string, with no branch on the length inside the range (lengths vary at random in real
/// inputs, and a mispredicted branch costs more than the second multiply).
#[derive(Clone, Copy)]
pub(crate) struct Words {
    w: [u64; 4],
    len: usize,
}

impl Words {
    /// The words of `bytes`, or `None` unless it is 8..=32 bytes long.
    #[inline(always)]
    pub(crate) fn new(bytes: &[u8]) -> Option<Self> {
        let len = bytes.len();
        if !(8..=32).contains(&len) {
            return None;
        }
        let (m1, m2) = middle_words(len);
        Some(Self {
            w: [
                r64(bytes, 0),
                r64(bytes, m1),
                r64(bytes, m2),
                r64(bytes, len - 8),
            ],
            len,
        })
    }

    /// [`hash`] of the string.
    #[inline(always)]
    pub(crate) fn hash(&self) -> u64 {
        let lenk = (self.len as u64).wrapping_mul(K3);
        let lo = fold_mul(self.w[0] ^ K1, self.w[1] ^ K0);
        let hi = fold_mul(self.w[2] ^ K2, self.w[3] ^ lenk);
        lo ^ hi.rotate_left(29)
    }

    /// Whether `other` holds the same bytes: four word compares folded into one test.
    #[inline(always)]
    pub(crate) fn same_as(&self, other: &[u8]) -> bool {
        let len = self.len;
        if other.len() != len {
            return false;
        }
        let (m1, m2) = middle_words(len);
        let diff = (r64(other, 0) ^ self.w[0])
            | (r64(other, m1) ^ self.w[1])
            | (r64(other, m2) ^ self.w[2])
            | (r64(other, len - 8) ^ self.w[3]);
        diff == 0
    }
}

/// For a string of `8..=32` bytes, the starts of the two middle words that, with the words
/// at 0 and `len - 8`, cover every byte: `8` and `len - 16` from 16 bytes up, else the
/// outer words again. Branch-free (`min`/`saturating_sub` become conditional moves), and
/// written so that both are visibly at most `len - 8` (no bounds check on the reads).
#[inline(always)]
pub(crate) fn middle_words(len: usize) -> (usize, usize) {
    debug_assert!((8..=32).contains(&len));
    let last = len - 8;
    (last.min(8), last.saturating_sub(8))
}

#[cold]
fn hash_long(bytes: &[u8], lenk: u64) -> u64 {
    let len = bytes.len();
    let (mut s0, mut s1) = (K0, K1 ^ lenk);
    let mut at = 0;
    while len - at > 32 {
        s0 = fold_mul(r64(bytes, at) ^ K1, r64(bytes, at + 8) ^ s0);
        s1 = fold_mul(r64(bytes, at + 16) ^ K2, r64(bytes, at + 24) ^ s1);
        at += 32;
    }
    let lo = fold_mul(r64(bytes, len - 32) ^ s0, r64(bytes, len - 24) ^ K0);
    let hi = fold_mul(r64(bytes, len - 16) ^ K2, r64(bytes, len - 8) ^ s1);
    lo ^ hi.rotate_left(29)
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
        // Fewer under Miri, which runs this about a thousand times slower.
        let n: u32 = if cfg!(miri) { 2_000 } else { 20_000 };
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
            assert!(
                (n * 9 / 20..n * 11 / 20).contains(&c),
                "bit {bit} set {c} times"
            );
        }
        // Lengths 0..=40 with the same prefix all differ (covers every length branch).
        let long = [b'x'; 100];
        let hs: BTreeSet<u64> = (0..=100).map(|l| hash(&long[..l])).collect();
        assert_eq!(hs.len(), 101);
        // Each length class, one byte flipped anywhere, changes the hash.
        for len in [1usize, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 64, 65, 99] {
            let base = hash(&long[..len]);
            for at in 0..len {
                let mut flipped = long;
                flipped[at] ^= 1;
                assert_ne!(hash(&flipped[..len]), base, "len {len}, byte {at}");
            }
        }
        assert_ne!(hash(b"ab"), hash(b"ba"));
    }
}
