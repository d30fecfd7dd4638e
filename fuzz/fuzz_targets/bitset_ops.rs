//! Two `BitSet`s under arbitrary operation sequences against two `BTreeSet<usize>`: insert /
//! remove / contains / clear, the in-place set operations (union, intersection, difference,
//! symmetric difference) and their counting forms, subset / superset / disjoint, iteration
//! (step by step and folded), first / last, equality across capacities, `from_words`. Members
//! are below 1 << 14.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_layout::BitSet;

const BITS: usize = 1 << 14;

#[derive(Debug, Arbitrary, Clone, Copy)]
enum Which {
    A,
    B,
}

#[derive(Debug, Arbitrary)]
enum Op {
    Insert(Which, u16),
    Remove(Which, u16),
    Contains(Which, u16),
    /// Inserts `start, start + step, ...` (`count % 1024` members): many words at once.
    InsertRange {
        which: Which,
        start: u16,
        step: u8,
        count: u16,
    },
    Clear(Which),
    /// `which = which op other`.
    Union(Which),
    Intersect(Which),
    Difference(Which),
    SymmetricDifference(Which),
    /// The counting forms, subset / superset / disjoint and equality, both ways.
    Compare,
    Iter(Which),
    /// Replaces the set with `from_words` of these words.
    FromWords(Which, Vec<u64>),
    /// Replaces the set with an empty one of this capacity.
    WithCapacity(Which, u16),
    Swap,
    Clone(Which),
}

#[derive(Default)]
struct Pair {
    sets: [BitSet; 2],
    models: [BTreeSet<usize>; 2],
}

fn idx(w: Which) -> (usize, usize) {
    match w {
        Which::A => (0, 1),
        Which::B => (1, 0),
    }
}

fn bit(b: u16) -> usize {
    usize::from(b) % BITS
}

fn check(set: &BitSet, model: &BTreeSet<usize>) {
    assert_eq!(set.len(), model.len());
    assert_eq!(set.is_empty(), model.is_empty());
    // A `for` loop calls `next`; `collect` below goes through `fold`.
    let mut stepped = Vec::new();
    for b in set.iter() {
        stepped.push(b);
    }
    assert!(stepped.iter().eq(model.iter()), "iter, step by step");
    let folded: Vec<usize> = set.iter().collect();
    assert!(folded.iter().eq(model.iter()), "iter, folded");
    assert_eq!(set.into_iter().count(), model.len());
    assert_eq!(set.first(), model.first().copied());
    assert_eq!(set.last(), model.last().copied());
    assert!(set.capacity() >= model.last().map_or(0, |m| m + 1));
    assert_eq!(set.capacity() % 64, 0);
    assert_eq!(set.as_words().len() * 64, set.capacity());
    assert_eq!(format!("{set:?}"), format!("{model:?}"));
}

fn compare(p: &Pair) {
    let ([a, b], [ma, mb]) = (&p.sets, &p.models);
    assert_eq!(a.union_len(b), ma.union(mb).count());
    assert_eq!(a.intersection_len(b), ma.intersection(mb).count());
    assert_eq!(a.difference_len(b), ma.difference(mb).count());
    assert_eq!(b.difference_len(a), mb.difference(ma).count());
    assert_eq!(
        a.symmetric_difference_len(b),
        ma.symmetric_difference(mb).count()
    );
    assert_eq!(a.is_subset(b), ma.is_subset(mb));
    assert_eq!(b.is_subset(a), mb.is_subset(ma));
    assert_eq!(a.is_superset(b), ma.is_superset(mb));
    assert_eq!(a.is_disjoint(b), ma.is_disjoint(mb));
    assert_eq!(a == b, ma == mb, "equality whatever the capacities");
    assert_eq!(b == a, ma == mb);
}

