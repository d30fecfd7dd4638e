//! perfkit-memory against the crates people use for the same job: bump arenas (bumpalo,
//! typed-arena), object pools (object-pool, lockfree-object-pool), slot maps (slotmap), and
//! the plain-Rust baseline (`naive`: a `Box`/`Vec` from the system allocator each time, or a
//! `HashMap`). This target keeps the system allocator as its global allocator.
//!
//! After the criterion groups, paired comparisons (`perfkit_benches::paired`):
//! `arena_alloc_32b_paired`, `arena_alloc_32b_drop_paired` and
//! `slab_insert_get_remove_paired`, the ratio targets with contenders in alternating rounds;
//! and `alloc_churn_paired` / `alloc_churn_2threads_paired`, the allocation churn of the
//! `memory_alloc_*` targets paired across one worker program per global allocator.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group};
use perfkit_benches::churn::{OPS, Pass, Worker};
use perfkit_memory::{Arena, LocalPool, Pool, Slab};
use perfkit_testkit::{DEFAULT_SEED, Rng};

/// 32 bytes without a destructor.
type Plain = [u64; 4];

/// 32 bytes with a destructor that cannot be optimised away.
struct Dropper([u64; 4]);

impl Drop for Dropper {
    #[inline]
    fn drop(&mut self) {
        black_box(self.0[0]);
    }
}

const ARENA_N: usize = 1_000_000;

fn arena_alloc(c: &mut Criterion) {
    let mut g = c.benchmark_group("arena_alloc_32b");
    g.throughput(Throughput::Elements(ARENA_N as u64));
    g.sampling_mode(SamplingMode::Flat).sample_size(20);
    g.bench_function(BenchmarkId::new("naive", ARENA_N), |b| {
        b.iter(|| {
            let mut all: Vec<Box<Plain>> = Vec::with_capacity(ARENA_N);
            for i in 0..ARENA_N as u64 {
                all.push(black_box(Box::new([i; 4])));
            }
            drop(all);
        });
    });
    g.bench_function(BenchmarkId::new("bumpalo", ARENA_N), |b| {
        b.iter(fill_bumpalo);
    });
    g.bench_function(BenchmarkId::new("perfkit", ARENA_N), |b| {
        b.iter(fill_arena);
    });
    g.finish();
}

fn arena_drop(c: &mut Criterion) {
    let mut g = c.benchmark_group("arena_alloc_32b_drop");
    g.throughput(Throughput::Elements(ARENA_N as u64));
    g.sampling_mode(SamplingMode::Flat).sample_size(20);
    g.bench_function(BenchmarkId::new("naive", ARENA_N), |b| {
        b.iter(|| {
            let mut all: Vec<Box<Dropper>> = Vec::with_capacity(ARENA_N);
            for i in 0..ARENA_N as u64 {
                all.push(black_box(Box::new(Dropper([i; 4]))));
            }
            drop(all);
        });
    });
    g.bench_function(BenchmarkId::new("typed-arena", ARENA_N), |b| {
        b.iter(fill_typed_arena);
    });
    g.bench_function(BenchmarkId::new("perfkit", ARENA_N), |b| {
        b.iter(fill_arena_with_drop);
    });
    g.finish();
}

/// Get + return cycles per criterion iteration (the figure is per cycle via the throughput).
const CYCLES: usize = 10_000;
const BUF: usize = 1024;

fn new_buf() -> Vec<u8> {
    Vec::with_capacity(BUF)
}

/// One get + return cycle: the object is handed to `black_box` (so it must exist) and goes
/// back, reset, when the guard drops. Written once for every pool type.
macro_rules! cycle {
    ($get:expr) => {{
        let v = $get;
        black_box(&*v);
    }};
}

