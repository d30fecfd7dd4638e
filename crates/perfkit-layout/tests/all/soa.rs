//! `#[derive(Soa)]` against a `Vec<Row>` model.

use perfkit_layout::Soa;
use proptest::prelude::*;

#[derive(Soa, Debug, Clone, PartialEq)]
pub struct Row {
    pub a: u32,
    pub b: String,
    c: i64,
}

fn row(a: u32, b: &str, c: i64) -> Row {
    Row {
        a,
        b: b.to_string(),
        c,
    }
}

fn rows_of(soa: &RowSoa) -> Vec<Row> {
    soa.iter().map(|r| r.to_owned_row()).collect()
}

#[derive(Debug, Clone)]
enum Op {
    Push(u32, String, i64),
    Pop,
    SwapRemove(usize),
    Remove(usize),
    Swap(usize, usize),
    RetainA(u32),
    SortByKeyA,
    SortByBDesc,
    Truncate(usize),
    Set(usize, i64),
    Extend(Vec<(u32, i64)>),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u32..20, "[a-c]{0,3}", any::<i64>()).prop_map(|(a, b, c)| Op::Push(a, b, c)),
        1 => Just(Op::Pop),
        1 => any::<usize>().prop_map(Op::SwapRemove),
        1 => any::<usize>().prop_map(Op::Remove),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Swap(a, b)),
        1 => (1u32..5).prop_map(Op::RetainA),
        1 => Just(Op::SortByKeyA),
        1 => Just(Op::SortByBDesc),
        1 => (0usize..40).prop_map(Op::Truncate),
        1 => (any::<usize>(), any::<i64>()).prop_map(|(i, c)| Op::Set(i, c)),
        1 => prop::collection::vec((0u32..20, any::<i64>()), 0..8).prop_map(Op::Extend),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 3 } else { 200 }))]

    #[test]
    fn every_operation_matches_a_vec_model(ops in prop::collection::vec(op(), 0..60)) {
        let mut soa = RowSoa::new();
        let mut model: Vec<Row> = Vec::new();
        for op in ops {
            match op {
                Op::Push(a, b, c) => {
                    soa.push(row(a, &b, c));
                    model.push(row(a, &b, c));
                }
                Op::Pop => prop_assert_eq!(soa.pop(), model.pop()),
                Op::SwapRemove(i) => {
                    if !model.is_empty() {
                        let i = i % model.len();
                        prop_assert_eq!(soa.swap_remove(i), model.swap_remove(i));
                    }
                }
                Op::Remove(i) => {
                    if !model.is_empty() {
                        let i = i % model.len();
                        prop_assert_eq!(soa.remove(i), model.remove(i));
                    }
                }
                Op::Swap(i, j) => {
                    if !model.is_empty() {
                        let (i, j) = (i % model.len(), j % model.len());
                        soa.swap(i, j);
                        model.swap(i, j);
                    }
                }
                Op::RetainA(m) => {
                    let mut seen = Vec::new();
                    soa.retain(|r| { seen.push(*r.a); *r.a % m != 0 });
                    // Visits every row once, in order.
                    prop_assert_eq!(seen, model.iter().map(|r| r.a).collect::<Vec<_>>());
                    model.retain(|r| r.a % m != 0);
                }
                Op::SortByKeyA => {
                    soa.sort_by_key(|r| *r.a);
                    model.sort_by_key(|r| r.a); // both stable: identical order
                }
                Op::SortByBDesc => {
                    soa.sort_by(|x, y| y.b.cmp(x.b));
                    model.sort_by(|x, y| y.b.cmp(&x.b));
                }
                Op::Truncate(n) => {
                    soa.truncate(n);
                    model.truncate(n);
                }
                Op::Set(i, c) => {
                    let got = soa.get_mut(i).map(|r| { *r.c = c; });
                    let want = model.get_mut(i).map(|r| { r.c = c; });
                    prop_assert_eq!(got, want);
                }
                Op::Extend(v) => {
                    soa.extend(v.iter().map(|&(a, c)| row(a, "x", c)));
                    model.extend(v.iter().map(|&(a, c)| row(a, "x", c)));
                }
                Op::Clear => {
                    soa.clear();
                    model.clear();
                }
            }
            prop_assert_eq!(soa.len(), model.len());
            prop_assert_eq!(soa.is_empty(), model.is_empty());
            prop_assert_eq!(rows_of(&soa), model.clone());
        }
        // Whole-container views agree with the model too.
        let cols = soa.columns();
        prop_assert_eq!(cols.a.to_vec(), model.iter().map(|r| r.a).collect::<Vec<_>>());
        prop_assert_eq!(cols.c.to_vec(), model.iter().map(|r| r.c).collect::<Vec<_>>());
        for (i, r) in model.iter().enumerate() {
            prop_assert_eq!(soa.get(i).map(|x| x.to_owned_row()), Some(r.clone()));
            prop_assert_eq!(cols.get(i).map(|x| x.to_owned_row()), Some(r.clone()));
        }
        prop_assert!(soa.get(model.len()).is_none());
        let back: Vec<Row> = soa.iter().rev().map(|r| r.to_owned_row()).collect();
        prop_assert_eq!(back, model.iter().rev().cloned().collect::<Vec<_>>());
        let rebuilt: RowSoa = model.iter().cloned().collect();
        prop_assert_eq!(&rebuilt, &soa);
        prop_assert_eq!(soa.clone().into_iter().collect::<Vec<_>>(), model);
    }

    #[test]
    fn chunks_exact_cover_every_row_once(n in 0usize..100, size in 1usize..10) {
        let mut soa: RowSoa = (0..n as u32).map(|a| row(a, "", i64::from(a))).collect();
        let chunks = soa.chunks_exact(size);
        prop_assert_eq!(chunks.len(), n / size);
        let rem = chunks.remainder().a.to_vec();
        let mut seen: Vec<u32> = Vec::new();
        for c in chunks {
            prop_assert_eq!(c.len(), size);
            prop_assert_eq!(c.a.len(), c.c.len());
            seen.extend_from_slice(c.a);
        }
        seen.extend_from_slice(&rem);
        prop_assert_eq!(seen, (0..n as u32).collect::<Vec<_>>());

        // The mutable flavour writes through to every row, remainder included.
        let mut chunks = soa.chunks_exact_mut(size);
        for c in chunks.by_ref() {
            for (a, cc) in c.a.iter_mut().zip(c.c.iter_mut()) {
                *a += 1000;
                *cc = -1;
            }
        }
        let rem = chunks.into_remainder();
        for a in rem.a.iter_mut() {
            *a += 1000;
        }
        prop_assert!(soa.columns().a.iter().all(|&a| a >= 1000));
        prop_assert_eq!(soa.columns().c.iter().filter(|&&c| c == -1).count(), n - n % size);
    }
}

