//! `BitSet` against a `BTreeSet<usize>` model, `PackedVec` against a `Vec<u64>` model.

use std::collections::BTreeSet;

use perfkit_layout::bits::{BitSet, PackedError, PackedVec};
use proptest::prelude::*;

fn model_set() -> impl Strategy<Value = BTreeSet<usize>> {
    prop_oneof![
        prop::collection::btree_set(0usize..200, 0..60),
        prop::collection::btree_set(0usize..5000, 0..400),
    ]
}

fn bitset(m: &BTreeSet<usize>) -> BitSet {
    m.iter().copied().collect()
}

proptest! {
    // Few cases under Miri, which interprets every one (300 took about 13 minutes there).
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 300 }))]

    #[test]
    fn set_operations_match_btreeset(a in model_set(), b in model_set(), probes in prop::collection::vec(0usize..6000, 0..50)) {
        let (sa, sb) = (bitset(&a), bitset(&b));
        prop_assert_eq!(sa.len(), a.len());
        prop_assert_eq!(sa.is_empty(), a.is_empty());
        prop_assert_eq!(sa.iter().collect::<Vec<_>>(), a.iter().copied().collect::<Vec<_>>());
        // The internal-iteration path (fold) and the external one (next) agree.
        prop_assert_eq!(sa.iter().fold(Vec::new(), |mut v, x| { v.push(x); v }), a.iter().copied().collect::<Vec<_>>());
        let mut it = sa.iter();
        if it.next().is_some() {
            prop_assert_eq!(it.fold(0usize, |n, _| n + 1), a.len() - 1);
        }
        prop_assert_eq!(sa.first(), a.first().copied());
        prop_assert_eq!(sa.last(), a.last().copied());
        for p in probes {
            prop_assert_eq!(sa.contains(p), a.contains(&p));
        }

        let union: BTreeSet<usize> = a.union(&b).copied().collect();
        let inter: BTreeSet<usize> = a.intersection(&b).copied().collect();
        let diff: BTreeSet<usize> = a.difference(&b).copied().collect();
        let sym: BTreeSet<usize> = a.symmetric_difference(&b).copied().collect();

        prop_assert_eq!(sa.union_len(&sb), union.len());
        prop_assert_eq!(sa.intersection_len(&sb), inter.len());
        prop_assert_eq!(sa.difference_len(&sb), diff.len());
        prop_assert_eq!(sa.symmetric_difference_len(&sb), sym.len());
        prop_assert_eq!(sa.is_subset(&sb), a.is_subset(&b));
        prop_assert_eq!(sa.is_superset(&sb), a.is_superset(&b));
        prop_assert_eq!(sa.is_disjoint(&sb), a.is_disjoint(&b));

        let mut x = sa.clone();
        x.union_with(&sb);
        prop_assert_eq!(&x, &bitset(&union));
        let mut x = sa.clone();
        x.intersect_with(&sb);
        prop_assert_eq!(&x, &bitset(&inter));
        let mut x = sa.clone();
        x.difference_with(&sb);
        prop_assert_eq!(&x, &bitset(&diff));
        let mut x = sa.clone();
        x.symmetric_difference_with(&sb);
        prop_assert_eq!(x.iter().collect::<Vec<_>>(), sym.iter().copied().collect::<Vec<_>>());
    }

    #[test]
    fn insert_remove_match_btreeset(ops in prop::collection::vec((any::<bool>(), 0usize..3000), 0..200)) {
        let mut s = BitSet::new();
        let mut m = BTreeSet::new();
        for (ins, v) in ops {
            if ins {
                prop_assert_eq!(s.insert(v), m.insert(v));
            } else {
                prop_assert_eq!(s.remove(v), m.remove(&v));
            }
            prop_assert_eq!(s.len(), m.len());
        }
        prop_assert_eq!(s.iter().collect::<Vec<_>>(), m.iter().copied().collect::<Vec<_>>());
        prop_assert_eq!(format!("{s:?}"), format!("{m:?}"));
        s.clear();
        prop_assert!(s.is_empty());
    }

    #[test]
    fn packed_vec_matches_vec_u64(width in 1u32..=64, raw in prop::collection::vec(any::<u64>(), 0..300),
                                  sets in prop::collection::vec((any::<usize>(), any::<u64>()), 0..40),
                                  start in 0usize..320, take in 0usize..320, cut in 0usize..320) {
        let mask = u64::MAX >> (64 - width);
        let mut model: Vec<u64> = raw.iter().map(|v| v & mask).collect();
        let mut p = PackedVec::from_slice(width, &model).unwrap();
        prop_assert_eq!(p.len(), model.len());
        for &(i, v) in &sets {
            let v = v & mask;
            if model.is_empty() {
                prop_assert_eq!(p.try_set(i, v), Err(PackedError::IndexOutOfBounds { index: i, len: 0 }));
                continue;
            }
            let i = i % model.len();
            p.try_set(i, v).unwrap();
            model[i] = v;
        }
        for (i, &v) in model.iter().enumerate() {
            prop_assert_eq!(p.get(i), Some(v));
        }
        prop_assert_eq!(p.get(model.len()), None);
        prop_assert_eq!(p.iter().collect::<Vec<_>>(), model.clone());

        // Bulk unpack from any start, any length, clipped at the end.
        let mut out = vec![u64::MAX; take];
        let n = p.unpack(start, &mut out);
        let want: Vec<u64> = model.iter().skip(start).take(take).copied().collect();
        prop_assert_eq!(n, want.len());
        prop_assert_eq!(&out[..n], &want[..]);
        prop_assert!(out[n..].iter().all(|&v| v == u64::MAX), "nothing written past the count");

        // Too-wide values are refused and change nothing.
        if width < 64 {
            let before = p.clone();
            prop_assert_eq!(p.try_push(mask + 1), Err(PackedError::ValueTooWide { value: mask + 1, width, max: mask }));
            if !model.is_empty() {
                prop_assert!(p.try_set(0, mask + 1).is_err());
            }
            prop_assert_eq!(&p, &before);
        }

        // Truncate and pop keep the invariant: pushing after them reads back correctly.
        p.truncate(cut);
        model.truncate(cut);
        prop_assert_eq!(p.pop(), model.pop());
        p.push(mask);
        model.push(mask);
        p.push(0);
        model.push(0);
        prop_assert_eq!(p.iter().collect::<Vec<_>>(), model.clone());
        prop_assert_eq!(p, PackedVec::from_slice(width, &model).unwrap());
    }
}

