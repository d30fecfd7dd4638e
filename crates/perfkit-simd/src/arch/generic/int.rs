//! The integer kernels, over [`U64Vec`]: the four bitwise assign operations, popcount, the
//! wrapping sums and the byte count. The safety rule of the [parent module](super) holds for
//! every function here.

use crate::arch::U64Vec;

/// One of the four bitwise assign operations.
pub(crate) trait BitOp {
    /// The operation on vectors.
    ///
    /// # Safety
    /// The CPU must run `V`'s level.
    unsafe fn vec<V: U64Vec>(a: V, b: V) -> V;
    /// The same operation on one word.
    fn word(a: u64, b: u64) -> u64;
}

/// `a & b`.
pub(crate) struct And;
/// `a | b`.
pub(crate) struct Or;
/// `a ^ b`.
pub(crate) struct Xor;
/// `a & !b`.
pub(crate) struct AndNot;

impl BitOp for And {
    #[inline(always)]
    unsafe fn vec<V: U64Vec>(a: V, b: V) -> V {
        // SAFETY: forwarded precondition (the CPU runs V's level).
        unsafe { a.and(b) }
    }
    #[inline(always)]
    fn word(a: u64, b: u64) -> u64 {
        a & b
    }
}

impl BitOp for Or {
    #[inline(always)]
    unsafe fn vec<V: U64Vec>(a: V, b: V) -> V {
        // SAFETY: forwarded precondition (the CPU runs V's level).
        unsafe { a.or(b) }
    }
    #[inline(always)]
    fn word(a: u64, b: u64) -> u64 {
        a | b
    }
}

impl BitOp for Xor {
    #[inline(always)]
    unsafe fn vec<V: U64Vec>(a: V, b: V) -> V {
        // SAFETY: forwarded precondition (the CPU runs V's level).
        unsafe { a.xor(b) }
    }
    #[inline(always)]
    fn word(a: u64, b: u64) -> u64 {
        a ^ b
    }
}

impl BitOp for AndNot {
    #[inline(always)]
    unsafe fn vec<V: U64Vec>(a: V, b: V) -> V {
        // SAFETY: forwarded precondition (the CPU runs V's level).
        unsafe { a.andnot(b) }
    }
    #[inline(always)]
    fn word(a: u64, b: u64) -> u64 {
        a & !b
    }
}

/// `a[i] = op(a[i], b[i])`. Precondition (checked by the caller): equal lengths.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
pub(crate) unsafe fn bitwise<V: U64Vec, Op: BitOp>(a: &mut [u64], b: &[u64]) {
    debug_assert_eq!(a.len(), b.len());
    let step = V::LANES * 2;
    let mut ac = a.chunks_exact_mut(step);
    let mut bc = b.chunks_exact(step);
    for (x, y) in (&mut ac).zip(&mut bc) {
        let (xp, yp) = (x.as_mut_ptr(), y.as_ptr());
        // SAFETY: both chunks hold `2 * LANES` words; the CPU runs V's level.
        unsafe {
            let r0 = Op::vec(V::load(xp), V::load(yp));
            let r1 = Op::vec(V::load(xp.add(V::LANES)), V::load(yp.add(V::LANES)));
            r0.store(xp);
            r1.store(xp.add(V::LANES));
        }
    }
    for (x, &y) in ac.into_remainder().iter_mut().zip(bc.remainder()) {
        *x = Op::word(*x, y);
    }
}

/// Horizontal wrapping sum of `K` accumulators.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
unsafe fn reduce_u64<V: U64Vec, const K: usize>(acc: [V; K]) -> u64 {
    let mut total = acc[0];
    for &a in &acc[1..] {
        // SAFETY: forwarded precondition.
        total = unsafe { total.add(a) };
    }
    // SAFETY: forwarded precondition.
    unsafe { total.reduce_add() }
}

