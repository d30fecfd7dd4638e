//! `Pool` (the shared pool, with its per-thread cache) under arbitrary operation sequences on
//! one thread, plus a few get + return cycles on short-lived threads (whose caches are left
//! behind and adopted), meant for AddressSanitizer: get, write, return (guard drop),
//! `into_inner` (detach), `put` (of detached and of foreign objects), prefill, against a model
//! of the idle objects. Checked: an object is never out twice, always comes back reset, keeps
//! what was written to it while out, and is dropped exactly once (idle ones when the pool
//! drops, discarded ones at once, and only idle ones); a hit hands out an idle object and a
//! miss a new one, only when nothing is idle (before any other thread used the pool);
//! discards happen only with at least `max_idle` objects idle (exactly then without thread
//! caches); idle objects stay within `max_idle` plus one cache per thread; every counter of
//! `stats()` matches the model.
#![no_main]

#[path = "common/pool_object.rs"]
mod pool_object;

use std::collections::BTreeSet;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_memory::pool::{Pool, PoolStats, Pooled};
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
    /// A get, a write and a return on a new thread (at most 4 per input).
    OtherThread(Vec<u8>),
    Stats,
}

#[derive(Debug, Arbitrary)]
struct Input {
    max_idle: u8,
    /// `with_thread_cache(max_idle, cache % 17)` instead of `new(max_idle)` when given.
    cache: Option<u8>,
    ops: Vec<Op>,
}

#[derive(Default)]
struct Model {
    max_idle: usize,
    /// The per-thread cache size (0: none).
    cache: usize,
    /// Threads that have used the pool.
    threads: usize,
    idle: BTreeSet<u64>,
    stats: PoolStats,
}

impl Model {
    /// Object `id` was handed out (`made` the factory's output meanwhile).
    fn got(&mut self, id: u64, made: &[u64]) {
        if self.idle.remove(&id) {
            assert_eq!(made, [], "a hit made an object");
            self.stats.hits += 1;
        } else {
            assert_eq!(made, [id], "a miss makes a new object");
            if self.threads == 1 {
                assert!(self.idle.is_empty(), "a miss while objects were idle");
            }
            self.stats.misses += 1;
        }
        self.stats.idle = self.idle.len() as u64;
    }

    /// Object `id` went back to the pool: it stays idle, or objects idle (it included) are
    /// dropped when the pool is full.
    fn returned(&mut self, id: u64) {
        self.stats.returns += 1;
        let before = self.idle.len();
        self.idle.insert(id);
        let dropped = take(&DROPPED);
        for d in &dropped {
            assert!(self.idle.remove(d), "discarded object {d} was not idle");
        }
        if !dropped.is_empty() {
            assert!(before >= self.max_idle, "discarded with {before} idle");
        }
        if self.cache == 0 {
            assert_eq!(dropped.len(), usize::from(before >= self.max_idle));
        }
        self.stats.discarded += dropped.len() as u64;
        self.stats.idle = self.idle.len() as u64;
    }
}

/// A guard out of the pool and the bytes written to its object.
type Out<'a> = (Pooled<'a, Obj, Pool<Obj>>, Vec<u8>);

fn pick(n: u8, len: usize) -> Option<usize> {
    (len > 0).then(|| usize::from(n) % len)
}

fuzz_target!(|input: Input| {
    let max_idle = usize::from(input.max_idle % 80);
    let (pool, cache) = match input.cache {
        Some(c) => {
            let c = usize::from(c % 17);
            (Pool::with_thread_cache(max_idle, c, Obj::made), c)
        }
        None => (Pool::new(max_idle, Obj::made), max_idle.min(64)),
    };
    assert_eq!(pool.max_idle(), max_idle);
    let mut model = Model {
        max_idle,
        cache,
        threads: 1,
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
                model.got(g.id, &take(&MADE));
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
                pool.prefill(n.into());
                let made = take(&MADE);
                assert!(made.len() <= usize::from(n).min(max_idle), "prefill({n})");
                model.idle.extend(&made);
                model.stats.prefilled += made.len() as u64;
                model.stats.idle = model.idle.len() as u64;
            }
            Op::OtherThread(bytes) => {
                if model.threads <= 4 {
                    model.threads += 1;
                    let (id, made) = std::thread::scope(|s| {
                        s.spawn(|| {
                            let mut g = pool.get();
                            g.check();
                            assert!(g.data.is_empty(), "handed out reset");
                            let id = g.id;
                            let made = take(&MADE);
                            g.data.extend_from_slice(&bytes);
                            (id, made)
                        })
                        .join()
                        .expect("the thread's checks pass")
                    });
                    assert!(out.iter().all(|(o, _)| o.id != id), "handed out twice");
                    model.got(id, &made);
                    model.returned(id);
                }
            }
            Op::Stats => {}
        }
        assert_eq!(pool.stats(), model.stats);
        assert!(model.idle.len() <= max_idle + cache * model.threads);
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
