//! loom models of perfkit-memory's two concurrent designs: `Pool`'s shared store behind
//! per-thread caches, and the tracking allocator's per-thread counter blocks.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p perfkit-memory --no-default-features --test
//! loom --release` (`.ci/run` does, in its own target directory; mimalloc is not needed).
//!
//! Under `--cfg loom` the crate takes its atomics, mutexes, cells and thread-locals from loom
//! (`src/sync.rs`), so these models run the production code of `src/pool/shared.rs` and
//! `src/tracking/`, and loom checks every `UnsafeCell`/`Cell` access of a pool cache for a
//! race as well as the asserts below. What each model leaves out is said on it.
#![cfg(loom)]

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};

use std::alloc::{GlobalAlloc, Layout, System};

use loom::sync::Arc;
use loom::thread;
use perfkit_memory::pool::{Pool, Pooled, Reset};
use perfkit_memory::tracking::{self, __loom_thread_exit, AllocStats, TrackingAllocator};

fn check(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // Three preemptions: each model runs in about 4 s in a release build
    // (`LOOM_MAX_PREEMPTIONS` overrides, for a deeper search by hand).
    if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

// --- Pool ----------------------------------------------------------------------------------

/// The test's own books for one execution (std atomics: bookkeeping, not part of the model).
#[derive(Default)]
struct Books {
    /// Objects the factory made.
    created: AtomicU64,
    /// Per object id: 1 once dropped.
    dropped: [AtomicU8; 16],
    /// Gets and returns begun so far.
    gets: AtomicU64,
    returns: AtomicU64,
}

impl Books {
    fn dropped(&self) -> u64 {
        self.dropped
            .iter()
            .map(|d| u64::from(d.load(Relaxed)))
            .sum()
    }
}

/// A pooled object that knows whether someone holds it, and checks it is dropped once.
struct Obj {
    id: usize,
    held: bool,
    books: std::sync::Arc<Books>,
}

impl Reset for Obj {
    fn reset(&mut self) {
        assert!(!self.held, "object {} returned while marked held", self.id);
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        assert_eq!(
            self.books.dropped[self.id].swap(1, Relaxed),
            0,
            "object {} dropped twice",
            self.id
        );
    }
}

fn take<'p>(pool: &'p Pool<Obj>, books: &Books) -> Pooled<'p, Obj> {
    books.gets.fetch_add(1, Relaxed);
    let mut obj = pool.get();
    assert!(!obj.held, "object {} handed out while held", obj.id);
    obj.held = true;
    obj
}

fn give_back(mut obj: Pooled<'_, Obj>, books: &Books) {
    obj.held = false;
    books.returns.fetch_add(1, Relaxed);
    drop(obj);
}

