//! The word-level kernels under [`BitSet`](super::BitSet)'s bulk operations.
//!
//! Every bulk operation of the bit set goes through this module. The in-place operations
//! and the population count are perfkit-simd's kernels (runtime-dispatched up to AVX-512
//! `VPOPCNTQ`). perfkit-simd has no fused "combine and count" kernel, so the counts that
//! must not materialise their set (`union_len`, ...) are built here from its kernels: each
//! 2 KiB block of the left operand is copied to a stack buffer, combined with the right
//! operand there and counted while it is still in L1. That keeps this crate free of unsafe
//! code, allocates nothing, and costs one extra pass over L1-resident data.

use perfkit_simd::Simd;

/// Words per block of the fused counts (2 KiB: comfortably inside L1).
const BLOCK: usize = 256;

/// A binary word operation that perfkit-simd implements in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Or,
    And,
    Xor,
    AndNot,
}

impl Op {
    /// `a[i] = a[i] op b[i]` (equal lengths).
    #[inline]
    pub(crate) fn assign(self, simd: Simd, a: &mut [u64], b: &[u64]) {
        match self {
            Op::Or => simd.or_assign(a, b),
            Op::And => simd.and_assign(a, b),
            Op::Xor => simd.xor_assign(a, b),
            Op::AndNot => simd.andnot_assign(a, b),
        }
    }

    /// The set bits of `a[i] op b[i]` over every `i`, without writing to `a` (equal lengths).
    #[inline]
    pub(crate) fn count(self, simd: Simd, a: &[u64], b: &[u64]) -> u64 {
        debug_assert_eq!(a.len(), b.len());
        let mut buf = [0u64; BLOCK];
        let mut total = 0;
        for (x, y) in a.chunks(BLOCK).zip(b.chunks(BLOCK)) {
            let t = &mut buf[..x.len()];
            t.copy_from_slice(x);
            self.assign(simd, t, y);
            total += simd.popcount(t);
        }
        total
    }
}

/// Set bits in `words`.
#[inline]
pub(crate) fn popcount(simd: Simd, words: &[u64]) -> u64 {
    simd.popcount(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use perfkit_simd::Level;

    fn naive(op: Op, x: u64, y: u64) -> u64 {
        match op {
            Op::Or => x | y,
            Op::And => x & y,
            Op::Xor => x ^ y,
            Op::AndNot => x & !y,
        }
    }

    #[test]
    fn every_level_matches_the_naive_loop() {
        let words = perfkit_testkit::u64_array(2 * 1300 + 7, 3);
        for level in Level::available() {
            let simd = Simd::new(level).unwrap();
            for len in (0..=70).chain([255, 256, 257, 513, 1300]) {
                for offset in [0, 1, 3] {
                    let a = &words[offset..offset + len];
                    let b = &words[1300 + offset..1300 + offset + len];
                    let want_pop: u64 = a.iter().map(|w| u64::from(w.count_ones())).sum();
                    assert_eq!(popcount(simd, a), want_pop, "{level:?} popcount len {len}");
                    for op in [Op::Or, Op::And, Op::Xor, Op::AndNot] {
                        let want: Vec<u64> =
                            a.iter().zip(b).map(|(x, y)| naive(op, *x, *y)).collect();
                        let mut got = a.to_vec();
                        op.assign(simd, &mut got, b);
                        assert_eq!(got, want, "{level:?} {op:?} len {len}");
                        let want_count: u64 = want.iter().map(|w| u64::from(w.count_ones())).sum();
                        assert_eq!(
                            op.count(simd, a, b),
                            want_count,
                            "{level:?} {op:?} count len {len}"
                        );
                    }
                }
            }
        }
    }
}
