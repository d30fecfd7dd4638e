//! [`LocalPool`]: the single-thread pool.

use std::cell::{Cell, UnsafeCell};
use std::fmt;

use super::{PoolStats, Pooled, Recycle, Reset, sealed};

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
