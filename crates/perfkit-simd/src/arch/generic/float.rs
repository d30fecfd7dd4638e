//! The float kernels, over [`FloatVec`]: the reductions (strict and relaxed sums, dot and
//! L2, the compensated sum, min and max) and the elementwise operations. The safety rule of
//! the [parent module](super) holds for every function here.

use crate::arch::{Float, FloatVec};

/// What one step of a float reduction adds to a lane.
pub(crate) trait Reduction {
    /// Whether the reduction reads a second slice.
    const PAIRED: bool;
    /// `acc + term(a, b)`, one rounding per operation (the bit-identical order).
    ///
    /// # Safety
    /// The CPU must run `V`'s level.
    unsafe fn strict<V: FloatVec>(acc: V, a: V, b: V) -> V;
    /// The same with FMA where the level has it.
    ///
    /// # Safety
    /// The CPU must run `V`'s level.
    unsafe fn relaxed<V: FloatVec>(acc: V, a: V, b: V) -> V;
}

/// `acc + a`.
pub(crate) struct Sum;
/// `acc + a * b`.
pub(crate) struct Dot;
/// `acc + (a - b) * (a - b)`.
pub(crate) struct L2;

impl Reduction for Sum {
    const PAIRED: bool = false;
    #[inline(always)]
    unsafe fn strict<V: FloatVec>(acc: V, a: V, _: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe { acc.add(a) }
    }
    #[inline(always)]
    unsafe fn relaxed<V: FloatVec>(acc: V, a: V, _: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe { acc.add(a) }
    }
}

impl Reduction for Dot {
    const PAIRED: bool = true;
    #[inline(always)]
    unsafe fn strict<V: FloatVec>(acc: V, a: V, b: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe { acc.add(a.mul(b)) }
    }
    #[inline(always)]
    unsafe fn relaxed<V: FloatVec>(acc: V, a: V, b: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe { a.mul_add(b, acc) }
    }
}

impl Reduction for L2 {
    const PAIRED: bool = true;
    #[inline(always)]
    unsafe fn strict<V: FloatVec>(acc: V, a: V, b: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe {
            let d = a.sub(b);
            acc.add(d.mul(d))
        }
    }
    #[inline(always)]
    unsafe fn relaxed<V: FloatVec>(acc: V, a: V, b: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe {
            let d = a.sub(b);
            d.mul_add(d, acc)
        }
    }
}

/// Adds `acc[k + s]` into `acc[k]` for `s = K/2, K/4, .., 1`: the accumulator half of the
/// fixed reduction tree (lane `g` of the layout is lane `g % LANES` of `acc[g / LANES]`, so
/// a stride of `s` accumulators is a stride of `s * LANES` lanes).
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
unsafe fn tree<V: Copy, const K: usize>(acc: &mut [V; K], op: impl Fn(V, V) -> V) {
    let mut s = K / 2;
    while s > 0 {
        for k in 0..s {
            acc[k] = op(acc[k], acc[k + s]);
        }
        s /= 2;
    }
}

/// The reductions align their loads (see [`FloatVec::ALIGN`]) only for inputs of at least
/// this many blocks of `K * LANES` elements: shorter ones gain too little to repay the head.
const ALIGN_MIN_BLOCKS: usize = 2;