/// Total set bits.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
pub(crate) unsafe fn popcount<V: U64Vec, const K: usize>(x: &[u64]) -> u64 {
    // SAFETY: the CPU runs V's level (this function's precondition), here and below.
    let mut acc = [unsafe { V::zero() }; K];
    let mut blocks = x.chunks_exact(V::LANES * K);
    for block in &mut blocks {
        let p = block.as_ptr();
        for (k, a) in acc.iter_mut().enumerate() {
            // SAFETY: the block holds `K * LANES` words.
            *a = unsafe { a.add(V::load(p.add(k * V::LANES)).popcnt()) };
        }
    }
    let mut vecs = blocks.remainder().chunks_exact(V::LANES);
    for v in &mut vecs {
        // SAFETY: the chunk holds `LANES` words.
        acc[0] = unsafe { acc[0].add(V::load(v.as_ptr()).popcnt()) };
    }
    // SAFETY: see above.
    let total = unsafe { reduce_u64(acc) };
    vecs.remainder()
        .iter()
        .fold(total, |t, w| t + u64::from(w.count_ones()))
}

/// Wrapping sum.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
pub(crate) unsafe fn sum_u64<V: U64Vec, const K: usize>(x: &[u64]) -> u64 {
    // SAFETY: the CPU runs V's level (this function's precondition), here and below.
    let mut acc = [unsafe { V::zero() }; K];
    let mut blocks = x.chunks_exact(V::LANES * K);
    for block in &mut blocks {
        let p = block.as_ptr();
        for (k, a) in acc.iter_mut().enumerate() {
            // SAFETY: the block holds `K * LANES` words.
            *a = unsafe { a.add(V::load(p.add(k * V::LANES))) };
        }
    }
    let mut vecs = blocks.remainder().chunks_exact(V::LANES);
    for v in &mut vecs {
        // SAFETY: the chunk holds `LANES` words.
        acc[0] = unsafe { acc[0].add(V::load(v.as_ptr())) };
    }
    // SAFETY: see above.
    let total = unsafe { reduce_u64(acc) };
    vecs.remainder()
        .iter()
        .fold(total, |t, &w| t.wrapping_add(w))
}

/// Sum of i32 widened to i64 (wrapping in i64, which needs more than 2^32 elements).
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
pub(crate) unsafe fn sum_i32<V: U64Vec, const K: usize>(x: &[i32]) -> i64 {
    // SAFETY: the CPU runs V's level (this function's precondition), here and below.
    let mut acc = [unsafe { V::zero() }; K];
    let mut blocks = x.chunks_exact(V::LANES * K);
    for block in &mut blocks {
        let p = block.as_ptr();
        for (k, a) in acc.iter_mut().enumerate() {
            // SAFETY: the block holds `K * LANES` values.
            *a = unsafe { a.add(V::load_i32_widen(p.add(k * V::LANES))) };
        }
    }
    let mut vecs = blocks.remainder().chunks_exact(V::LANES);
    for v in &mut vecs {
        // SAFETY: the chunk holds `LANES` values.
        acc[0] = unsafe { acc[0].add(V::load_i32_widen(v.as_ptr())) };
    }
    // SAFETY: see above. Two's-complement lanes: the wrapping u64 sum is the i64 sum.
    let total = unsafe { reduce_u64(acc) }.cast_signed();
    vecs.remainder()
        .iter()
        .fold(total, |t, &v| t.wrapping_add(i64::from(v)))
}

/// Occurrences of byte `b`.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
pub(crate) unsafe fn count_byte<V: U64Vec, const K: usize>(x: &[u8], b: u8) -> usize {
    let width = V::LANES * 8;
    // SAFETY: the CPU runs V's level (this function's precondition), here and below.
    let needle = unsafe { V::splat_byte(b) };
    let mut counts = [0u64; K];
    let mut blocks = x.chunks_exact(width * K);
    for block in &mut blocks {
        let p = block.as_ptr();
        for (k, c) in counts.iter_mut().enumerate() {
            // SAFETY: the block holds `K * 8 * LANES` bytes.
            *c += unsafe { V::load_bytes(p.add(k * width)).count_eq_bytes(needle) };
        }
    }
    let mut total: u64 = counts.iter().sum();
    let mut vecs = blocks.remainder().chunks_exact(width);
    for v in &mut vecs {
        // SAFETY: the chunk holds `8 * LANES` bytes.
        total += unsafe { V::load_bytes(v.as_ptr()).count_eq_bytes(needle) };
    }
    let tail = vecs.remainder().iter().filter(|&&c| c == b).count();
    // The count never exceeds `x.len()`, a usize.
    total as usize + tail
}
