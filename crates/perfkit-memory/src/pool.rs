//! Object pools: reuse expensive objects (buffers, maps, parsers) instead of building and
//! freeing them on every request.
//!
//! Why: a `Vec<u8>` with 1 KiB of capacity costs an allocation and a free each time it is
//! created and dropped; a pool keeps returned objects, [`Reset`]s them, and hands them out
//! again, so the steady state allocates nothing.
//!
//! - [`LocalPool`] serves one thread: a plain stack, no atomics.
//! - [`Pool`] is shared between threads. Each thread has a private cache in front of a
//!   shared store, so the common get and return touch only memory the calling thread owns
//!   (no lock, no atomic read-modify-write); the shared store is locked only to move a batch
//!   of objects when a cache runs empty or full.
//!
//! Pools keep each object in a `Box` of its own, made once when the object is created, so
//! handing an object out and taking it back moves one pointer, however large the object: a
//! get + return cycle is a pop and a push of a pointer (plus [`Reset`]).
//!
//! Both bound how many idle objects they keep (returns past the bound are dropped), can be
//! prefilled, count hits and misses ([`PoolStats`]), and hand objects out in a [`Pooled`]
//! guard that returns them on drop. An object is never lost (every object a pool creates is
//! idle, out in a guard, detached with [`Pooled::into_inner`], or dropped and counted as
//! discarded) and never handed out twice.
//!
//! ```
//! use perfkit_memory::pool::{LocalPool, Pool};
//!
//! let pool = Pool::new(64, || Vec::<u8>::with_capacity(1024));
//! {
//!     let mut buf = pool.get();
//!     buf.extend_from_slice(b"request bytes");
//!     assert_eq!(buf.len(), 13);
//! } // returned here, and cleared by `Reset`
//! let buf = pool.get();
//! assert!(buf.is_empty() && buf.capacity() >= 1024);
//! let stats = pool.stats();
//! assert_eq!((stats.hits, stats.misses), (1, 1));
//!
//! let local = LocalPool::new(8, String::new);
//! local.prefill(2);
//! let s = local.get();
//! assert_eq!(local.stats().hits, 1);
//! let owned: String = perfkit_memory::pool::Pooled::into_inner(s); // keep it for good
//! assert_eq!(local.stats().detached, 1);
//! # drop(owned);
//! ```

use std::cell::{Cell, UnsafeCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Puts an object back into its fresh state when it returns to a pool.
///
/// `reset` should keep whatever makes the object worth pooling (a buffer's capacity) and drop
/// whatever the next user must not see (its contents).
pub trait Reset {
    /// Clears the object for its next user.
    fn reset(&mut self);
}

impl<T> Reset for Vec<T> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl Reset for String {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T> Reset for VecDeque<T> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<K, V, S> Reset for HashMap<K, V, S> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T: Eq + Hash, S: BuildHasher> Reset for HashSet<T, S> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<K, V> Reset for BTreeMap<K, V> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T> Reset for BTreeSet<T> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    fn reset(&mut self) {
        (**self).reset();
    }
}

/// Counters of a pool's traffic. Read with [`Pool::stats`] / [`LocalPool::stats`].
///
/// While the pool is quiet (no guard outstanding and only objects from this pool returned):
/// `misses + prefilled == idle + discarded + detached`, and at any time
/// `hits + misses` is the number of objects handed out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Objects handed out from the idle ones.
    pub hits: u64,
    /// Objects handed out freshly made because none was idle.
    pub misses: u64,
    /// Objects made by [`prefill`](Pool::prefill).
    pub prefilled: u64,
    /// Objects that came back (by guard drop or `put`), kept or discarded.
    pub returns: u64,
    /// Objects that came back while the pool already held its maximum of idle ones, and were
    /// dropped.
    pub discarded: u64,
    /// Objects taken out for good with [`Pooled::into_inner`].
    pub detached: u64,
    /// Objects idle in the pool now.
    pub idle: u64,
}

/// Read access for generic code; the fields are public to read too. The struct is
/// `#[non_exhaustive]`, so later releases can add counters without breaking callers.
impl PoolStats {
    /// Objects handed out from the idle ones.
    #[must_use]
    pub const fn hits(&self) -> u64 {
        self.hits
    }

    /// Objects handed out freshly made.
    #[must_use]
    pub const fn misses(&self) -> u64 {
        self.misses
    }

