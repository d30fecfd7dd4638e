//! The word-level kernels under [`BitSet`](super::BitSet)'s bulk operations.
//!
//! Every bulk operation of the bit set goes through this module, so the kernels behind them
//! can change in one place. These are plain loops over `u64` words.

/// Set bits in `words`.
#[inline]
pub(crate) fn popcount(words: &[u64]) -> u64 {
    words.iter().map(|w| u64::from(w.count_ones())).sum()
}

/// `a[i] |= b[i]` over the common length (callers pass equal lengths).
#[inline]
pub(crate) fn or_assign(a: &mut [u64], b: &[u64]) {
    debug_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter_mut().zip(b) {
        *x |= *y;
    }
}

/// `a[i] &= b[i]` (equal lengths).
#[inline]
pub(crate) fn and_assign(a: &mut [u64], b: &[u64]) {
    debug_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter_mut().zip(b) {
        *x &= *y;
    }
}

/// `a[i] ^= b[i]` (equal lengths).
#[inline]
pub(crate) fn xor_assign(a: &mut [u64], b: &[u64]) {
    debug_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= *y;
    }
}

/// `a[i] &= !b[i]` (equal lengths).
#[inline]
pub(crate) fn andnot_assign(a: &mut [u64], b: &[u64]) {
    debug_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter_mut().zip(b) {
        *x &= !*y;
    }
}

/// Set bits of `op(a[i], b[i])` without writing the result anywhere (equal lengths).
#[inline]
pub(crate) fn count_with(a: &[u64], b: &[u64], op: impl Fn(u64, u64) -> u64) -> u64 {
    debug_assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| u64::from(op(*x, *y).count_ones()))
        .sum()
}