/// A float reduction ([`Sum`], [`Dot`], [`L2`]) over `K` accumulators of `V`.
///
/// The layout, with `L = K * V::LANES` lanes: element `i` is added into lane `i % L`, in
/// increasing `i`; every lane starts at `-0.0`; then the lanes are summed by the pairwise
/// tree of [`tree`] and [`FloatVec::reduce_add`]. With `STRICT`, the elements past the last
/// full vector are added with a blend so that the other lanes are untouched (exactly what
/// the scalar code does); every level with the same `L` gives the same bits.
///
/// # Safety
/// The CPU must run `V`'s level; with `R::PAIRED`, `b.len() == a.len()`.
#[inline(always)]
pub(crate) unsafe fn reduce<V: FloatVec, R: Reduction, const K: usize, const STRICT: bool>(
    a: &[V::Elem],
    b: &[V::Elem],
) -> V::Elem {
    const { assert!(K.is_power_of_two()) };
    debug_assert!(!R::PAIRED || a.len() == b.len());
    let w = V::LANES;
    let n = a.len();
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let step = |acc: V, x: V, y: V| {
        // SAFETY: the CPU runs V's level (this function's precondition).
        unsafe {
            if STRICT {
                R::strict(acc, x, y)
            } else {
                R::relaxed(acc, x, y)
            }
        }
    };
    // Loads `LANES` (or `m < LANES`) elements of both inputs at `off`.
    let load = |off: usize| {
        debug_assert!(off + w <= n);
        // SAFETY: callers pass `off + w <= n`, and both slices hold `n` elements (when
        // paired); the CPU runs V's level.
        unsafe {
            let x = V::load(pa.add(off));
            (x, if R::PAIRED { V::load(pb.add(off)) } else { x })
        }
    };
    let load_partial = |off: usize, m: usize| {
        debug_assert!(off + m <= n && m < w);
        // SAFETY: callers pass `off + m <= n` and `m < w`; as above.
        unsafe {
            let x = V::load_partial(pa.add(off), m);
            (
                x,
                if R::PAIRED {
                    V::load_partial(pb.add(off), m)
                } else {
                    x
                },
            )
        }
    };
    // SAFETY: the CPU runs V's level.
    let neg_zero = unsafe { V::splat(V::Elem::NEG_ZERO) };
    let mut acc = [neg_zero; K];
    let block = K * w;
    // Aligned loads (levels with `V::ALIGN`, inputs of a few blocks): the vector loop starts
    // at element `h`, the first of `a` on an `ALIGN` boundary. Then accumulator lane `P`
    // (lane `P % w` of `acc[P / w]`) holds layout lane `(P + h) % L`: the layout rotated by
    // `h` lanes. Elements `0..h` are the first of layout lanes `0..h`, which sit in the last
    // `h` lanes of `acc[K - 1]`; `-0.0 + t == t`, so they start those lanes as they are.
    // Every lane still receives its elements in increasing order. The rotation needs no
    // undoing: a pairwise tree step on a rotated array gives the rotated result (the pairs
    // `{g, g + L/2}` are the same sets of lanes, and IEEE addition is commutative), so the
    // tree of a rotated array has the same bits.
    let h = if n >= ALIGN_MIN_BLOCKS * block {
        V::align_head(pa)
    } else {
        0
    };
    if h > 0 {
        debug_assert!(h < w);
        // SAFETY: `h < w <= n` elements from 0 are in bounds of both; the CPU runs V's level.
        unsafe {
            let x = V::load_partial_high(pa, h);
            let y = if R::PAIRED {
                V::load_partial_high(pb, h)
            } else {
                x
            };
            acc[K - 1] = neg_zero.blend_first(step(neg_zero, x, y), w - h);
        }
    }
    let full = h + (n - h) / block * block;
    let mut i = h;
    while i < full {
        for (k, lane) in acc.iter_mut().enumerate() {
            // `i + k * w + w <= i + block <= full <= n`.
            let (x, y) = load(i + k * w);
            *lane = step(*lane, x, y);
        }
        i += block;
    }
    // The tail (fewer than `block` elements): whole vectors into accumulators 0, 1, .., then
    // the last partial vector. `k` is a constant in each unrolled iteration, so `acc` stays
    // in registers.
    for (k, lane) in acc.iter_mut().enumerate() {
        let off = full + k * w;
        if off >= n {
            break;
        }
        if off + w <= n {
            let (x, y) = load(off);
            *lane = step(*lane, x, y);
        } else {
            let m = n - off;
            let (x, y) = load_partial(off, m);
            let new = step(*lane, x, y);
            if STRICT {
                // SAFETY: the CPU runs V's level; `m < w`.
                *lane = unsafe { new.blend_first(*lane, m) };
            } else {
                *lane = new;
            }
        }
    }
    // Accumulators past the first `touched` still hold `-0.0`, and `x + -0.0 == x` exactly,
    // so the tree steps whose right-hand side is untouched can be skipped without changing a
    // bit: short inputs pay only for the accumulators they filled.
    let touched = if n >= block { K } else { n.div_ceil(w) };
    // SAFETY: the CPU runs V's level.
    unsafe {
        tree_from(&mut acc, touched.next_power_of_two(), |x, y| x.add(y));
        acc[0].reduce_add()
    }
}