fuzz_target!(|ops: Vec<Op>| {
    let mut p = Pair::default();
    for op in ops {
        match op {
            Op::Insert(w, b) => {
                let (i, _) = idx(w);
                assert_eq!(p.sets[i].insert(bit(b)), p.models[i].insert(bit(b)));
            }
            Op::Remove(w, b) => {
                let (i, _) = idx(w);
                assert_eq!(p.sets[i].remove(bit(b)), p.models[i].remove(&bit(b)));
                // Past the capacity: nothing to remove, nothing grows.
                assert!(!p.sets[i].remove(BITS + usize::from(b)));
            }
            Op::Contains(w, b) => {
                let (i, _) = idx(w);
                assert_eq!(p.sets[i].contains(bit(b)), p.models[i].contains(&bit(b)));
                assert!(!p.sets[i].contains(usize::MAX - usize::from(b)));
            }
            Op::InsertRange {
                which,
                start,
                step,
                count,
            } => {
                let (i, _) = idx(which);
                let step = usize::from(step) + 1;
                let mut b = bit(start);
                for _ in 0..count % 1024 {
                    if b >= BITS {
                        break;
                    }
                    assert_eq!(p.sets[i].insert(b), p.models[i].insert(b));
                    b += step;
                }
            }
            Op::Clear(w) => {
                let (i, _) = idx(w);
                let cap = p.sets[i].capacity();
                p.sets[i].clear();
                p.models[i].clear();
                assert_eq!(p.sets[i].capacity(), cap, "clear keeps the capacity");
            }
            Op::Union(w) => {
                let (i, j) = idx(w);
                let other = p.sets[j].clone();
                p.sets[i].union_with(&other);
                let m = p.models[j].clone();
                p.models[i].extend(m);
            }
            Op::Intersect(w) => {
                let (i, j) = idx(w);
                let other = p.sets[j].clone();
                p.sets[i].intersect_with(&other);
                let m = p.models[j].clone();
                p.models[i].retain(|x| m.contains(x));
            }
            Op::Difference(w) => {
                let (i, j) = idx(w);
                let other = p.sets[j].clone();
                p.sets[i].difference_with(&other);
                let m = p.models[j].clone();
                p.models[i].retain(|x| !m.contains(x));
            }
            Op::SymmetricDifference(w) => {
                let (i, j) = idx(w);
                let other = p.sets[j].clone();
                p.sets[i].symmetric_difference_with(&other);
                let m = p.models[j].clone();
                p.models[i] = p.models[i].symmetric_difference(&m).copied().collect();
            }
            Op::Compare => compare(&p),
            Op::Iter(w) => {
                let (i, _) = idx(w);
                check(&p.sets[i], &p.models[i]);
            }
            Op::FromWords(w, mut words) => {
                let (i, _) = idx(w);
                words.truncate(BITS / 64);
                p.models[i] = (0..words.len() * 64)
                    .filter(|&b| words[b / 64] >> (b % 64) & 1 == 1)
                    .collect();
                p.sets[i] = BitSet::from_words(words);
            }
            Op::WithCapacity(w, n) => {
                let (i, _) = idx(w);
                p.sets[i] = BitSet::with_capacity(bit(n));
                p.models[i].clear();
                assert!(p.sets[i].capacity() >= bit(n));
                assert!(p.sets[i].is_empty());
            }
            Op::Swap => {
                p.sets.swap(0, 1);
                p.models.swap(0, 1);
            }
            Op::Clone(w) => {
                let (i, _) = idx(w);
                let copy = p.sets[i].clone();
                assert!(copy == p.sets[i]);
                p.sets[i] = copy;
            }
        }
        assert_eq!(p.sets[0].len(), p.models[0].len());
        assert_eq!(p.sets[1].len(), p.models[1].len());
    }
    check(&p.sets[0], &p.models[0]);
    check(&p.sets[1], &p.models[1]);
    compare(&p);
    let rebuilt: BitSet = p.models[0].iter().copied().collect();
    assert!(rebuilt == p.sets[0]);
});