    /// Objects made by `prefill`.
    #[must_use]
    pub const fn prefilled(&self) -> u64 {
        self.prefilled
    }

    /// Objects that came back.
    #[must_use]
    pub const fn returns(&self) -> u64 {
        self.returns
    }

    /// Objects dropped on return because the pool was full.
    #[must_use]
    pub const fn discarded(&self) -> u64 {
        self.discarded
    }

    /// Objects taken out for good.
    #[must_use]
    pub const fn detached(&self) -> u64 {
        self.detached
    }

    /// Objects idle in the pool now.
    #[must_use]
    pub const fn idle(&self) -> u64 {
        self.idle
    }
}

impl PoolStats {
    /// Objects the pool has made: `misses + prefilled`.
    #[must_use]
    pub fn created(&self) -> u64 {
        self.misses + self.prefilled
    }

    /// Objects handed out and not yet back: `created - idle - discarded - detached`.
    #[must_use]
    pub fn outstanding(&self) -> u64 {
        self.created()
            .saturating_sub(self.idle + self.discarded + self.detached)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A pool a [`Pooled`] guard can return its object to ([`Pool`] and [`LocalPool`]).
pub trait Recycle<T>: sealed::Sealed {
    /// Takes `value` back: resets it and keeps it, or drops it when the pool is full.
    fn recycle(&self, value: Box<T>);
    /// Notes that a handed-out object left the pool for good.
    fn note_detached(&self);
}

/// An object on loan from a pool; it goes back (and is [`Reset`]) when the guard drops.
pub struct Pooled<'a, T: Reset, P: Recycle<T> = Pool<T>> {
    /// Invariant: initialised until `drop` or `into_inner` takes it, after which the guard is
    /// never used again.
    value: ManuallyDrop<Box<T>>,
    pool: &'a P,
}

impl<'a, T: Reset, P: Recycle<T>> Pooled<'a, T, P> {
    fn new(value: Box<T>, pool: &'a P) -> Self {
        Self {
            value: ManuallyDrop::new(value),
            pool,
        }
    }

    /// Takes the object out of the pool's care: it will not be returned (detaches it).
    #[must_use]
    pub fn into_inner(this: Self) -> T {
        let mut this = ManuallyDrop::new(this);
        this.pool.note_detached();
        // SAFETY: `value` is initialised (field invariant) and, since `this` is never dropped
        // or used again, taken exactly once.
        *unsafe { ManuallyDrop::take(&mut this.value) }
    }
}

impl<T: Reset, P: Recycle<T>> Deref for Pooled<'_, T, P> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Reset, P: Recycle<T>> DerefMut for Pooled<'_, T, P> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: Reset, P: Recycle<T>> Drop for Pooled<'_, T, P> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `value` is initialised (field invariant) and `drop` runs once, after which
        // the guard is gone.
        let value = unsafe { ManuallyDrop::take(&mut self.value) };
        self.pool.recycle(value);
    }
}

impl<T: Reset + fmt::Debug, P: Recycle<T>> fmt::Debug for Pooled<'_, T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pooled").field(&**self.value).finish()
    }
}

// ---------------------------------------------------------------------------------------------
// LocalPool

/// A single-thread pool: a stack of idle objects, no atomics, no locks.
pub struct LocalPool<T: Reset> {
    /// The most recently returned idle object, on top of `stack`. A get takes it and a return
    /// puts its object here (moving the one already here onto `stack`), so a steady get +
    /// return cycle moves one pointer in and out of this cell and leaves `stack` alone: the
    /// only value carried from one cycle to the next through memory is that pointer.
    hot: Cell<Option<Box<T>>>,
    /// Idle objects under `hot`; with it, at most `max_idle`. A reference into it exists only inside a `LocalPool`
    /// method, for a stretch of code that runs no user code and never calls the global
    /// allocator (`pop`, `len`, `push` within capacity); growth happens with the vector moved
    /// out (see `grow`). `LocalPool` is `!Sync`, so no other thread can be inside one.
    stack: UnsafeCell<Vec<Box<T>>>,
    max_idle: usize,
    factory: Box<dyn Fn() -> T>,
    // Hits are not counted on the hot path: every hit pops the stack, so
    // hits = prefilled + (returns - discarded) - idle.
    misses: Cell<u64>,
    prefilled: Cell<u64>,
    returns: Cell<u64>,
    discarded: Cell<u64>,
    detached: Cell<u64>,
}

