//! The inline path of the strict float reductions for short inputs.
//!
//! Why: for a handful of elements the cost of a kernel is its call, its accumulator set-up
//! and its branches, not its arithmetic; an inlined scalar loop beats it. Up to [`SMALL`]
//! elements every layout lane receives at most one term, so the
//! [fixed order](crate#reduction-order) reduces to: lane `k` holds term `k` (`-0.0 + t` is
//! `t`), the lanes from `n` on hold `-0.0`, and the pairwise tree's steps whose right-hand
//! lanes are all `-0.0` change nothing (`x + -0.0 == x`). What is left is the 16-lane tree,
//! computed here in plain Rust, inlined into the caller: the same bits as every level.

use core::ops::Add;

use crate::arch::Float;

/// Inputs of at most this many elements take the inline path (at most 16: the tree below).
pub(crate) const SMALL: usize = 16;

/// The strict reduction of `n <= SMALL` terms, `term(k)` for `k < n` (each rounded once).
#[inline(always)]
fn reduce<T: Float + Add<Output = T>>(n: usize, term: impl Fn(usize) -> T) -> T {
    debug_assert!(n <= SMALL);
    // Lanes 0..8 after the tree step of stride 8 (lane `k` plus lane `k + 8`).
    let mut l = [T::NEG_ZERO; 8];
    if n >= 8 {
        for (k, lane) in l.iter_mut().enumerate() {
            *lane = term(k);
        }
        for (k, lane) in l.iter_mut().enumerate() {
            if 8 + k < n {
                *lane = *lane + term(8 + k);
            }
        }
    } else {
        for (k, lane) in l.iter_mut().enumerate() {
            if k < n {
                *lane = term(k);
            }
        }
    }
    for s in [4, 2, 1] {
        for k in 0..s {
            l[k] = l[k] + l[k + s];
        }
    }
    l[0]
}

/// `Σ x` for `x.len() <= SMALL`, else `None`.
#[inline(always)]
pub(crate) fn sum<T: Float + Add<Output = T>>(x: &[T]) -> Option<T> {
    (x.len() <= SMALL).then(|| reduce(x.len(), |k| x[k]))
}

/// `Σ a[k] * b[k]` for `a.len() <= SMALL`, else `None`. The caller checked the lengths.
#[inline(always)]
pub(crate) fn dot<T: Float + Add<Output = T> + core::ops::Mul<Output = T>>(
    a: &[T],
    b: &[T],
) -> Option<T> {
    if a.len() > SMALL {
        return None;
    }
    let b = &b[..a.len()];
    Some(reduce(a.len(), |k| a[k] * b[k]))
}

/// `Σ (a[k] - b[k])²` for `a.len() <= SMALL`, else `None`. The caller checked the lengths.
#[inline(always)]
pub(crate) fn l2_squared<T>(a: &[T], b: &[T]) -> Option<T>
where
    T: Float + Add<Output = T> + core::ops::Sub<Output = T> + core::ops::Mul<Output = T>,
{
    if a.len() > SMALL {
        return None;
    }
    let b = &b[..a.len()];
    Some(reduce(a.len(), |k| {
        let d = a[k] - b[k];
        d * d
    }))
}
