//! `LocalPool` under arbitrary operation sequences, meant for AddressSanitizer: get, write,
//! return (guard drop), `into_inner` (detach), `put` (of detached and of foreign objects),
//! prefill, against a model of the idle objects. Checked: an object is never out twice,
//! always comes back reset, keeps what was written to it while out, and is dropped exactly
//! once (idle ones when the pool drops, discarded ones at once); a get is a miss exactly
//! when nothing is idle; a return is discarded exactly when `max_idle` objects are idle;
//! prefill fills to `min(n, max_idle)`; every counter of `stats()` matches the model.
#![no_main]

#[path = "common/pool_object.rs"]
mod pool_object;

use std::collections::BTreeSet;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_memory::pool::{LocalPool, PoolStats, Pooled};
use pool_object::{DROPPED, LIVE, MADE, Obj, take};

#[derive(Debug, Arbitrary)]
enum Op {
    Get,
    Write {
        guard: u8,
        bytes: Vec<u8>,
    },
    /// Drops guard `guard` (modulo the guards out): the object returns.
    Return(u8),
    /// `Pooled::into_inner` of a guard.
    Detach(u8),
    /// `put` of a detached object.
    PutDetached(u8),
    /// `put` of an object the pool did not make, holding `data`.
    PutForeign(Vec<u8>),
    DropDetached(u8),
    Prefill(u8),
    Stats,
}

#[derive(Debug, Arbitrary)]
struct Input {
    max_idle: u8,
    ops: Vec<Op>,
}

#[derive(Default)]
struct Model {
    max_idle: usize,
    idle: BTreeSet<u64>,
    stats: PoolStats,
}

impl Model {
    /// An object went back to the pool: it stays idle, or (with `max_idle` idle already) it
    /// or an idle one is dropped.
    fn returned(&mut self, id: u64) {
        self.stats.returns += 1;
        let full = self.idle.len() >= self.max_idle;
        self.idle.insert(id);
        let dropped = take(&DROPPED);
        if full {
            assert_eq!(
                dropped.len(),
                1,
                "a return to a full pool discards one object"
            );
            assert!(
                self.idle.remove(&dropped[0]),
                "the discarded object was idle"
            );
            self.stats.discarded += 1;
        } else {
            assert_eq!(dropped, [], "a return below max_idle keeps the object");
        }
        self.stats.idle = self.idle.len() as u64;
    }
}

/// A guard out of the pool and the bytes written to its object.
type Out<'a> = (Pooled<'a, Obj, LocalPool<Obj>>, Vec<u8>);

fn pick(n: u8, len: usize) -> Option<usize> {
    (len > 0).then(|| usize::from(n) % len)
}

fuzz_target!(|input: Input| {
    let max_idle = usize::from(input.max_idle % 33);
    let pool = LocalPool::new(max_idle, Obj::made);
    assert_eq!(pool.max_idle(), max_idle);
    let mut model = Model {
        max_idle,
        ..Model::default()
    };
    // The guards out, each with what was written to it.
    let mut out: Vec<Out<'_>> = Vec::new();
    let mut detached: Vec<Obj> = Vec::new();
    for op in input.ops {
        match op {
            Op::Get => {
                let g = pool.get();
                g.check();
                assert!(g.data.is_empty(), "handed out reset");
                assert!(out.iter().all(|(o, _)| o.id != g.id), "handed out twice");
                let made = take(&MADE);
                if model.idle.remove(&g.id) {
                    assert_eq!(made, []);
                    model.stats.hits += 1;
                } else {
                    assert_eq!(made, [g.id], "a miss makes a new object");
                    assert!(model.idle.is_empty(), "a miss while objects were idle");
                    model.stats.misses += 1;
                }
                model.stats.idle = model.idle.len() as u64;
                out.push((g, Vec::new()));
            }
            Op::Write { guard, bytes } => {
                if let Some(i) = pick(guard, out.len()) {
                    out[i].0.data.extend_from_slice(&bytes);
                    out[i].1.extend_from_slice(&bytes);
                }
            }
            Op::Return(guard) => {
                if let Some(i) = pick(guard, out.len()) {
                    let (g, want) = out.swap_remove(i);
                    assert_eq!(g.data, want, "kept what was written");
                    let id = g.id;
                    drop(g);
                    model.returned(id);
                }
            }
            Op::Detach(guard) => {
                if let Some(i) = pick(guard, out.len()) {
                    let (g, want) = out.swap_remove(i);
                    let obj = Pooled::into_inner(g);
                    assert_eq!(obj.data, want);
                    model.stats.detached += 1;
                    detached.push(obj);
                }
            }
            Op::PutDetached(j) => {
                if let Some(j) = pick(j, detached.len()) {
                    let obj = detached.swap_remove(j);
                    let id = obj.id;
                    pool.put(obj);
                    model.returned(id);
                }
            }
            Op::PutForeign(data) => {
                let obj = Obj::new(data);
                let id = obj.id;
                pool.put(obj);
                model.returned(id);
            }
            Op::DropDetached(j) => {
                if let Some(j) = pick(j, detached.len()) {
                    let id = detached[j].id;
                    drop(detached.swap_remove(j));
                    assert_eq!(take(&DROPPED), [id]);
                }
            }
            Op::Prefill(n) => {
                let before = model.idle.len();
                pool.prefill(n.into());
                let made = take(&MADE);
                let target = usize::from(n).min(max_idle);
                assert_eq!(made.len(), target.saturating_sub(before), "prefill({n})");
                model.idle.extend(&made);
                model.stats.prefilled += made.len() as u64;
                model.stats.idle = model.idle.len() as u64;
            }
            Op::Stats => {}
        }
        assert_eq!(pool.stats(), model.stats);
        assert!(model.idle.len() <= max_idle);
        assert_eq!(take(&DROPPED), [], "an unexpected drop");
    }
    let stats = pool.stats();
    assert_eq!(stats.created(), stats.misses + stats.prefilled);
    // Return everything: the idle objects are then dropped with the pool.
    for (g, _) in out.drain(..) {
        let id = g.id;
        drop(g);
        model.returned(id);
    }
    assert_eq!(pool.stats(), model.stats);
    drop(out);
    drop(pool);
    let dropped: BTreeSet<u64> = take(&DROPPED).into_iter().collect();
    assert_eq!(
        dropped, model.idle,
        "the pool drops exactly its idle objects"
    );
    drop(detached);
    let _ = take(&DROPPED);
    assert!(LIVE.lock().unwrap().is_empty(), "every object dropped");
});