fn pool_get_return(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_get_return_vec1k");
    g.throughput(Throughput::Elements(CYCLES as u64));
    g.bench_function(BenchmarkId::new("naive", CYCLES), |b| {
        b.iter(|| {
            for _ in 0..CYCLES {
                let v = Vec::<u8>::with_capacity(BUF);
                black_box(&v);
            }
        });
    });
    let op = object_pool::Pool::new(64, new_buf);
    g.bench_function(BenchmarkId::new("object-pool", CYCLES), |b| {
        b.iter(|| {
            for _ in 0..CYCLES {
                let mut v = op.pull(new_buf);
                black_box(&*v);
                v.clear(); // object-pool does not reset; the others do this on return
            }
        });
    });
    let linear = lockfree_object_pool::LinearObjectPool::new(new_buf, |v| v.clear());
    g.bench_function(
        BenchmarkId::new("lockfree-object-pool/linear", CYCLES),
        |b| {
            b.iter(|| (0..CYCLES).for_each(|_| cycle!(linear.pull())));
        },
    );
    let spin = lockfree_object_pool::SpinLockObjectPool::new(new_buf, |v| v.clear());
    g.bench_function(
        BenchmarkId::new("lockfree-object-pool/spin_lock", CYCLES),
        |b| {
            b.iter(|| (0..CYCLES).for_each(|_| cycle!(spin.pull())));
        },
    );
    let mutex = lockfree_object_pool::MutexObjectPool::new(new_buf, |v| v.clear());
    g.bench_function(
        BenchmarkId::new("lockfree-object-pool/mutex", CYCLES),
        |b| {
            b.iter(|| (0..CYCLES).for_each(|_| cycle!(mutex.pull())));
        },
    );
    let local = LocalPool::new(64, new_buf);
    g.bench_function(BenchmarkId::new("perfkit/local", CYCLES), |b| {
        b.iter(|| (0..CYCLES).for_each(|_| cycle!(local.get())));
    });
    let pool = Pool::new(64, new_buf);
    g.bench_function(BenchmarkId::new("perfkit/pool", CYCLES), |b| {
        b.iter(|| (0..CYCLES).for_each(|_| cycle!(pool.get())));
    });
    g.finish();
}

const THREADS: usize = 2;

/// Runs `iters × CYCLES` cycles on each of `THREADS` threads at once and returns the wall time.
fn on_threads(iters: u64, work: impl Fn() + Sync) -> Duration {
    let barrier = std::sync::Barrier::new(THREADS + 1);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..iters {
                    work();
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        start.elapsed()
    })
}

fn pool_get_return_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_get_return_vec1k_2threads");
    g.throughput(Throughput::Elements((CYCLES * THREADS) as u64));
    g.bench_function(BenchmarkId::new("naive", CYCLES * THREADS), |b| {
        b.iter_custom(|iters| {
            on_threads(iters, || {
                for _ in 0..CYCLES {
                    let v = Vec::<u8>::with_capacity(BUF);
                    black_box(&v);
                }
            })
        });
    });
    let op = object_pool::Pool::new(64, new_buf);
    g.bench_function(BenchmarkId::new("object-pool", CYCLES * THREADS), |b| {
        b.iter_custom(|iters| {
            on_threads(iters, || {
                for _ in 0..CYCLES {
                    let mut v = op.pull(new_buf);
                    black_box(&*v);
                    v.clear();
                }
            })
        });
    });
    let linear = lockfree_object_pool::LinearObjectPool::new(new_buf, |v| v.clear());
    g.bench_function(
        BenchmarkId::new("lockfree-object-pool/linear", CYCLES * THREADS),
        |b| {
            b.iter_custom(|iters| {
                on_threads(iters, || (0..CYCLES).for_each(|_| cycle!(linear.pull())))
            });
        },
    );
    let spin = lockfree_object_pool::SpinLockObjectPool::new(new_buf, |v| v.clear());
    g.bench_function(
        BenchmarkId::new("lockfree-object-pool/spin_lock", CYCLES * THREADS),
        |b| {
            b.iter_custom(|iters| {
                on_threads(iters, || (0..CYCLES).for_each(|_| cycle!(spin.pull())))
            });
        },
    );
    let mutex = lockfree_object_pool::MutexObjectPool::new(new_buf, |v| v.clear());
    g.bench_function(
        BenchmarkId::new("lockfree-object-pool/mutex", CYCLES * THREADS),
        |b| {
            b.iter_custom(|iters| {
                on_threads(iters, || (0..CYCLES).for_each(|_| cycle!(mutex.pull())))
            });
        },
    );
    let pool = Pool::new(64, new_buf);
    g.bench_function(BenchmarkId::new("perfkit/pool", CYCLES * THREADS), |b| {
        b.iter_custom(|iters| on_threads(iters, || (0..CYCLES).for_each(|_| cycle!(pool.get()))));
    });
    g.finish();
}