#[test]
fn split_borrows_of_different_columns_compile_and_work() {
    let mut soa = RowSoa::with_capacity(4);
    assert!(soa.capacity() >= 4);
    soa.push(row(1, "one", 10));
    soa.push(row(2, "two", 20));
    let cols = soa.columns_mut();
    // `a` and `c` mutably, `b` shared, all at once.
    for ((a, c), b) in cols.a.iter_mut().zip(cols.c.iter_mut()).zip(cols.b.iter()) {
        *a += b.len() as u32;
        *c += i64::from(*a);
    }
    assert_eq!(soa.columns().a, &[4, 5]);
    assert_eq!(soa.columns().c, &[14, 25]);
    let (head, tail) = soa.columns_mut().split_at_mut(1);
    head.a[0] = tail.a[0];
    assert_eq!(soa.get(0).unwrap().a, &5);
    for mut r in &mut soa {
        r.set(row(0, "z", 0));
    }
    assert!(soa.iter().all(|r| r.to_owned_row() == row(0, "z", 0)));
}

#[test]
fn debug_default_clone_partial_eq() {
    let mut soa = RowSoa::default();
    assert!(soa.is_empty());
    soa.push(row(7, "q", -1));
    assert_eq!(
        format!("{soa:?}"),
        r#"RowSoa { a: [7], b: ["q"], c: [-1] }"#
    );
    assert_eq!(
        format!("{:?}", soa.get(0).unwrap()),
        r#"RowRef { a: 7, b: "q", c: -1 }"#
    );
    let copy = soa.clone();
    assert_eq!(copy, soa);
    *soa.get_mut(0).unwrap().a = 8;
    assert_ne!(copy, soa);
    assert_eq!(soa.iter().len(), 1);
    assert!(format!("{:?}", soa.iter()).contains("remaining: 1"));
}