impl<T: Reset> fmt::Debug for LocalPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalPool")
            .field("max_idle", &self.max_idle)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[inline(always)]
fn inc(c: &Cell<u64>) {
    c.set(c.get() + 1);
}

impl<T: Reset> LocalPool<T> {
    /// A pool that keeps at most `max_idle` idle objects and makes new ones with `factory`.
    pub fn new(max_idle: usize, factory: impl Fn() -> T + 'static) -> Self {
        Self {
            hot: Cell::new(None),
            stack: UnsafeCell::new(Vec::new()),
            max_idle,
            factory: Box::new(factory),
            misses: Cell::new(0),
            prefilled: Cell::new(0),
            returns: Cell::new(0),
            discarded: Cell::new(0),
            detached: Cell::new(0),
        }
    }

    /// The most idle objects the pool keeps.
    #[must_use]
    pub fn max_idle(&self) -> usize {
        self.max_idle
    }

    fn idle(&self) -> usize {
        self.stacked() + usize::from(self.hot_is_full())
    }

    /// Whether `hot` holds an object.
    fn hot_is_full(&self) -> bool {
        let hot = self.hot.take();
        let full = hot.is_some();
        self.hot.set(hot);
        full
    }

    /// Idle objects in `stack`.
    fn stacked(&self) -> usize {
        // SAFETY: a shared read of the length, with no other reference alive (`stack` field
        // invariant: references exist only inside pool methods that are not running now,
        // since this one is and the pool is single-threaded and not re-entered here).
        unsafe { (*self.stack.get()).len() }
    }

    /// Makes objects until `n` are idle (never more than `max_idle`).
    pub fn prefill(&self, n: usize) {
        let target = n.min(self.max_idle);
        while self.idle() < target {
            let value = Box::new((self.factory)());
            inc(&self.prefilled);
            self.keep(value);
        }
    }

    /// An object from the pool (or a new one), returned when the guard drops.
    #[inline(always)]
    pub fn get(&self) -> Pooled<'_, T, Self> {
        let value = match self.hot.take() {
            Some(value) => value,
            None => self.pop_or_make(),
        };
        Pooled::new(value, self)
    }

    /// `hot` is empty: take the top of the stack, or make a new object.
    #[inline(never)]
    fn pop_or_make(&self) -> Box<T> {
        // SAFETY: `stack` field invariant: the reference lives for this `pop` only, which runs
        // no user code and does not allocate.
        let popped = unsafe { (*self.stack.get()).pop() };
        match popped {
            Some(value) => value,
            None => self.make(),
        }
    }

    #[cold]
    #[inline(never)]
    fn make(&self) -> Box<T> {
        inc(&self.misses);
        Box::new((self.factory)())
    }

    /// Gives the pool an object (one it did not make, or one taken out with
    /// [`Pooled::into_inner`]): resets it and keeps it, or drops it when `max_idle` objects are
    /// already idle. Counts as a return.
    pub fn put(&self, value: T) {
        self.put_box(Box::new(value));
    }

    #[inline(always)]
    fn put_box(&self, mut value: Box<T>) {
        value.reset();
        inc(&self.returns);
        self.keep(value);
    }

    /// Makes `value` the top idle object, or drops it when `max_idle` objects are idle.
    #[inline(always)]
    fn keep(&self, value: Box<T>) {
        if self.max_idle == 0 {
            inc(&self.discarded);
            return drop(value);
        }
        // `value` becomes the top; the previous top, if any, goes onto the stack.
        if let Some(under) = self.hot.replace(Some(value)) {
            self.push_under(under);
        }
    }

    /// Pushes `value` under `hot`, or drops it when `max_idle` objects are idle.
    #[inline(always)]
    fn push_under(&self, value: Box<T>) {
        // SAFETY: `stack` field invariant: the reference lives for this block, which only
        // reads lengths and pushes within capacity (no allocation, no user code).
        let rejected = unsafe {
            let stack = &mut *self.stack.get();
            if stack.len() < stack.capacity() {
                stack.push(value);
                None
            } else {
                Some(value)
            }
        };
        if let Some(value) = rejected {
            self.keep_slow(value);
        }
    }

    /// The stack is at capacity: grow it (up to `max_idle` minus the one in `hot`) or drop
    /// `value`.
    #[cold]
    #[inline(never)]
    fn keep_slow(&self, value: Box<T>) {
        let len = self.stacked();
        // `hot` is full (this is only reached from `keep` after filling it).
        let room = self.max_idle - 1;
        if len >= room {
            inc(&self.discarded);
            drop(value); // user `Drop` code, with no reference into the stack alive
            return;
        }
        // Move the vector out, grow it with no reference into the pool alive (the allocator
        // may run arbitrary code), and move it back.
        // SAFETY: `stack` field invariant; the references end within each statement.
        let mut stack = unsafe { std::mem::take(&mut *self.stack.get()) };
        let want = (len.max(4) * 2).min(room);
        stack.reserve_exact(want - len);
        stack.push(value);
        // SAFETY: as above.
        let meanwhile = unsafe { std::mem::replace(&mut *self.stack.get(), stack) };
        // Objects returned by re-entrant calls while the vector was out (only possible from
        // within the global allocator) would overflow the reserved room: drop them.
        for extra in meanwhile {
            inc(&self.discarded);
            drop(extra);
        }
    }

    /// The pool's counters now.
    #[must_use]
    pub fn stats(&self) -> PoolStats {
        let idle = self.idle() as u64;
        let (prefilled, returns, discarded) = (
            self.prefilled.get(),
            self.returns.get(),
            self.discarded.get(),
        );
        PoolStats {
            hits: (prefilled + returns - discarded).wrapping_sub(idle),
            misses: self.misses.get(),
            prefilled,
            returns,
            discarded,
            detached: self.detached.get(),
            idle,
        }
    }
}