const SLAB_N: usize = 100_000;

/// Insert `SLAB_N` values, read them all back in insertion order, remove them all in a seeded
/// random order; the container is reused across iterations (steady state, free list warm).
fn slab(c: &mut Criterion) {
    let mut g = c.benchmark_group("slab_insert_get_remove");
    g.throughput(Throughput::Elements(SLAB_N as u64));
    let order = &removal_order();

    let mut map: HashMap<u64, u64> = HashMap::with_capacity(SLAB_N);
    let mut keys: Vec<u64> = Vec::with_capacity(SLAB_N);
    let mut next_key = 0_u64;
    g.bench_function(BenchmarkId::new("naive", SLAB_N), |b| {
        b.iter(|| {
            keys.clear();
            for i in 0..SLAB_N as u64 {
                next_key += 1;
                map.insert(next_key, i);
                keys.push(next_key);
            }
            let mut sum = 0;
            for k in &keys {
                sum += map.get(k).copied().unwrap_or(0);
            }
            for &j in order {
                sum += map.remove(&keys[j]).unwrap_or(0);
            }
            black_box(sum)
        });
    });

    let mut sm = SlotMap::with_capacity(SLAB_N);
    let mut sm_keys = Vec::with_capacity(SLAB_N);
    g.bench_function(BenchmarkId::new("slotmap", SLAB_N), |b| {
        b.iter(|| black_box(cycle_slotmap(&mut sm, &mut sm_keys, order)));
    });

    let mut slab: Slab<u64> = Slab::with_capacity(SLAB_N);
    let mut handles = Vec::with_capacity(SLAB_N);
    g.bench_function(BenchmarkId::new("perfkit", SLAB_N), |b| {
        b.iter(|| black_box(cycle_slab(&mut slab, &mut handles, order)));
    });
    g.finish();
}

// ---- contender bodies, shared by the criterion groups and the paired comparisons ----

fn fill_bumpalo() {
    let bump = bumpalo::Bump::new();
    for i in 0..ARENA_N as u64 {
        black_box(bump.alloc([i; 4]));
    }
    drop(bump);
}

fn fill_arena() {
    let arena = Arena::new();
    for i in 0..ARENA_N as u64 {
        black_box(arena.alloc([i; 4]));
    }
    drop(arena);
}

fn fill_typed_arena() {
    let arena = typed_arena::Arena::new();
    for i in 0..ARENA_N as u64 {
        black_box(arena.alloc(Dropper([i; 4])));
    }
    drop(arena);
}

fn fill_arena_with_drop() {
    let arena = Arena::new();
    for i in 0..ARENA_N as u64 {
        black_box(arena.alloc_with_drop(Dropper([i; 4])));
    }
    drop(arena);
}

/// A seeded permutation of `0..SLAB_N`: the order the slab benches remove in.
fn removal_order() -> Vec<usize> {
    let mut order: Vec<usize> = (0..SLAB_N).collect();
    let mut rng = Rng::new(DEFAULT_SEED);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    order
}

type SlotMap = slotmap::SlotMap<slotmap::DefaultKey, u64>;

fn cycle_slotmap(sm: &mut SlotMap, keys: &mut Vec<slotmap::DefaultKey>, order: &[usize]) -> u64 {
    keys.clear();
    for i in 0..SLAB_N as u64 {
        keys.push(sm.insert(i));
    }
    let mut sum = 0;
    for &k in keys.iter() {
        sum += sm.get(k).copied().unwrap_or(0);
    }
    for &j in order {
        sum += sm.remove(keys[j]).unwrap_or(0);
    }
    sum
}

fn cycle_slab(
    slab: &mut Slab<u64>,
    handles: &mut Vec<perfkit_memory::Handle<u64>>,
    order: &[usize],
) -> u64 {
    handles.clear();
    for i in 0..SLAB_N as u64 {
        handles.push(slab.insert(i));
    }
    let mut sum = 0;
    for &h in handles.iter() {
        sum += slab.get(h).copied().unwrap_or(0);
    }
    for &j in order {
        sum += slab.remove(handles[j]).unwrap_or(0);
    }
    sum
}

