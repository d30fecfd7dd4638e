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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

mod local;
mod shared;

pub use local::LocalPool;
pub use shared::Pool;

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
