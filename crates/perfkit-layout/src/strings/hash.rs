//! A small, fast, keyed, non-cryptographic string hash for the interner's table, and the
//! [`SeededHash`] builder that hands it out as a [`BuildHasher`].
//!
//! Short strings (the common case for identifiers and metric names) are read as at most
//! two overlapping 64-bit words and finished with one folded 128-bit multiply, in the style
//! of wyhash/foldhash. Four 64-bit keys, derived from a seed, enter every multiply: strings
//! crafted to collide under one seed spread out under another, so an interner seeded at
//! random per instance (the default under `std`) cannot be flooded by inputs chosen in
//! advance.

use core::fmt;
use core::hash::{BuildHasher, Hasher};

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

/// The four keys of one seed: every multiply of [`hash`] takes one of them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Keys([u64; 4]);

impl Keys {
    /// The keys of `seed`: each a folded multiply of the seed with two of the constants, so
    /// seeds that differ in one bit give keys that differ in about half of theirs.
    pub(crate) const fn from_seed(seed: u64) -> Self {
        const fn mix(seed: u64, a: u64, b: u64) -> u64 {
            let r = (seed ^ a) as u128 * (b as u128);
            (r as u64) ^ ((r >> 64) as u64)
        }
        Self([
            mix(seed, K0, K1),
            mix(seed, K1, K2),
            mix(seed, K2, K3),
            mix(seed, K3, K0),
        ])
    }
}

/// The 64-bit hash of `bytes` under `keys`. Every output bit depends on every input bit
/// and every key bit.
///
/// Up to 16 bytes (most identifiers and metric names) this is one folded multiply of two
/// overlapping words; up to 32 bytes two independent ones; longer strings fold 32 bytes per
/// round into two lanes.
#[inline]
pub(crate) fn hash(bytes: &[u8], keys: &Keys) -> u64 {
    if let Some(words) = Words::new(bytes) {
        return words.hash(keys);
    }
    let [k0, k1, k2, k3] = keys.0;
    let len = bytes.len();
    let lenk = (len as u64).wrapping_mul(K3) ^ k3;
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
        return fold_mul(a ^ k1, b ^ k2 ^ lenk);
    }
    hash_long(bytes, lenk, k0, k1, k2)
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

    /// [`hash`] of the string under `keys`.
    #[inline(always)]
    pub(crate) fn hash(&self, keys: &Keys) -> u64 {
        let [k0, k1, k2, k3] = keys.0;
        let lenk = (self.len as u64).wrapping_mul(K3) ^ k3;
        let lo = fold_mul(self.w[0] ^ k1, self.w[1] ^ k0);
        let hi = fold_mul(self.w[2] ^ k2, self.w[3] ^ lenk);
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
fn hash_long(bytes: &[u8], lenk: u64, k0: u64, k1: u64, k2: u64) -> u64 {
    let len = bytes.len();
    let (mut s0, mut s1) = (k0, k1 ^ lenk);
    let mut at = 0;
    while len - at > 32 {
        s0 = fold_mul(r64(bytes, at) ^ k1, r64(bytes, at + 8) ^ s0);
        s1 = fold_mul(r64(bytes, at + 16) ^ k2, r64(bytes, at + 24) ^ s1);
        at += 32;
    }
    let lo = fold_mul(r64(bytes, len - 32) ^ s0, r64(bytes, len - 24) ^ k0);
    let hi = fold_mul(r64(bytes, len - 16) ^ k2, r64(bytes, len - 8) ^ s1);
    lo ^ hi.rotate_left(29)
}

/// The [`Interner`](super::Interner)'s default hash: a [`BuildHasher`] of a fast keyed
/// string hash (wyhash-style folded multiplies), seeded per instance.
///
/// * [`SeededHash::new`] (and `Default`, which `Interner::new` uses) draws a fresh random
///   seed for every instance from std's per-process random source (the keys of
///   `std::hash::RandomState`), so strings crafted to collide under one seed do not collide
///   under the next: a table fed with untrusted names (metric names read from input frames,
///   say) keeps short probes. Needs the `std` feature.
/// * [`SeededHash::with_seed`] gives the same hashes on every run, for reproducible tables
///   and benches, and for `no_std` builds (pass a seed from your own random source there
///   when the strings are untrusted).
///
/// The hash is meant for hash tables: it is not a cryptographic hash, and its output must
/// not be shown to whoever supplies the strings (that would help them search for
/// collisions). As a [`Hasher`] it hashes each [`Hasher::write`] into the running state;
/// the interner writes each string's bytes once.
///
/// ```
/// use core::hash::BuildHasher;
/// use perfkit_layout::strings::{Interner, SeededHash};
///
/// // Reproducible: the same seed, the same hashes (and the same table layout).
/// let a = SeededHash::with_seed(7);
/// assert_eq!(a.hash_one("cpu.user"), SeededHash::with_seed(7).hash_one("cpu.user"));
/// let mut names = Interner::with_hasher(a);
/// let sym = names.intern("cpu.user");
/// assert_eq!(names.resolve(sym), "cpu.user");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SeededHash {
    keys: Keys,
}

