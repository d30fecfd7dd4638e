//! The derived container's columns are fields that any code in the deriving module can reach.
//! Changing them behind the container's back (a new `Vec` in one column, one column
//! shrunk, cleared or truncated) must never let a later `push` write outside a column's
//! buffer: `push` asks each column for room itself, and the generated code holds no `unsafe`
//! at all (perfkit-layout-derive's unit tests check its expansions for the keyword). These
//! tests run under Miri in `.ci/run`, which reports any out-of-bounds write.

use perfkit_layout::Soa;

#[derive(Soa, Debug, Clone, PartialEq)]
pub struct Sample {
    pub id: u64,
    pub name: String,
    pub weight: f32,
}

fn sample(i: u64) -> Sample {
    Sample {
        id: i,
        name: format!("s{i}"),
        weight: i as f32,
    }
}

fn filled(n: u64) -> SampleSoa {
    let mut soa = SampleSoa::with_capacity(8);
    for i in 0..n {
        soa.push(sample(i));
    }
    soa
}

/// The last value of each column after a push (each column takes its own next slot).
fn last(soa: &SampleSoa) -> (Option<u64>, Option<String>, Option<f32>) {
    (
        soa.id.last().copied(),
        soa.name.last().cloned(),
        soa.weight.last().copied(),
    )
}

#[test]
fn push_after_a_column_is_replaced_by_an_empty_vec() {
    let mut soa = filled(5);
    // Capacity 8 and length 5 everywhere; the new `Vec` has neither.
    soa.name = Vec::new();
    for i in 5..40 {
        soa.push(sample(i));
    }
    assert_eq!(soa.id.len(), 40);
    assert_eq!(soa.name.len(), 35);
    assert_eq!(soa.weight.len(), 40);
    assert_eq!(last(&soa), (Some(39), Some("s39".into()), Some(39.0)));
}

#[test]
fn push_after_a_column_is_shrunk_cleared_or_truncated() {
    let mut soa = filled(6);
    soa.id.shrink_to_fit();
    soa.weight.truncate(2);
    soa.weight.shrink_to_fit();
    soa.name.clear();
    soa.name.shrink_to_fit();
    for i in 6..20 {
        soa.push(sample(i));
    }
    assert_eq!(
        (soa.id.len(), soa.name.len(), soa.weight.len()),
        (20, 14, 16)
    );
    assert_eq!(last(&soa), (Some(19), Some("s19".into()), Some(19.0)));
    // The container's own view follows its first column; reads of the shorter columns are
    // bounds-checked (`None`, not a wild read).
    assert_eq!(soa.len(), 20);
    assert!(soa.get(19).is_none());
    assert_eq!(soa.get(13).map(|r| r.name.clone()), Some("s19".to_string()));
}

#[test]
fn push_after_a_column_is_swapped_with_another_containers() {
    let mut big = filled(7);
    let mut small = SampleSoa::new();
    std::mem::swap(&mut big.weight, &mut small.weight);
    for i in 7..12 {
        big.push(sample(i));
        small.push(sample(100 + i));
    }
    assert_eq!((big.id.len(), big.weight.len()), (12, 5));
    assert_eq!((small.id.len(), small.weight.len()), (5, 12));
    assert_eq!(big.weight.last(), Some(&11.0));
    assert_eq!(small.weight.last(), Some(&111.0));
}

#[test]
fn extend_and_pop_after_tampering() {
    let mut soa = filled(3);
    soa.id = Vec::with_capacity(1);
    soa.extend((3..10).map(sample));
    assert_eq!(
        (soa.id.len(), soa.name.len(), soa.weight.len()),
        (7, 10, 10)
    );
    // `pop` stops at the first empty column; nothing is read out of bounds.
    while soa.pop().is_some() {}
    assert_eq!((soa.id.len(), soa.name.len(), soa.weight.len()), (0, 3, 3));
}