/// Paired comparisons (see `perfkit_benches::paired`) of the ratio targets, contenders timed
/// in alternating rounds: the arenas and the slab within this binary, and the allocation
/// churn across one worker program per global allocator (`perfkit_benches::churn`).
fn paired_memory() {
    use perfkit_benches::paired::{Contender, compare};
    let arena: Vec<Contender<'_>> = vec![
        ("perfkit", Box::new(fill_arena)),
        ("bumpalo", Box::new(fill_bumpalo)),
    ];
    compare("arena_alloc_32b_paired", ARENA_N, arena);
    let drop_arena: Vec<Contender<'_>> = vec![
        ("perfkit", Box::new(fill_arena_with_drop)),
        ("typed-arena", Box::new(fill_typed_arena)),
    ];
    compare("arena_alloc_32b_drop_paired", ARENA_N, drop_arena);
    let order = &removal_order();
    let mut sm = SlotMap::with_capacity(SLAB_N);
    let mut sm_keys = Vec::with_capacity(SLAB_N);
    let mut slab: Slab<u64> = Slab::with_capacity(SLAB_N);
    let mut handles = Vec::with_capacity(SLAB_N);
    let slabs: Vec<Contender<'_>> = vec![
        (
            "perfkit",
            Box::new(|| {
                black_box(cycle_slab(&mut slab, &mut handles, order));
            }),
        ),
        (
            "slotmap",
            Box::new(|| {
                black_box(cycle_slotmap(&mut sm, &mut sm_keys, order));
            }),
        ),
    ];
    compare("slab_insert_get_remove_paired", SLAB_N, slabs);
    paired_churn("alloc_churn_paired", Pass::OneThread);
    paired_churn("alloc_churn_2threads_paired", Pass::TwoThreads);
}

/// Rounds of the paired churn comparisons: each round is one whole pass (~0.1 s) of every
/// allocator.
const CHURN_ROUNDS: usize = 41;

/// The allocation churn of `pass` paired across the worker programs: every round asks each
/// worker for one whole pass, in rotating order.
fn paired_churn(group: &str, pass: Pass) {
    use perfkit_benches::paired::{TimedContender, compare_timed, selected};
    if !selected(&format!("{group}/{OPS}")) {
        return;
    }
    let programs = [
        ("perfkit", env!("CARGO_BIN_EXE_churn-worker-perfkit")),
        ("mimalloc", env!("CARGO_BIN_EXE_churn-worker-mimalloc")),
        (
            "stats_alloc",
            env!("CARGO_BIN_EXE_churn-worker-stats_alloc"),
        ),
    ];
    let mut workers = Vec::new();
    for (name, program) in programs {
        match Worker::start(program) {
            Ok(w) => workers.push((name, w)),
            Err(e) => {
                eprintln!("{group}: cannot start {program}: {e}; comparison skipped");
                return;
            }
        }
    }
    // The heap profiler recording every allocation (one thread only: its table is behind one
    // lock). Its worker times nothing unless the benches were built with frame pointers; a
    // first pass finds out.
    if pass == Pass::OneThread {
        let program = env!("CARGO_BIN_EXE_churn-worker-heap");
        match Worker::start(program).and_then(|mut w| w.run(pass).map(|_| w)) {
            Ok(w) => workers.push(("perfkit/heap", w)),
            Err(e) => eprintln!("{group}: perfkit/heap left out: {e}"),
        }
    }
    let contenders: Vec<TimedContender<'_>> = workers
        .iter_mut()
        .map(|(name, w)| {
            let run: Box<dyn FnMut() -> Duration + '_> =
                Box::new(move || w.run(pass).unwrap_or_else(|e| panic!("{group}: {e}")));
            (*name, run)
        })
        .collect();
    compare_timed(group, OPS, CHURN_ROUNDS, contenders);
}

criterion_group! {
    name = benches;
    config = perfkit_benches::criterion();
    targets = arena_alloc, arena_drop, pool_get_return, pool_get_return_threads, slab
}
fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    paired_memory();
}
