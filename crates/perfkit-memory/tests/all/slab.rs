use std::collections::HashMap;

use perfkit_memory::slab::{Handle, Slab};
use proptest::prelude::*;

#[test]
fn stale_handles_after_remove_and_reuse_return_none() {
    let mut slab = Slab::new();
    let a = slab.insert(String::from("a"));
    let b = slab.insert(String::from("b"));
    assert_eq!(slab.remove(a).as_deref(), Some("a"));
    assert_eq!(slab.remove(a), None, "second remove finds nothing");
    let c = slab.insert(String::from("c"));
    assert_eq!(c.index(), a.index(), "the freed slot is reused");
    assert_ne!(c.generation(), a.generation());
    assert_eq!(slab.get(a), None);
    assert_eq!(slab.get_mut(a), None);
    assert!(!slab.contains(a));
    assert_eq!(slab.remove(a), None);
    assert_eq!(slab.get(c).map(String::as_str), Some("c"));
    assert_eq!(slab.get(b).map(String::as_str), Some("b"));
    // Many rounds on one slot: every old handle stays dead.
    let mut old = vec![a, c];
    let mut h = c;
    for i in 0..100 {
        slab.remove(h);
        h = slab.insert(format!("{i}"));
        assert_eq!(h.index(), a.index());
        assert!(old.iter().all(|&o| slab.get(o).is_none()));
        old.push(h);
    }
    assert_eq!(slab.len(), 2);
    // A handle made from arbitrary bits finds nothing (or the live value it names).
    assert_eq!(slab.get(Handle::from_bits(u64::MAX)), None);
    assert_eq!(Handle::<String>::from_bits(h.to_bits()), h);
}

#[test]
fn clear_and_retain_invalidate_handles() {
    let mut slab = Slab::with_capacity(8);
    let hs: Vec<_> = (0..10).map(|i| slab.insert(i)).collect();
    slab.retain(|_, v| *v % 2 == 0);
    assert_eq!(slab.len(), 5);
    for (i, &h) in hs.iter().enumerate() {
        assert_eq!(slab.get(h).copied(), (i % 2 == 0).then_some(i));
    }
    for (_, v) in slab.iter_mut() {
        *v += 100;
    }
    let mut seen: Vec<usize> = slab.iter().map(|(_, v)| *v).collect();
    seen.sort_unstable();
    assert_eq!(seen, [100, 102, 104, 106, 108]);
    slab.clear();
    assert!(slab.is_empty());
    assert!(hs.iter().all(|&h| slab.get(h).is_none()));
    let again = slab.insert(1);
    assert!(hs.iter().all(|&h| h != again));
    assert!(format!("{slab:?}").contains("Handle("));
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u32),
    Remove(usize),
    Get(usize),
    Mutate(usize, u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<u32>().prop_map(Op::Insert),
        2 => any::<usize>().prop_map(Op::Remove),
        2 => any::<usize>().prop_map(Op::Get),
        1 => (any::<usize>(), any::<u32>()).prop_map(|(i, v)| Op::Mutate(i, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

    /// The slab behaves like a map from handles to values in which removed handles stay
    /// removed forever, whatever the slot reuse.
    #[test]
    fn matches_a_hashmap_model(ops in proptest::collection::vec(op(), 0..300)) {
        let mut slab = Slab::new();
        let mut model: HashMap<Handle<u32>, u32> = HashMap::new();
        let mut issued: Vec<Handle<u32>> = Vec::new();
        for op in ops {
            match op {
                Op::Insert(v) => {
                    let h = slab.insert(v);
                    prop_assert!(!issued.contains(&h), "handle {h:?} issued twice");
                    issued.push(h);
                    model.insert(h, v);
                }
                Op::Remove(i) if !issued.is_empty() => {
                    let h = issued[i % issued.len()];
                    prop_assert_eq!(slab.remove(h), model.remove(&h));
                }
                Op::Get(i) if !issued.is_empty() => {
                    let h = issued[i % issued.len()];
                    prop_assert_eq!(slab.get(h), model.get(&h));
                }
                Op::Mutate(i, v) if !issued.is_empty() => {
                    let h = issued[i % issued.len()];
                    if let Some(x) = slab.get_mut(h) { *x = v; }
                    if let Some(x) = model.get_mut(&h) { *x = v; }
                }
                _ => {}
            }
            prop_assert_eq!(slab.len(), model.len());
        }
        for h in &issued {
            prop_assert_eq!(slab.get(*h), model.get(h));
        }
        let mut listed: Vec<_> = slab.iter().map(|(h, v)| (h.to_bits(), *v)).collect();
        let mut expected: Vec<_> = model.iter().map(|(h, v)| (h.to_bits(), *v)).collect();
        listed.sort_unstable();
        expected.sort_unstable();
        prop_assert_eq!(listed, expected);
    }
}
