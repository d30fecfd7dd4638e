//! [`Pool`]: the thread-safe pool, with its per-thread caches.

use std::cell::Cell;
use std::fmt;
use std::sync::{Arc, PoisonError};

use super::{PoolStats, Pooled, Recycle, Reset, sealed};
// Loom's types under `--cfg loom` (`tests/loom.rs` model-checks this module), std's otherwise.
use crate::sync::{self, AtomicBool, AtomicU64, Mutex, MutexGuard, Ordering, UnsafeCell};

/// A counter written by one thread at a time and read by any: an increment is a plain load
/// and store (no read-modify-write), so it costs what a `Cell` does.
#[derive(Default)]
struct OwnedCounter(AtomicU64);

impl OwnedCounter {
    #[inline(always)]
    fn bump(&self) {
        self.add(1);
    }
    #[inline(always)]
    fn add(&self, n: u64) {
        self.0
            .store(self.0.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// One thread's cache of idle objects for one pool.
struct ThreadCache<T> {
    /// The most recently returned idle object, on top of `items` (as in
    /// [`LocalPool`](super::LocalPool)): a get takes it and a return puts its object here,
    /// moving the one already here onto `items`, so a steady get + return cycle carries one
    /// pointer through memory from one cycle to the next and leaves the length of `items`
    /// alone. Accessed only by the owning thread.
    hot: sync::Cell<Option<Box<T>>>,
    /// Idle objects under `hot`; with it, at most the pool's `cache_cap` (capacity reserved
    /// up front, so pushes never allocate). Accessed only by the owning thread (see
    /// `Pool::cache`), or with `&mut Pool`.
    items: UnsafeCell<Vec<Box<T>>>,
    // Counters (other threads read them for `stats()`; the idle count is derived from them,
    // so the hot path writes just one counter per get and one per return):
    // idle = returns - discarded + refilled - spilled - (gets - misses).
    /// Gets served through this cache (pops, plus misses).
    gets: OwnedCounter,
    /// Gets that found the cache and the shared store empty and made a new object.
    misses: OwnedCounter,
    /// Returns into this cache.
    returns: OwnedCounter,
    /// Objects moved in from the shared store / out to it.
    refilled: OwnedCounter,
    spilled: OwnedCounter,
    /// Objects dropped from this cache because the shared store was full.
    discarded: OwnedCounter,
    detached: OwnedCounter,
}

impl<T> ThreadCache<T> {
    fn new(cap: usize) -> Self {
        Self {
            hot: sync::Cell::new(None),
            items: UnsafeCell::new(Vec::with_capacity(cap)),
            gets: OwnedCounter::default(),
            misses: OwnedCounter::default(),
            returns: OwnedCounter::default(),
            refilled: OwnedCounter::default(),
            spilled: OwnedCounter::default(),
            discarded: OwnedCounter::default(),
            detached: OwnedCounter::default(),
        }
    }
}

/// Set to `false` (release) when its thread's thread-locals are destroyed; after that the
/// thread never touches a cache again.
struct ThreadAlive(Arc<AtomicBool>);

impl Drop for ThreadAlive {
    fn drop(&mut self) {
        // Order matters: first make every later pool call on this thread take the shared path,
        // then hand the caches over. (`try_with` never fails here with std, whose `const`
        // thread-locals without `Drop` outlive every destructor; loom destroys all of a
        // thread's locals at once, and then no later pool call can come from this thread.)
        let _ = STATE.try_with(|s| s.set(THREAD_EXITED));
        let _ = SLOTS.try_with(|slots| slots.iter().for_each(|s| s.set((0, std::ptr::null()))));
        self.0.store(false, Ordering::Release);
    }
}

const THREAD_ACTIVE: u8 = 0;
const THREAD_EXITED: u8 = 1;
/// Slots in each thread's direct-mapped table of (pool id, cache) pairs.
const SLOT_COUNT: usize = 8;

sync::thread_local! {
    /// (pool id, that pool's cache for this thread). Pool ids start at 1; 0 is empty.
    static SLOTS: [Cell<(u64, *const ())>; SLOT_COUNT] =
        const { [const { Cell::new((0, std::ptr::null())) }; SLOT_COUNT] };
    static STATE: Cell<u8> = const { Cell::new(THREAD_ACTIVE) };
    static ALIVE: ThreadAlive = ThreadAlive(Arc::new(AtomicBool::new(true)));
}

/// std's atomic even under loom (a `static`, and nothing to model: a counter that only
/// hands out distinct ids).
static NEXT_POOL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

struct Entry<T> {
    cache: Box<ThreadCache<T>>,
    owner: Arc<AtomicBool>,
}

/// A thread-safe pool: a per-thread cache in front of a shared store.
///
/// Idle objects live in the calling thread's cache (at most `thread_cache` of them) and in
/// the shared store (at most `max_idle`), so the pool holds at most
/// `max_idle + thread_cache × threads` idle objects. A cache that runs empty takes a batch
/// from the shared store; one that runs full moves a batch there. When a thread exits, the
/// objects in its cache stay idle in the pool and the next thread to use it adopts that cache.
pub struct Pool<T: Reset> {
    /// Unique for the life of the process (never reused), so a thread's slot cannot match a
    /// dropped pool.
    id: u64,
    max_idle: usize,
    cache_cap: usize,
    factory: Box<dyn Fn() -> T + Send + Sync>,
    shared: Mutex<Vec<Box<T>>>,
    /// Every cache ever created for this pool. Entries are never removed (only adopted by a
    /// new thread once their owner has exited), so the boxed caches live as long as the pool.
    registry: Mutex<Vec<Entry<T>>>,
    // Counters for calls made on the shared path (threads whose thread-locals are gone).
    hits: AtomicU64,
    misses: AtomicU64,
    prefilled: AtomicU64,
    returns: AtomicU64,
    discarded: AtomicU64,
    detached: AtomicU64,
}

// SAFETY: the `UnsafeCell`s and `Cell`s inside the caches are only accessed by their owning
// thread or through `&mut Pool` (see `Pool::cache`); everything else is behind a `Mutex` or
// atomic (the counters other threads read are atomics).
// Objects move between threads, hence `T: Send`.
unsafe impl<T: Reset + Send> Sync for Pool<T> {}
// SAFETY: as above; the pool owns its objects and may drop them on any thread.
unsafe impl<T: Reset + Send> Send for Pool<T> {}

impl<T: Reset + Send> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("max_idle", &self.max_idle)
            .field("thread_cache", &self.cache_cap)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

fn lock<U>(m: &Mutex<U>) -> MutexGuard<'_, U> {
    // The pool's own code never panics while holding a lock; a poisoned lock still guards
    // consistent data.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The default per-thread cache size.
const DEFAULT_THREAD_CACHE: usize = 64;

impl<T: Reset + Send> Pool<T> {
    /// A pool whose shared store keeps at most `max_idle` idle objects, with per-thread caches
    /// of up to 64 (or `max_idle`, if smaller), making new objects with `factory`.
    pub fn new(max_idle: usize, factory: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self::with_thread_cache(max_idle, DEFAULT_THREAD_CACHE.min(max_idle), factory)
    }

    /// Like [`Pool::new`] with an explicit per-thread cache size (0 disables the caches).
    pub fn with_thread_cache(
        max_idle: usize,
        thread_cache: usize,
        factory: impl Fn() -> T + Send + Sync + 'static,
    ) -> Self {
        Self {
            id: NEXT_POOL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            max_idle,
            cache_cap: thread_cache,
            factory: Box::new(factory),
            shared: Mutex::new(Vec::new()),
            registry: Mutex::new(Vec::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            prefilled: AtomicU64::new(0),
            returns: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            detached: AtomicU64::new(0),
        }
    }

    /// The most idle objects the shared store keeps.
    #[must_use]
    pub fn max_idle(&self) -> usize {
        self.max_idle
    }

    /// Makes objects until the shared store holds `n` (never more than `max_idle`).
    pub fn prefill(&self, n: usize) {
        let target = n.min(self.max_idle);
        loop {
            if lock(&self.shared).len() >= target {
                return;
            }
            let value = Box::new((self.factory)());
            let mut shared = lock(&self.shared);
            if shared.len() >= target {
                drop(shared);
                drop(value);
                return;
            }
            shared.push(value);
            self.prefilled.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// This thread's cache for this pool, or `None` when the thread is exiting (or caches are
    /// disabled).
    #[inline(always)]
    fn cache(&self) -> Option<&ThreadCache<T>> {
        let slot = SLOTS.with(|s| s[self.id as usize % SLOT_COUNT].get());
        if slot.0 == self.id {
            // SAFETY: a slot holds this pool's id only if `cache_slow` of this pool stored it,
            // on this thread, pointing at a boxed `ThreadCache<T>` in `self.registry`; entries
            // are never removed while the pool lives (and `&self` proves it lives), and pool
            // ids are never reused. The entry belongs to this thread until `ThreadAlive` drops,
            // which clears the slot first. So the cache is alive and used by this thread only.
            Some(unsafe { &*slot.1.cast::<ThreadCache<T>>() })
        } else {
            self.cache_slow()
        }
    }

    #[cold]
    #[inline(never)]
    fn cache_slow(&self) -> Option<&ThreadCache<T>> {
        if self.cache_cap == 0 || STATE.with(Cell::get) == THREAD_EXITED {
            return None;
        }
        let alive = ALIVE.try_with(|a| Arc::clone(&a.0)).ok()?;
        let mut registry = lock(&self.registry);
        let index = if let Some(i) = registry.iter().position(|e| Arc::ptr_eq(&e.owner, &alive)) {
            i
        } else if let Some(i) = registry
            .iter()
            .position(|e| !e.owner.load(Ordering::Acquire))
        {
            // The owner has exited (its release store happened after its last use of the
            // cache, and this acquire load orders that use before ours): adopt the cache with
            // the idle objects in it.
            registry[i].owner = alive;
            i
        } else {
            registry.push(Entry {
                cache: Box::new(ThreadCache::new(self.cache_cap)),
                owner: alive,
            });
            registry.len() - 1
        };
        let cache: *const ThreadCache<T> = &*registry[index].cache;
        SLOTS.with(|s| s[self.id as usize % SLOT_COUNT].set((self.id, cache.cast())));
        // SAFETY: the box lives as long as the pool (entries are never removed), and it now
        // belongs to this thread (found by owner, adopted from an exited owner, or new).
        Some(unsafe { &*cache })
    }

    /// An object from the pool (or a new one), returned when the guard drops.
    #[inline(always)]
    pub fn get(&self) -> Pooled<'_, T, Self> {
        let value = match self.cache() {
            Some(cache) => {
                cache.gets.bump();
                match cache.hot.take() {
                    Some(value) => value,
                    None => self.pop_or_refill(cache),
                }
            }
            None => self.take_shared(),
        };
        Pooled::new(value, self)
    }

    /// `hot` is empty: take the top of the cache's stack, or refill it.
    #[inline(never)]
    fn pop_or_refill(&self, cache: &ThreadCache<T>) -> Box<T> {
        // SAFETY: this thread owns `cache` (see `Pool::cache`); the borrow ends within this
        // statement and runs no user code.
        match cache.items.with_mut(|items| unsafe { (*items).pop() }) {
            Some(value) => value,
            None => self.refill(cache),
        }
    }

    /// The cache (`hot` and the stack) is empty: move a batch from the shared store and take
    /// one, or make a new object.
    #[cold]
    #[inline(never)]
    fn refill(&self, cache: &ThreadCache<T>) -> Box<T> {
        let mut shared = lock(&self.shared);
        if shared.is_empty() {
            drop(shared);
            cache.misses.bump();
            return Box::new((self.factory)());
        }
        let batch = shared.len().min(self.cache_cap / 2).max(1);
        let from = shared.len() - batch;
        // SAFETY: this thread owns `cache` (see `Pool::cache`); the cache is empty and holds
        // capacity for `cache_cap >= batch` objects (`cache_cap >= 1` when caches are on), so
        // this only moves values, without allocating or running user code.
        let value = cache.items.with_mut(|items| unsafe {
            let items = &mut *items;
            items.extend(shared.drain(from..));
            items.pop()
        });
        drop(shared);
        cache.refilled.add(batch as u64);
        value.unwrap_or_else(|| unreachable!("the batch holds at least one object"))
    }

    fn take_shared(&self) -> Box<T> {
        if let Some(value) = lock(&self.shared).pop() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return value;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Box::new((self.factory)())
    }

    /// Gives the pool an object (one it did not make, or one taken out with
    /// [`Pooled::into_inner`]): resets it and keeps it, or drops it when the pool already
    /// holds its maximum of idle objects. Counts as a return.
    pub fn put(&self, value: T) {
        self.put_box(Box::new(value));
    }

    #[inline(always)]
    fn put_box(&self, mut value: Box<T>) {
        value.reset();
        let Some(cache) = self.cache() else {
            return self.put_shared(value);
        };
        cache.returns.bump();
        // `value` becomes the top; the previous top, if any, goes onto the stack.
        if let Some(under) = cache.hot.replace(Some(value)) {
            self.push_under(cache, under);
        }
    }

    /// Pushes `value` under `hot` (which is full), or spills when the cache is full.
    #[inline(never)]
    fn push_under(&self, cache: &ThreadCache<T>, value: Box<T>) {
        // SAFETY: this thread owns `cache` (see `Pool::cache`); the borrow ends within this
        // block, and the push never reallocates (len < cap - 1 < reserved capacity) so it
        // runs no user code and no allocator.
        let kept = cache.items.with_mut(|items| unsafe {
            let items = &mut *items;
            if items.len() + 1 < self.cache_cap {
                items.push(value);
                None
            } else {
                Some(value)
            }
        });
        if let Some(value) = kept {
            self.spill(cache, value);
        }
    }

    /// The cache is full (`hot` and `cache_cap - 1` below it) and `value` has no place:
    /// move `value` and the upper half of the stack to the shared store (dropping what does
    /// not fit).
    #[cold]
    #[inline(never)]
    fn spill(&self, cache: &ThreadCache<T>, value: Box<T>) {
        let keep = (self.cache_cap - 1) / 2;
        // The stack above `keep` (`cache_cap - 1 - keep` objects), and `value`.
        let excess = self.cache_cap - keep;
        // Allocate before borrowing the cache: the global allocator may run arbitrary code.
        let mut overflow: Vec<Box<T>> = Vec::with_capacity(excess);
        let mut shared = lock(&self.shared);
        let room = self.max_idle.saturating_sub(shared.len());
        let moved = excess.min(room);
        shared.reserve(moved);
        // At most `excess` values move: the stack never holds more than `cache_cap - 1`.
        // SAFETY: this thread owns `cache` (see `Pool::cache`); the borrow ends within this
        // block, which only moves values into vectors with room reserved above (no
        // allocation, no user code).
        cache.items.with_mut(|items| unsafe {
            let items = &mut *items;
            debug_assert!(items.len() < self.cache_cap);
            let mut drained = items.drain(keep.min(items.len())..).chain(Some(value));
            shared.extend(drained.by_ref().take(moved));
            overflow.extend(drained);
        });
        drop(shared);
        cache.spilled.add(moved as u64);
        cache.discarded.add(overflow.len() as u64);
        drop(overflow); // user `Drop` code runs here, outside every lock and borrow
    }

    fn put_shared(&self, value: Box<T>) {
        let rejected = {
            let mut shared = lock(&self.shared);
            if shared.len() < self.max_idle {
                shared.push(value);
                None
            } else {
                Some(value)
            }
        };
        self.returns.fetch_add(1, Ordering::Relaxed);
        if rejected.is_some() {
            self.discarded.fetch_add(1, Ordering::Relaxed);
        }
        drop(rejected);
    }

    /// The pool's counters, summed over every thread's cache. Exact when no other thread is
    /// using the pool; otherwise a snapshot that may be slightly behind.
    #[must_use]
    pub fn stats(&self) -> PoolStats {
        let mut s = PoolStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            prefilled: self.prefilled.load(Ordering::Relaxed),
            returns: self.returns.load(Ordering::Relaxed),
            discarded: self.discarded.load(Ordering::Relaxed),
            detached: self.detached.load(Ordering::Relaxed),
            idle: lock(&self.shared).len() as u64,
        };
        for e in lock(&self.registry).iter() {
            let c = &e.cache;
            let (gets, misses, returns, discarded) = (
                c.gets.get(),
                c.misses.get(),
                c.returns.get(),
                c.discarded.get(),
            );
            // Saturating: exact (never negative) while the pool is quiet; read while another
            // thread uses this cache, the counters come from slightly different moments and
            // could give a negative count, which would wrap to ~1.8e19 (found by
            // `tests/loom.rs`).
            let hits = gets.saturating_sub(misses);
            s.hits += hits;
            s.misses += misses;
            s.returns += returns;
            s.discarded += discarded;
            s.detached += c.detached.get();
            s.idle +=
                (returns + c.refilled.get()).saturating_sub(discarded + c.spilled.get() + hits);
        }
        s
    }
}

impl<T: Reset> sealed::Sealed for Pool<T> {}

impl<T: Reset + Send> Recycle<T> for Pool<T> {
    #[inline(always)]
    fn recycle(&self, value: Box<T>) {
        self.put_box(value);
    }
    fn note_detached(&self) {
        match self.cache() {
            Some(cache) => cache.detached.bump(),
            None => {
                self.detached.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