impl<T: Reset> sealed::Sealed for LocalPool<T> {}

impl<T: Reset> Recycle<T> for LocalPool<T> {
    #[inline(always)]
    fn recycle(&self, value: Box<T>) {
        self.put_box(value);
    }
    fn note_detached(&self) {
        inc(&self.detached);
    }
}

// ---------------------------------------------------------------------------------------------
// Pool

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
    /// The most recently returned idle object, on top of `items` (as in [`LocalPool`]): a get
    /// takes it and a return puts its object here, moving the one already here onto `items`,
    /// so a steady get + return cycle carries one pointer through memory from one cycle to
    /// the next and leaves the length of `items` alone. Accessed only by the owning thread.
    hot: Cell<Option<Box<T>>>,
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
            hot: Cell::new(None),
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
        // then hand the caches over.
        STATE.with(|s| s.set(THREAD_EXITED));
        SLOTS.with(|slots| slots.iter().for_each(|s| s.set((0, std::ptr::null()))));
        self.0.store(false, Ordering::Release);
    }
}

const THREAD_ACTIVE: u8 = 0;
const THREAD_EXITED: u8 = 1;
/// Slots in each thread's direct-mapped table of (pool id, cache) pairs.
const SLOT_COUNT: usize = 8;

thread_local! {
    /// (pool id, that pool's cache for this thread). Pool ids start at 1; 0 is empty.
    static SLOTS: [Cell<(u64, *const ())>; SLOT_COUNT] =
        const { [const { Cell::new((0, std::ptr::null())) }; SLOT_COUNT] };
    static STATE: Cell<u8> = const { Cell::new(THREAD_ACTIVE) };
    static ALIVE: ThreadAlive = ThreadAlive(Arc::new(AtomicBool::new(true)));
}

static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

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
            id: NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed),
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
        match unsafe { (*cache.items.get()).pop() } {
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
        let value = unsafe {
            let items = &mut *cache.items.get();
            items.extend(shared.drain(from..));
            items.pop()
        };
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
        let kept = unsafe {
            let items = &mut *cache.items.get();
            if items.len() + 1 < self.cache_cap {
                items.push(value);
                None
            } else {
                Some(value)
            }
        };
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
        unsafe {
            let items = &mut *cache.items.get();
            debug_assert!(items.len() < self.cache_cap);
            let mut drained = items.drain(keep.min(items.len())..).chain(Some(value));
            shared.extend(drained.by_ref().take(moved));
            overflow.extend(drained);
        }
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
            let hits = gets.wrapping_sub(misses);
            s.hits += hits;
            s.misses += misses;
            s.returns += returns;
            s.discarded += discarded;
            s.detached += c.detached.get();
            s.idle += (returns + c.refilled.get()).wrapping_sub(discarded + c.spilled.get() + hits);
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