/// [`tree`], skipping the steps of stride `>= live` (their right-hand accumulators are all
/// untouched `-0.0`).
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
unsafe fn tree_from<V: Copy, const K: usize>(
    acc: &mut [V; K],
    live: usize,
    op: impl Fn(V, V) -> V,
) {
    let mut s = K / 2;
    while s > 0 {
        if s < live {
            for k in 0..s {
                acc[k] = op(acc[k], acc[k + s]);
            }
        }
        s /= 2;
    }
}

/// Knuth's TwoSum, lane-wise: `(s + x, exact error of that addition)`.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
unsafe fn two_sum<V: FloatVec>(s: V, x: V) -> (V, V) {
    // SAFETY: forwarded precondition.
    unsafe {
        let t = s.add(x);
        let bp = t.sub(s);
        let err = s.sub(t.sub(bp)).add(x.sub(bp));
        (t, err)
    }
}

/// Compensated summation (Neumaier's algorithm; the error of each addition is computed
/// exactly, branch-free, by TwoSum, which gives the same error term as Neumaier's branch).
///
/// Layout: `L = K * V::LANES` lanes, each with a running sum `s` and compensation `c`
/// (element `i` into lane `i % L`); the lanes are combined by the same pairwise tree as
/// [`reduce`], a pair `(s1, c1), (s2, c2)` becoming `(s1 + s2, (c1 + c2) + err)`; the result
/// is `s + c`. Identical bits on every level with the same `L`.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
pub(crate) unsafe fn sum_accurate<V: FloatVec, const K: usize>(x: &[V::Elem]) -> V::Elem
where
    V::Elem: core::ops::Add<Output = V::Elem> + core::ops::Sub<Output = V::Elem>,
{
    const { assert!(K.is_power_of_two()) };
    let w = V::LANES;
    let n = x.len();
    let p = x.as_ptr();
    // SAFETY: the CPU runs V's level.
    let zero = unsafe { V::splat(V::Elem::NEG_ZERO) };
    let mut s = [zero; K];
    let mut c = [zero; K];
    let block = K * w;
    let full = n - n % block;
    let mut i = 0;
    while i < full {
        for k in 0..K {
            // SAFETY: `i + k * w + w <= full <= n`.
            unsafe {
                let (t, err) = two_sum(s[k], V::load(p.add(i + k * w)));
                s[k] = t;
                c[k] = c[k].add(err);
            }
        }
        i += block;
    }
    for k in 0..K {
        let off = full + k * w;
        if off >= n {
            break;
        }
        if off + w <= n {
            // SAFETY: `off + w <= n`.
            unsafe {
                let (t, err) = two_sum(s[k], V::load(p.add(off)));
                s[k] = t;
                c[k] = c[k].add(err);
            }
        } else {
            let m = n - off;
            // SAFETY: `m < w` elements from `off` are in bounds.
            unsafe {
                let (t, err) = two_sum(s[k], V::load_partial(p.add(off), m));
                s[k] = t.blend_first(s[k], m);
                c[k] = c[k].add(err).blend_first(c[k], m);
            }
        }
    }
    // The accumulator half of the tree, then the lanes of the last vector, in scalar code
    // with the same pair rule.
    let mut half = K / 2;
    while half > 0 {
        for k in 0..half {
            // SAFETY: the CPU runs V's level.
            unsafe {
                let (t, err) = two_sum(s[k], s[k + half]);
                s[k] = t;
                c[k] = c[k].add(c[k + half]).add(err);
            }
        }
        half /= 2;
    }
    let mut sl = [V::Elem::NEG_ZERO; 16];
    let mut cl = [V::Elem::NEG_ZERO; 16];
    // SAFETY: the CPU runs V's level; LANES <= 16.
    unsafe {
        s[0].to_lanes(&mut sl);
        c[0].to_lanes(&mut cl);
    }
    let mut half = w / 2;
    while half > 0 {
        for k in 0..half {
            let (a, b) = (sl[k], sl[k + half]);
            let t = a + b;
            let bp = t - a;
            let err = (a - (t - bp)) + (b - bp);
            sl[k] = t;
            cl[k] = (cl[k] + cl[k + half]) + err;
        }
        half /= 2;
    }
    sl[0] + cl[0]
}