#[test]
fn packed_widths_outside_1_to_64_are_refused() {
    assert_eq!(
        PackedVec::new(0),
        Err(PackedError::InvalidWidth { width: 0 })
    );
    assert_eq!(
        PackedVec::new(65),
        Err(PackedError::InvalidWidth { width: 65 })
    );
    assert_eq!(
        PackedVec::new(65).unwrap_err().to_string(),
        "bit width 65 is outside 1..=64"
    );
    assert_eq!(
        PackedVec::new(3)
            .unwrap()
            .try_push(8)
            .unwrap_err()
            .to_string(),
        "value 8 does not fit in 3 bits (the largest is 7)"
    );
}

#[test]
fn packed_vec_is_compact_and_unpacks_large_runs() {
    // Fewer values under Miri, which interprets every one.
    let n = if cfg!(miri) { 20_000 } else { 100_000 };
    let values: Vec<u64> = perfkit_testkit::u64_array(n, 1)
        .iter()
        .map(|v| v & 0x7FF)
        .collect();
    let p = PackedVec::from_slice(11, &values).unwrap();
    // 11 bits per value (plus one spare word).
    assert!(p.heap_bytes() <= n * 11 / 8 + 16, "{}", p.heap_bytes());
    let mut out = vec![0; values.len()];
    assert_eq!(p.unpack(0, &mut out), values.len());
    assert_eq!(out, values);
    let mut out = vec![0; 1000];
    assert_eq!(p.unpack(12_345, &mut out), 1000);
    assert_eq!(out, &values[12_345..13_345]);
}

#[test]
fn bitset_equality_ignores_capacity() {
    let mut a = BitSet::with_capacity(10_000);
    let b: BitSet = [3, 70].into_iter().collect();
    a.insert(3);
    a.insert(70);
    assert_eq!(a, b);
    assert!(a.capacity() >= 10_000);
    assert_eq!(
        BitSet::from_words(vec![0b101, 0])
            .iter()
            .collect::<Vec<_>>(),
        [0, 2]
    );
    assert_eq!(b.as_words()[1], 1 << 6);
}