/// Generic structs (lifetimes, type and const parameters, where clauses) carry over.
#[derive(Soa, Debug, Clone, PartialEq)]
pub struct Tagged<'a, T, const N: usize>
where
    T: Copy,
{
    pub name: &'a str,
    pub values: [T; N],
}

#[test]
fn generic_structs_get_generic_containers() {
    let names = [String::from("a"), String::from("b")];
    let mut soa: TaggedSoa<'_, u16, 3> = TaggedSoa::new();
    soa.push(Tagged {
        name: &names[0],
        values: [1, 2, 3],
    });
    soa.push(Tagged {
        name: &names[1],
        values: [4, 5, 6],
    });
    soa.sort_by_key(|r| core::cmp::Reverse(r.values[0]));
    assert_eq!(soa.columns().name, &["b", "a"]);
    assert_eq!(
        soa.pop(),
        Some(Tagged {
            name: "a",
            values: [1, 2, 3]
        })
    );
    let sum: u16 = soa.iter().map(|r| r.values.iter().sum::<u16>()).sum();
    assert_eq!(sum, 15);
}

/// A field type with none of the optional traits: the container still works; only the
/// impls that need them (`Debug`, `Clone`, `PartialEq`) are unavailable.
struct Opaque(u8);

#[derive(Soa)]
struct Plain {
    id: u32,
    payload: Opaque,
}

#[test]
fn fields_without_optional_traits_are_fine() {
    let mut soa = PlainSoa::new();
    soa.push(Plain {
        id: 1,
        payload: Opaque(9),
    });
    soa.push(Plain {
        id: 2,
        payload: Opaque(8),
    });
    soa.sort_by_key(|r| r.payload.0);
    assert_eq!(soa.columns().id, &[2, 1]);
    let Plain { id, payload } = soa.swap_remove(0);
    assert_eq!((id, payload.0), (2, 8));
}

#[test]
#[should_panic(expected = "swap_remove index (is 3) should be < len (is 1)")]
fn swap_remove_out_of_bounds_panics_like_vec() {
    let mut soa = RowSoa::new();
    soa.push(row(1, "", 1));
    let _ = soa.swap_remove(3);
}

mod visibility {
    use perfkit_layout::Soa;

    #[derive(Soa)]
    pub(crate) struct Inner {
        pub(crate) x: f32,
    }
}

#[test]
fn visibility_carries_over() {
    let mut s = visibility::InnerSoa::new();
    s.push(visibility::Inner { x: 1.0 });
    assert_eq!(s.columns().x, &[1.0]);
}

/// Columns of different element sizes (so `Vec`'s growth gives them different capacities),
/// one of them zero-sized and one that owns heap memory.
#[derive(Soa, Debug, Clone, PartialEq)]
pub struct Mixed {
    pub small: u8,
    pub wide: u64,
    pub unit: (),
    pub name: String,
}