/// Shared body of `min_f32`/`max_f32`: `pick(x, acc)` keeps `acc` for a NaN `x`.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
unsafe fn extremum<V: FloatVec, const K: usize>(
    x: &[V::Elem],
    init: V::Elem,
    pick: impl Fn(V, V) -> V,
    reduce: impl Fn(V) -> V::Elem,
) -> Option<V::Elem> {
    let w = V::LANES;
    let n = x.len();
    let p = x.as_ptr();
    // SAFETY: the CPU runs V's level.
    let mut acc = [unsafe { V::splat(init) }; K];
    let block = K * w;
    let full = n - n % block;
    let mut i = 0;
    while i < full {
        for (k, lane) in acc.iter_mut().enumerate() {
            // SAFETY: `i + k * w + w <= full <= n`.
            *lane = pick(unsafe { V::load(p.add(i + k * w)) }, *lane);
        }
        i += block;
    }
    for (k, lane) in acc.iter_mut().enumerate() {
        let off = full + k * w;
        if off >= n {
            break;
        }
        if off + w <= n {
            // SAFETY: `off + w <= n`.
            *lane = pick(unsafe { V::load(p.add(off)) }, *lane);
        } else {
            let m = n - off;
            // SAFETY: `m < w` elements from `off` are in bounds; the CPU runs V's level.
            *lane = unsafe { pick(V::load_partial(p.add(off), m), *lane).blend_first(*lane, m) };
        }
    }
    // SAFETY: the CPU runs V's level.
    unsafe { tree(&mut acc, &pick) };
    let r = reduce(acc[0]);
    if r == init {
        // Either no element was a number, or the extremum is the infinity itself.
        return extremum_is_init(x, init);
    }
    Some(r)
}

#[cold]
#[inline(never)]
fn extremum_is_init<E: Float>(x: &[E], init: E) -> Option<E> {
    x.contains(&init).then_some(init)
}

/// The smallest non-NaN element.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
pub(crate) unsafe fn min<V: FloatVec, const K: usize>(x: &[V::Elem]) -> Option<V::Elem> {
    // SAFETY: the CPU runs V's level (this function's precondition and the closures').
    unsafe {
        extremum::<V, K>(
            x,
            V::Elem::INFINITY,
            |v, acc| v.min(acc),
            |v| v.reduce_min(),
        )
    }
}

/// The largest non-NaN element.
///
/// # Safety
/// The CPU must run `V`'s level.
#[inline(always)]
pub(crate) unsafe fn max<V: FloatVec, const K: usize>(x: &[V::Elem]) -> Option<V::Elem> {
    // SAFETY: the CPU runs V's level (this function's precondition and the closures').
    unsafe {
        extremum::<V, K>(
            x,
            V::Elem::NEG_INFINITY,
            |v, acc| v.max(acc),
            |v| v.reduce_max(),
        )
    }
}