/// Two threads take and return objects through their caches and the shared store while
/// each is used by the other: thread A holds three at once (its third return spills the
/// cache: one object to the shared store, one discarded because the store is full) and
/// exits; thread B takes two, detaches one for good, reads the stats mid-way, and may adopt
/// A's cache if A has exited by its first get (loom checks every access to a cache's `hot`
/// and stack against the exited owner's: the adoption's release/acquire must order them).
/// After the joins the main thread uses the pool too (adopting an exited thread's cache once
/// loom has destroyed that thread's locals). Checked:
///
/// - no object is handed out while someone holds it (`held`), and none is dropped twice;
/// - stats read while another thread uses the pool stay within what was done. (They did not:
///   `stats` read a cache's `returns` before and its `spilled`/`discarded` after that cache's
///   owner returned objects and spilled, and the negative idle count wrapped to 2^64 - 1. The
///   per-cache differences now saturate at 0, which changes nothing while the pool is quiet.)
/// - after the joins: hits + misses = gets, returns = returns, misses = objects made, and
///   made = idle + discarded + detached; the objects dropped so far are exactly the
///   discarded and detached ones; dropping the pool drops exactly the `idle` others.
///
/// Not modelled: the pool used from a thread-local destructor (loom destroys all of a
/// thread's locals at once, so `ThreadAlive` then finds no slots to clear); pool ids, a
/// std atomic that only hands out distinct numbers.
#[test]
fn pool_objects_are_never_lost_or_shared() {
    check(|| {
        let books = std::sync::Arc::new(Books::default());
        let factory_books = books.clone();
        // max_idle 1 in the shared store, caches of 2 (one `hot` and one below it).
        let pool = Arc::new(Pool::with_thread_cache(1, 2, move || {
            let id = factory_books.created.fetch_add(1, Relaxed) as usize;
            Obj {
                id,
                held: false,
                books: factory_books.clone(),
            }
        }));

        let a = {
            let pool = pool.clone();
            let books = books.clone();
            thread::spawn(move || {
                let x = take(&pool, &books);
                let y = take(&pool, &books);
                let z = take(&pool, &books);
                give_back(x, &books);
                give_back(y, &books);
                give_back(z, &books);
            })
        };
        let b = {
            let pool = pool.clone();
            let books = books.clone();
            thread::spawn(move || {
                let x = take(&pool, &books);
                let y = take(&pool, &books);
                give_back(x, &books);
                let s = pool.stats();
                let (gets, returns) = (books.gets.load(Relaxed), books.returns.load(Relaxed));
                assert!(s.hits + s.misses <= gets, "{s:?} after {gets} gets");
                assert!(
                    s.returns <= returns && s.discarded <= s.returns,
                    "{s:?} after {returns} returns"
                );
                assert!(s.idle <= 2 * returns + 1, "{s:?} after {returns} returns");
                let mut kept = Pooled::into_inner(y);
                kept.held = false;
                drop(kept);
            })
        };
        a.join().unwrap();
        b.join().unwrap();
        let x = take(&pool, &books);
        give_back(x, &books);

        let s = pool.stats();
        let created = books.created.load(Relaxed);
        assert_eq!(s.hits + s.misses, books.gets.load(Relaxed), "{s:?}");
        assert_eq!(s.returns, books.returns.load(Relaxed), "{s:?}");
        assert_eq!(
            (s.misses, s.prefilled, s.detached),
            (created, 0, 1),
            "{s:?}"
        );
        assert_eq!(created, s.idle + s.discarded + s.detached, "{s:?}");
        assert_eq!(books.dropped(), s.discarded + s.detached, "{s:?}");
        drop(pool);
        assert_eq!(books.dropped(), created, "objects lost: {s:?}");
    });
}

// --- the tracking allocator -----------------------------------------------------------------

/// Larger than the 64 KiB a thread's live bytes may drift before it publishes them, so every
/// allocation and free here publishes, and the process peak follows every thread's exactly.
const BIG: usize = 70_000;
const FLUSH: u64 = 64 * 1024;

/// One allocation of `BIG` bytes and its free, counted by a `TrackingAllocator` called
/// directly (as the global allocator would be); the calling thread's counts after each.
fn alloc_and_free() -> (AllocStats, AllocStats) {
    let a = TrackingAllocator::new(System);
    let layout = Layout::from_size_align(BIG, 8).unwrap();
    // SAFETY: a non-zero size; the block is freed once, with the layout it was made with.
    unsafe {
        let p = a.alloc(layout);
        assert!(!p.is_null());
        let held = tracking::thread_stats();
        a.dealloc(p, layout);
        (held, tracking::thread_stats())
    }
}

/// A thread's own counts after `alloc_and_free` (exact: they are its own block's).
fn check_own(held: AllocStats, after: AllocStats) {
    assert_eq!(
        (held.allocations, held.bytes_allocated, held.live_bytes),
        (1, BIG as u64, BIG as u64)
    );
    assert_eq!(
        (
            after.deallocations,
            after.bytes_deallocated,
            after.live_bytes
        ),
        (1, BIG as u64, 0)
    );
    assert_eq!(after.peak_live_bytes, BIG as u64);
}