fn mixed(i: usize) -> Mixed {
    Mixed {
        small: i as u8,
        wide: (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        unit: (),
        name: i.to_string(),
    }
}

#[derive(Debug, Clone)]
enum Start {
    New,
    WithCapacity(usize),
    Reserve(usize),
    ShrunkAfter(usize),
    ClonedAfter(usize),
    TruncatedAfter(usize, usize),
    Collected(usize),
}

fn start() -> impl Strategy<Value = Start> {
    prop_oneof![
        Just(Start::New),
        (0usize..40).prop_map(Start::WithCapacity),
        (0usize..40).prop_map(Start::Reserve),
        (0usize..40).prop_map(Start::ShrunkAfter),
        (0usize..40).prop_map(Start::ClonedAfter),
        (0usize..40, 0usize..40).prop_map(|(n, k)| Start::TruncatedAfter(n, k)),
        (0usize..40).prop_map(Start::Collected),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 3 } else { 200 }))]

    /// `push` checks one cached capacity for every column: from any way of getting a
    /// container (each leaves the columns' capacities different), growing row by row keeps
    /// every column the same length and the contents equal to a `Vec` model.
    #[test]
    fn growth_from_every_starting_point_matches_a_vec_model(
        start in start(),
        pushes in 0usize..300,
        interleave in any::<bool>(),
    ) {
        let mut model: Vec<Mixed> = Vec::new();
        let mut soa = match start {
            Start::New => MixedSoa::new(),
            Start::WithCapacity(c) => {
                let s = MixedSoa::with_capacity(c);
                prop_assert!(s.capacity() >= c);
                s
            }
            Start::Reserve(c) => {
                let mut s = MixedSoa::new();
                s.reserve(c);
                prop_assert!(s.capacity() >= c);
                s
            }
            Start::ShrunkAfter(n) | Start::ClonedAfter(n) | Start::Collected(n) => {
                let mut s = MixedSoa::new();
                for i in 0..n {
                    s.push(mixed(i));
                    model.push(mixed(i));
                }
                match start {
                    Start::ShrunkAfter(_) => {
                        s.shrink_to_fit();
                        s
                    }
                    Start::ClonedAfter(_) => s.clone(),
                    _ => model.iter().cloned().collect(),
                }
            }
            Start::TruncatedAfter(n, k) => {
                let mut s: MixedSoa = (0..n).map(mixed).collect();
                model.extend((0..n).map(mixed));
                s.truncate(k);
                model.truncate(k);
                s
            }
        };
        for i in 0..pushes {
            soa.push(mixed(1000 + i));
            model.push(mixed(1000 + i));
            if interleave && i % 7 == 3 {
                prop_assert_eq!(soa.pop(), model.pop());
                soa.shrink_to_fit();
            }
            prop_assert_eq!(soa.len(), model.len());
            prop_assert!(soa.capacity() >= soa.len());
            let cols = soa.columns();
            prop_assert_eq!(
                (cols.small.len(), cols.wide.len(), cols.unit.len(), cols.name.len()),
                (model.len(), model.len(), model.len(), model.len())
            );
        }
        prop_assert_eq!(soa.iter().map(|r| r.to_owned_row()).collect::<Vec<_>>(), model.clone());
        prop_assert_eq!(soa.into_iter().collect::<Vec<_>>(), model);
    }
}

/// A value that counts its live instances and can be told to panic when cloned.
#[derive(Debug, PartialEq)]
struct Counted(u32);

static LIVE: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);

impl Counted {
    fn new(v: u32) -> Self {
        LIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self(v)
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        assert!(self.0 != 13, "clone of 13");
        Self::new(self.0)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[derive(Soa, Debug, Clone, PartialEq)]
struct Tracked {
    id: u16,
    value: Counted,
}

#[test]
fn growth_drops_every_value_once_and_a_panicking_clone_leaves_the_container_whole() {
    {
        let mut soa = TrackedSoa::new();
        for i in 0..1000u32 {
            soa.push(Tracked {
                id: i as u16,
                value: Counted::new(i % 13),
            });
        }
        assert_eq!(LIVE.load(std::sync::atomic::Ordering::SeqCst), 1000);
        // Every column moved through the same reallocations: nothing duplicated or lost.
        let copy = soa.clone();
        assert_eq!(LIVE.load(std::sync::atomic::Ordering::SeqCst), 2000);
        assert_eq!(copy, soa);
        drop(copy);

        soa.push(Tracked {
            id: 13,
            value: Counted::new(13),
        });
        let clone = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| soa.clone()));
        assert!(clone.is_err());
        // The partial clone was dropped; the original is untouched and still grows.
        assert_eq!(LIVE.load(std::sync::atomic::Ordering::SeqCst), 1001);
        assert_eq!(soa.len(), 1001);
        soa.push(Tracked {
            id: 7,
            value: Counted::new(7),
        });
        let cols = soa.columns();
        assert_eq!((cols.id.len(), cols.value.len()), (1002, 1002));
        assert_eq!(cols.value[1000].0, 13);
        assert_eq!(soa.pop().map(|t| t.id), Some(7));
    }
    assert_eq!(LIVE.load(std::sync::atomic::Ordering::SeqCst), 0);
}