/// An elementwise operation `out = op(a, b)`.
pub(crate) trait Binary {
    /// # Safety
    /// The CPU must run `V`'s level.
    unsafe fn op<V: FloatVec>(a: V, b: V) -> V;
}

/// `a + b`.
pub(crate) struct Add;
/// `a * b`.
pub(crate) struct Mul;

impl Binary for Add {
    #[inline(always)]
    unsafe fn op<V: FloatVec>(a: V, b: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe { a.add(b) }
    }
}

impl Binary for Mul {
    #[inline(always)]
    unsafe fn op<V: FloatVec>(a: V, b: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe { a.mul(b) }
    }
}

/// `out[i] = Op(a[i], b[i])`.
///
/// # Safety
/// The CPU must run `V`'s level; the three lengths are equal.
#[inline(always)]
pub(crate) unsafe fn binary_into<V: FloatVec, Op: Binary>(
    a: &[V::Elem],
    b: &[V::Elem],
    out: &mut [V::Elem],
) {
    debug_assert!(a.len() == b.len() && b.len() == out.len());
    let w = V::LANES;
    let n = out.len();
    let (pa, pb, po) = (a.as_ptr(), b.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i + w <= n {
        // SAFETY: `i + w <= n`, the length of all three; the CPU runs V's level.
        unsafe { Op::op(V::load(pa.add(i)), V::load(pb.add(i))).store(po.add(i)) };
        i += w;
    }
    if i < n {
        let m = n - i;
        // SAFETY: `m < w` elements from `i` are in bounds of all three.
        unsafe {
            Op::op(V::load_partial(pa.add(i), m), V::load_partial(pb.add(i), m))
                .store_partial(po.add(i), m);
        }
    }
}

/// An in-place elementwise update `dst = op(dst, src, s)`.
pub(crate) trait Update {
    /// # Safety
    /// The CPU must run `V`'s level.
    unsafe fn op<V: FloatVec>(dst: V, src: V, s: V) -> V;
}

/// `dst * s`.
pub(crate) struct Scale;
/// `s * src + dst` (multiply, then add: two roundings, as scalar Rust).
pub(crate) struct Axpy;

impl Update for Scale {
    #[inline(always)]
    unsafe fn op<V: FloatVec>(dst: V, _: V, s: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe { dst.mul(s) }
    }
}

impl Update for Axpy {
    #[inline(always)]
    unsafe fn op<V: FloatVec>(dst: V, src: V, s: V) -> V {
        // SAFETY: forwarded precondition.
        unsafe { s.mul(src).add(dst) }
    }
}

/// `dst[i] = Op(dst[i], src[i], s)`; `src` is read only when `PAIRED`.
///
/// # Safety
/// The CPU must run `V`'s level; when `PAIRED`, `src.len() == dst.len()`.
#[inline(always)]
pub(crate) unsafe fn update<V: FloatVec, Op: Update, const PAIRED: bool>(
    dst: &mut [V::Elem],
    src: &[V::Elem],
    s: V::Elem,
) {
    debug_assert!(!PAIRED || src.len() == dst.len());
    let w = V::LANES;
    let n = dst.len();
    let (pd, ps) = (dst.as_mut_ptr(), src.as_ptr());
    // SAFETY: the CPU runs V's level.
    let sv = unsafe { V::splat(s) };
    let mut i = 0;
    while i + w <= n {
        // SAFETY: `i + w <= n`, the length of `dst` (and of `src` when read).
        unsafe {
            let d = V::load(pd.add(i));
            let x = if PAIRED { V::load(ps.add(i)) } else { d };
            Op::op(d, x, sv).store(pd.add(i));
        }
        i += w;
    }
    if i < n {
        let m = n - i;
        // SAFETY: `m < w` elements from `i` are in bounds.
        unsafe {
            let d = V::load_partial(pd.add(i), m);
            let x = if PAIRED {
                V::load_partial(ps.add(i), m)
            } else {
                d
            };
            Op::op(d, x, sv).store_partial(pd.add(i), m);
        }
    }
}
