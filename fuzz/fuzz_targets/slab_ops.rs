//! `Slab` under arbitrary operation sequences against a `HashMap` from handle to value,
//! meant for AddressSanitizer: insert, remove, get, get_mut, contains, clear, retain, iter,
//! iter_mut, with every handle ever returned kept and reused after its value went (stale
//! handles) and handles forged from arbitrary bits. Checked: a live handle finds its value,
//! a stale or forged one finds nothing (never the value that took its slot), no handle is
//! returned twice, values come back intact, and every value is dropped exactly once (removed
//! ones when removed, the rest when the slab drops).
#![no_main]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_memory::slab::{Handle, Slab};

/// Ids of the values dropped, since last taken.
static DROPPED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

fn take_dropped() -> Vec<u64> {
    std::mem::take(&mut *DROPPED.lock().unwrap())
}

/// A value: an id, a canary and some owned data (a missed drop leaks, a double drop
/// double-frees).
#[derive(Debug)]
struct Val {
    id: u64,
    data: Box<[u64]>,
}

impl Val {
    fn new(id: u64, len: u8) -> Self {
        Self {
            id,
            data: vec![!id; usize::from(len % 8) + 1].into(),
        }
    }
    fn intact(&self) -> bool {
        self.data.iter().all(|&w| w == !self.id)
    }
}

impl Drop for Val {
    fn drop(&mut self) {
        assert!(self.intact(), "value {} corrupted", self.id);
        DROPPED.lock().unwrap().push(self.id);
    }
}

#[derive(Debug, Arbitrary)]
enum Op {
    Insert(u8),
    /// Removes by a handle ever returned (modulo their count): live or stale.
    Remove(u16),
    Get(u16),
    /// Replaces the value behind a handle through `get_mut`.
    Replace {
        handle: u16,
        len: u8,
    },
    /// `get` / `contains` / `remove` of `Handle::from_bits(bits)`.
    Forged(u64),
    /// A real handle's index with another generation.
    ForgedGeneration {
        handle: u16,
        generation: u32,
    },
    Clear,
    /// Keeps the values whose id has bit `bit % 8` set.
    Retain(u8),
    Iter,
    /// Rewrites every value through `iter_mut`.
    IterMut,
}

#[derive(Debug, Arbitrary)]
struct Input {
    capacity: Option<u8>,
    ops: Vec<Op>,
}

struct Model {
    values: HashMap<Handle<Val>, u64>,
    /// Every handle returned, in order.
    issued: Vec<Handle<Val>>,
    seen: HashSet<Handle<Val>>,
    next_id: u64,
}

impl Model {
    fn handle(&self, i: u16) -> Option<Handle<Val>> {
        (!self.issued.is_empty()).then(|| self.issued[usize::from(i) % self.issued.len()])
    }

    /// `get`, `contains` and `remove` of `h`, which is live only if the model says so.
    fn probe(&mut self, slab: &mut Slab<Val>, h: Handle<Val>, remove: bool) {
        let want = self.values.get(&h).copied();
        assert_eq!(slab.get(h).map(|v| v.id), want, "{h:?}");
        assert_eq!(slab.contains(h), want.is_some());
        assert_eq!(slab.get_mut(h).map(|v| v.id), want);
        if remove {
            let got = slab.remove(h);
            assert_eq!(got.as_ref().map(|v| v.id), want, "remove {h:?}");
            drop(got);
            if let Some(id) = want {
                self.values.remove(&h);
                assert_eq!(take_dropped(), [id]);
                assert!(slab.get(h).is_none(), "a removed handle is stale");
            }
        }
    }

    /// The drops since the last check must be exactly the values no longer in the model.
    fn dropped(&mut self, before: &HashMap<Handle<Val>, u64>) {
        let gone: BTreeSet<u64> = before
            .iter()
            .filter(|(h, _)| !self.values.contains_key(h))
            .map(|(_, &id)| id)
            .collect();
        let dropped = take_dropped();
        assert_eq!(dropped.len(), gone.len(), "each value dropped once");
        assert_eq!(dropped.into_iter().collect::<BTreeSet<u64>>(), gone);
    }
}

