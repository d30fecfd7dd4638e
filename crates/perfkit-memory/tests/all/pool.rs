use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use perfkit_memory::pool::{LocalPool, Pool, Pooled, Reset};

/// A pooled object that knows who it is and whether it was reset.
#[derive(Debug)]
struct Obj {
    id: usize,
    dirty: bool,
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    made: AtomicUsize,
    resets: AtomicU64,
    drops: AtomicUsize,
}

impl Reset for Obj {
    fn reset(&mut self) {
        self.dirty = false;
        self.counters.resets.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        self.counters.drops.fetch_add(1, Ordering::Relaxed);
    }
}

fn factory(counters: &Arc<Counters>) -> impl Fn() -> Obj + Send + Sync + 'static {
    let counters = counters.clone();
    move || Obj {
        id: counters.made.fetch_add(1, Ordering::Relaxed),
        dirty: false,
        counters: counters.clone(),
    }
}

#[test]
fn local_pool_resets_on_every_return_and_bounds_idle() {
    let counters = Arc::new(Counters::default());
    let pool = LocalPool::new(3, factory(&counters));
    pool.prefill(2);
    assert_eq!(pool.stats().prefilled, 2);
    assert_eq!(pool.stats().idle, 2);
    {
        let mut guards: Vec<_> = (0..5).map(|_| pool.get()).collect();
        for g in &mut guards {
            assert!(!g.dirty, "handed out clean");
            g.dirty = true;
        }
        let mut ids: Vec<_> = guards.iter().map(|g| g.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 5, "no object handed out twice");
    }
    let s = pool.stats();
    assert_eq!((s.hits, s.misses, s.returns), (2, 3, 5));
    assert_eq!(s.idle, 3, "idle bounded by max_idle");
    assert_eq!(s.discarded, 2);
    assert_eq!(
        counters.resets.load(Ordering::Relaxed),
        5,
        "reset on every return"
    );
    assert_eq!(counters.drops.load(Ordering::Relaxed), 2);
    let kept = Pooled::into_inner(pool.get());
    assert!(!kept.dirty);
    let s = pool.stats();
    assert_eq!(s.detached, 1);
    assert_eq!(s.created(), s.idle + s.discarded + s.detached);
    assert_eq!(s.outstanding(), 0);
    pool.put(kept);
    assert_eq!(pool.stats().idle, 3);
    assert_eq!(pool.max_idle(), 3);
    drop(pool);
    assert_eq!(
        counters.drops.load(Ordering::Relaxed),
        5,
        "every object dropped once"
    );
    assert_eq!(counters.made.load(Ordering::Relaxed), 5);
}

#[test]
fn zero_max_idle_keeps_nothing() {
    let counters = Arc::new(Counters::default());
    let local = LocalPool::new(0, factory(&counters));
    let shared = Pool::new(0, factory(&counters));
    for _ in 0..3 {
        drop(local.get());
        drop(shared.get());
    }
    for s in [local.stats(), shared.stats()] {
        assert_eq!(
            (s.misses, s.returns, s.discarded, s.idle),
            (3, 3, 3, 0),
            "{s:?}"
        );
    }
    assert_eq!(counters.drops.load(Ordering::Relaxed), 6);
}

#[test]
fn idle_objects_never_exceed_max_idle() {
    for max in [1, 2, 5] {
        let pool = LocalPool::new(max, Vec::<u8>::new);
        for n in 0..12 {
            let held: Vec<_> = (0..n).map(|_| pool.get()).collect();
            drop(held);
            let s = pool.stats();
            assert_eq!(s.idle, n.min(max) as u64, "max_idle {max}: {s:?}");
            assert_eq!(s.hits + s.misses, (0..=n).sum::<usize>() as u64);
            assert_eq!(s.created(), s.idle + s.discarded, "{s:?}");
        }
    }
}