impl SeededHash {
    /// A builder with a fresh random seed, different for every instance (see the type's
    /// docs).
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    #[must_use]
    pub fn new() -> Self {
        // `RandomState::new` takes per-thread random keys (from the OS, once per thread) and
        // advances them for every instance; hashing nothing with it gives a seed no input
        // can predict.
        let seed = std::hash::RandomState::new().build_hasher().finish();
        Self::with_seed(seed)
    }

    /// A builder whose hashes depend only on `seed`: the same on every run and platform.
    #[must_use]
    pub const fn with_seed(seed: u64) -> Self {
        Self {
            keys: Keys::from_seed(seed),
        }
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl Default for SeededHash {
    /// [`SeededHash::new`]: a fresh random seed.
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SeededHash {
    /// The keys stay private (they are what keeps crafted collisions out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeededHash").finish_non_exhaustive()
    }
}

impl BuildHasher for SeededHash {
    type Hasher = SeededHasher;

    #[inline(always)]
    fn build_hasher(&self) -> SeededHasher {
        SeededHasher {
            keys: self.keys,
            state: 0,
        }
    }
}

/// The [`Hasher`] of a [`SeededHash`]. Each [`Hasher::write`] hashes its bytes with the
/// first key folded with the state so far, so a single write (how the interner hashes a
/// string) costs exactly one string hash.
#[derive(Clone)]
pub struct SeededHasher {
    keys: Keys,
    state: u64,
}

impl fmt::Debug for SeededHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeededHasher").finish_non_exhaustive()
    }
}

impl Hasher for SeededHasher {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) {
        let mut keys = self.keys;
        keys.0[0] ^= self.state;
        self.state = hash(bytes, &keys);
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::{Keys, SeededHash};
    use alloc::collections::BTreeSet;
    use alloc::format;
    use core::hash::BuildHasher;

    fn hash(bytes: &[u8]) -> u64 {
        super::hash(bytes, &Keys::from_seed(0))
    }

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

    #[test]
    fn every_key_bit_changes_every_length_class() {
        let long = [b'q'; 100];
        for len in [0usize, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 64, 65, 99] {
            let s = &long[..len];
            let base = super::hash(s, &Keys::from_seed(0));
            for k in 0..4 {
                for bit in 0..64 {
                    let mut keys = Keys::from_seed(0);
                    keys.0[k] ^= 1 << bit;
                    // Key 0 enters strings of 8 bytes and more only; key 3 through the length
                    // term, which every class reads.
                    if k == 0 && len < 8 {
                        continue;
                    }
                    assert_ne!(super::hash(s, &keys), base, "len {len}, key {k}, bit {bit}");
                }
            }
        }
        // Seeds give different keys; the builder hashes a string as one write.
        assert_ne!(Keys::from_seed(1).0, Keys::from_seed(2).0);
        let b = SeededHash::with_seed(5);
        assert_eq!(b.hash_one(7u8), {
            use core::hash::Hasher;
            let mut h = b.build_hasher();
            h.write_u8(7);
            h.finish()
        });
        let mut h = b.build_hasher();
        core::hash::Hasher::write(&mut h, b"cpu.user");
        assert_eq!(
            core::hash::Hasher::finish(&h),
            super::hash(b"cpu.user", &Keys::from_seed(5))
        );
    }
}