fn check_all(slab: &Slab<Val>, model: &Model) {
    assert_eq!(slab.len(), model.values.len());
    assert_eq!(slab.is_empty(), model.values.is_empty());
    let listed: Vec<(Handle<Val>, u64)> = slab.iter().map(|(h, v)| (h, v.id)).collect();
    assert_eq!(listed.len(), model.values.len());
    let mut last = None;
    for &(h, id) in &listed {
        assert_eq!(model.values.get(&h), Some(&id), "iter lists {h:?}");
        assert!(last < Some(h.index()), "iter goes in slot order");
        last = Some(h.index());
    }
    for &h in &model.issued {
        assert_eq!(slab.get(h).map(|v| v.id), model.values.get(&h).copied());
        if let Some(v) = slab.get(h) {
            assert!(v.intact());
        }
    }
}

fuzz_target!(|input: Input| {
    let _ = take_dropped();
    let mut slab = match input.capacity {
        Some(c) => Slab::with_capacity(c.into()),
        None => Slab::new(),
    };
    let mut model = Model {
        values: HashMap::new(),
        issued: Vec::new(),
        seen: HashSet::new(),
        next_id: 0,
    };
    for op in input.ops {
        match op {
            Op::Insert(len) => {
                model.next_id += 1;
                let h = slab.insert(Val::new(model.next_id, len));
                assert!(model.seen.insert(h), "{h:?} returned twice");
                assert_eq!(h.generation() % 2, 1);
                assert_eq!(Handle::<Val>::from_bits(h.to_bits()), h);
                model.values.insert(h, model.next_id);
                model.issued.push(h);
            }
            Op::Remove(i) => {
                if let Some(h) = model.handle(i) {
                    model.probe(&mut slab, h, true);
                }
            }
            Op::Get(i) => {
                if let Some(h) = model.handle(i) {
                    model.probe(&mut slab, h, false);
                }
            }
            Op::Replace { handle, len } => {
                if let Some(h) = model.handle(handle) {
                    model.next_id += 1;
                    let id = model.next_id;
                    match slab.get_mut(h) {
                        Some(v) => {
                            let old = std::mem::replace(v, Val::new(id, len));
                            assert_eq!(Some(&old.id), model.values.get(&h));
                            drop(old);
                            assert_eq!(take_dropped().len(), 1);
                            model.values.insert(h, id);
                        }
                        None => assert!(!model.values.contains_key(&h)),
                    }
                }
            }
            Op::Forged(bits) => {
                let h = Handle::from_bits(bits);
                assert_eq!(h.to_bits(), bits);
                model.probe(&mut slab, h, true);
            }
            Op::ForgedGeneration { handle, generation } => {
                if let Some(real) = model.handle(handle) {
                    let h =
                        Handle::from_bits((u64::from(generation) << 32) | u64::from(real.index()));
                    model.probe(&mut slab, h, false);
                }
            }
            Op::Clear => {
                let before = std::mem::take(&mut model.values);
                slab.clear();
                model.dropped(&before);
            }
            Op::Retain(bit) => {
                let before = model.values.clone();
                let keep = |id: u64| id >> (bit % 8) & 1 == 1;
                let mut visited = Vec::new();
                slab.retain(|h, v| {
                    visited.push((h, v.id));
                    keep(v.id)
                });
                visited.sort_by_key(|&(h, _)| h.index());
                let mut want: Vec<(Handle<Val>, u64)> =
                    before.iter().map(|(&h, &id)| (h, id)).collect();
                want.sort_by_key(|&(h, _)| h.index());
                assert_eq!(visited, want, "retain visits every value once");
                model.values.retain(|_, id| keep(*id));
                model.dropped(&before);
            }
            Op::Iter => check_all(&slab, &model),
            Op::IterMut => {
                let mut n = 0;
                for (h, v) in slab.iter_mut() {
                    assert_eq!(model.values.get(&h), Some(&v.id));
                    model.next_id += 1;
                    let old = std::mem::replace(v, Val::new(model.next_id, 3));
                    model.values.insert(h, model.next_id);
                    drop(old);
                    n += 1;
                }
                assert_eq!(n, model.values.len());
                assert_eq!(take_dropped().len(), n);
            }
        }
        assert_eq!(slab.len(), model.values.len());
        assert_eq!(take_dropped(), [], "an unexpected drop");
    }
    check_all(&slab, &model);
    let before = std::mem::take(&mut model.values);
    drop(slab);
    model.dropped(&before);
});