#[test]
fn local_pool_hands_back_the_most_recently_returned_object_first() {
    let counters = Arc::new(Counters::default());
    let pool = LocalPool::new(8, factory(&counters));
    let guards: Vec<_> = (0..4).map(|_| pool.get()).collect();
    let ids: Vec<usize> = guards.iter().map(|g| g.id).collect();
    drop(guards); // returned in order: ids[0] first, ids[3] last
    let again: Vec<usize> = (0..4).map(|_| Pooled::into_inner(pool.get()).id).collect();
    assert_eq!(again, ids.iter().rev().copied().collect::<Vec<_>>());
    let s = pool.stats();
    assert_eq!((s.hits, s.misses, s.idle, s.detached), (4, 4, 0, 4));
}

#[test]
fn pool_single_thread_basics() {
    let counters = Arc::new(Counters::default());
    let pool = Pool::with_thread_cache(4, 2, factory(&counters));
    pool.prefill(10);
    assert_eq!(pool.stats().idle, 4, "prefill stops at max_idle");
    let guards: Vec<_> = (0..8).map(|_| pool.get()).collect();
    let s = pool.stats();
    assert_eq!((s.hits, s.misses), (4, 4));
    drop(guards);
    let s = pool.stats();
    assert_eq!(s.returns, 8);
    assert!(
        s.idle <= 4 + 2,
        "idle bounded by max_idle + thread cache: {s:?}"
    );
    assert_eq!(s.created(), s.idle + s.discarded + s.detached);
    assert_eq!(counters.resets.load(Ordering::Relaxed), 8);
    assert!(format!("{pool:?}").contains("max_idle"));
    let obj = Pooled::into_inner(pool.get());
    pool.put(obj);
    assert_eq!(pool.stats().returns, 9);
}

/// Small thread caches (the top slot plus `cap - 1` below it) at their limits: holding `n`
/// objects and returning them spills to the shared store and discards past `max_idle`, and
/// the counters still add up after every round.
#[test]
fn pool_small_thread_caches_stay_bounded() {
    for cap in [1, 2, 3, 5] {
        for max in [0, 1, 4] {
            let counters = Arc::new(Counters::default());
            let pool = Pool::with_thread_cache(max, cap, factory(&counters));
            let mut gets = 0;
            for n in 0..12 {
                let held: Vec<_> = (0..n).map(|_| pool.get()).collect();
                gets += n as u64;
                drop(held);
                let s = pool.stats();
                assert!(
                    s.idle <= (max + cap) as u64,
                    "cap {cap} max {max} n {n}: {s:?}"
                );
                assert_eq!(s.hits + s.misses, gets, "cap {cap} max {max} n {n}: {s:?}");
                assert_eq!(s.returns, gets, "cap {cap} max {max} n {n}: {s:?}");
                assert_eq!(
                    s.created(),
                    s.idle + s.discarded,
                    "cap {cap} max {max}: {s:?}"
                );
                let live =
                    counters.made.load(Ordering::Relaxed) - counters.drops.load(Ordering::Relaxed);
                assert_eq!(live as u64, s.idle, "cap {cap} max {max} n {n}: {s:?}");
            }
        }
    }
}