/// The per-thread counter blocks: registration (claiming a block, adding and linking
/// segments), counting, publishing live bytes and the peak, and retirement (the block handed
/// back and claimed again), against a reader of the process totals.
///
/// Under loom a segment holds one block, so registration adds segments: the main thread takes
/// the first block, then threads A and B race to link a second segment (the loser frees its
/// own and claims again). A allocates and frees, then retires; B allocates, reads the process
/// totals while A may be retiring, and frees; after both are joined, thread C claims a retired
/// block. Checked:
///
/// - each thread's own counts are exact, and C's start from zero on a block that has had an
///   owner before;
/// - B's reading of the totals lies between what B knows was done and what will have been
///   done, and its peak is at least its live bytes;
/// - after the joins the process totals are exactly the sum of what every thread did (nothing
///   lost at retirement, nothing counted twice), the live bytes are zero, and the peak is at
///   least every thread's own peak, at most the most that was ever live at once, and within
///   the documented 64 KiB per thread of every live total B read.
///
/// Not modelled: the allocator installed as `#[global_allocator]` (calls made by the
/// allocator's own bookkeeping, thread-local destructors that allocate), the heap profiler,
/// and the forwarding to mimalloc. Segments come from the system allocator for real (and,
/// as in production, are never freed). A thread retires by `__loom_thread_exit()`, the code
/// its exit runs, rather than when loom destroys its locals: loom drops the statics (the
/// first segment, the shared block, the global live bytes and peak) as soon as the model's
/// main closure returns, which can come before a joined thread's locals are destroyed
/// (tokio-rs/loom#152).
#[test]
fn tracking_counts_survive_registration_and_retirement() {
    check(|| {
        let (held, after) = alloc_and_free();
        check_own(held, after);

        let a = thread::spawn(|| {
            let (held, after) = alloc_and_free();
            check_own(held, after);
            __loom_thread_exit();
        });
        let b = thread::spawn(|| {
            let alloc = TrackingAllocator::new(System);
            let layout = Layout::from_size_align(BIG, 8).unwrap();
            // SAFETY: as in `alloc_and_free`.
            let p = unsafe { alloc.alloc(layout) };
            assert!(!p.is_null());
            let seen = tracking::stats();
            // SAFETY: as in `alloc_and_free`.
            unsafe { alloc.dealloc(p, layout) };
            let own = tracking::thread_stats();
            assert_eq!(
                (own.allocations, own.deallocations, own.live_bytes),
                (1, 1, 0),
                "{own:?}"
            );
            assert_eq!(own.peak_live_bytes, BIG as u64, "{own:?}");
            // At least the main thread's pair and B's allocation; at most everything but C's.
            let big = BIG as u64;
            assert!((2..=3).contains(&seen.allocations), "{seen:?}");
            assert!((1..=2).contains(&seen.deallocations), "{seen:?}");
            assert!(
                (2 * big..=3 * big).contains(&seen.bytes_allocated),
                "{seen:?}"
            );
            assert!(
                seen.live_bytes <= 2 * big && seen.peak_live_bytes >= seen.live_bytes,
                "{seen:?}"
            );
            __loom_thread_exit();
            seen
        });
        a.join().unwrap();
        let seen = b.join().unwrap();

        let c = thread::spawn(|| {
            assert_eq!(tracking::thread_stats(), AllocStats::default());
            let (held, after) = alloc_and_free();
            check_own(held, after);
            __loom_thread_exit();
        });
        c.join().unwrap();

        let total = tracking::stats();
        let big = BIG as u64;
        assert_eq!(
            (total.allocations, total.deallocations, total.reallocations),
            (4, 4, 0),
            "{total:?}"
        );
        assert_eq!(
            (total.bytes_allocated, total.bytes_deallocated),
            (4 * big, 4 * big),
            "{total:?}"
        );
        assert_eq!(total.live_bytes, 0, "{total:?}");
        assert!(
            (big..=2 * big).contains(&total.peak_live_bytes),
            "{total:?}"
        );
        assert!(
            total.peak_live_bytes + 2 * FLUSH >= seen.live_bytes,
            "{total:?} after {seen:?}"
        );
        __loom_thread_exit();
    });
}