/// Hammers one pool from `threads` threads, each holding a few objects at a time, and checks
/// that no object is ever handed to two holders, every object comes back reset, and the
/// counters add up.
fn stress(threads: usize, rounds: usize) {
    // Every object the pool can ever make has an id below this (the pool makes at most one
    // per get).
    let max_ids = threads * rounds * 4 + 64;
    let counters = Arc::new(Counters::default());
    let pool = Pool::with_thread_cache(8, 4, factory(&counters));
    pool.prefill(4);
    let in_use: Vec<AtomicBool> = (0..max_ids).map(|_| AtomicBool::new(false)).collect();
    let barrier = Barrier::new(threads);
    let gets = AtomicU64::new(0);
    let detached_objs = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..threads {
            let (pool, in_use, barrier, gets, detached_objs, max_ids) =
                (&pool, &in_use, &barrier, &gets, &detached_objs, max_ids);
            s.spawn(move || {
                barrier.wait();
                let mut local_gets = 0;
                for r in 0..rounds {
                    let hold = 1 + (r + t) % 4;
                    let mut held = Vec::with_capacity(hold);
                    for _ in 0..hold {
                        let mut g = pool.get();
                        local_gets += 1;
                        assert!(g.id < max_ids);
                        assert!(
                            !in_use[g.id].swap(true, Ordering::AcqRel),
                            "object {} handed out twice",
                            g.id
                        );
                        assert!(!g.dirty, "object {} not reset", g.id);
                        g.dirty = true;
                        held.push(g);
                    }
                    for (k, g) in held.into_iter().enumerate() {
                        in_use[g.id].store(false, Ordering::Release);
                        if (r * 7 + k + t) % 97 == 0 {
                            detached_objs.lock().unwrap().push(Pooled::into_inner(g));
                        } else {
                            drop(g);
                        }
                    }
                }
                gets.fetch_add(local_gets, Ordering::Relaxed);
            });
        }
    });
    let s = pool.stats();
    let gets = gets.load(Ordering::Relaxed);
    let detached = detached_objs.lock().unwrap().len() as u64;
    assert_eq!(s.hits + s.misses, gets, "{s:?}");
    assert_eq!(s.detached, detached, "{s:?}");
    assert_eq!(s.returns, gets - detached, "{s:?}");
    assert_eq!(
        counters.resets.load(Ordering::Relaxed),
        s.returns,
        "reset on every return"
    );
    let made = counters.made.load(Ordering::Relaxed) as u64;
    assert_eq!(s.created(), made, "{s:?}");
    assert_eq!(s.outstanding(), 0, "no object lost: {s:?}");
    assert_eq!(made, s.idle + s.discarded + s.detached, "{s:?}");
    assert_eq!(counters.drops.load(Ordering::Relaxed) as u64, s.discarded);
    assert!(s.idle <= 8 + 4 * threads as u64, "idle bounded: {s:?}");
    // Dropping the pool drops exactly the idle objects; the detached ones are ours.
    drop(pool);
    assert_eq!(
        counters.drops.load(Ordering::Relaxed) as u64,
        s.discarded + s.idle
    );
    drop(detached_objs);
    assert_eq!(counters.drops.load(Ordering::Relaxed) as u64, made);
}

#[test]
fn pool_stress_2_threads() {
    stress(2, crate::scaled(20_000, 30));
}

#[test]
fn pool_stress_8_threads() {
    stress(8, crate::scaled(5_000, 10));
}

#[test]
fn exited_threads_caches_are_adopted() {
    let counters = Arc::new(Counters::default());
    let pool = Arc::new(Pool::with_thread_cache(100, 16, factory(&counters)));
    // `join` (unlike the end of a thread scope) waits until the thread's thread-locals are
    // destroyed, which is when it gives up its cache.
    let p = pool.clone();
    std::thread::spawn(move || {
        let gs: Vec<_> = (0..10).map(|_| p.get()).collect();
        drop(gs); // ten idle objects stay in this thread's cache
    })
    .join()
    .unwrap();
    assert_eq!(pool.stats().idle, 10);
    // A new thread adopts the exited thread's cache and reuses its objects.
    let p = pool.clone();
    std::thread::spawn(move || {
        let gs: Vec<_> = (0..10).map(|_| p.get()).collect();
        assert_eq!(p.stats().misses, 10, "all ten were reused");
        drop(gs);
    })
    .join()
    .unwrap();
    let s = pool.stats();
    assert_eq!((s.hits, s.misses, s.idle), (10, 10, 10));
}

#[test]
fn guard_dropped_in_thread_local_destructor() {
    // A pooled object held in a thread-local is returned while the thread's thread-locals
    // are torn down, in whatever order.
    use std::cell::RefCell;
    static POOL: std::sync::LazyLock<Pool<Vec<u8>>> =
        std::sync::LazyLock::new(|| Pool::new(8, Vec::new));
    thread_local! {
        static HELD: RefCell<Option<Pooled<'static, Vec<u8>>>> = const { RefCell::new(None) };
    }
    std::thread::spawn(|| {
        let mut g = POOL.get();
        g.push(1);
        HELD.with(|h| *h.borrow_mut() = Some(g));
    })
    .join()
    .unwrap();
    let s = POOL.stats();
    assert_eq!((s.misses, s.returns, s.idle), (1, 1, 1), "{s:?}");
    assert!(POOL.get().is_empty(), "returned reset");
}
