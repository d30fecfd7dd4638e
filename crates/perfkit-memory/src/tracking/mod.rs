//! A counting global allocator (over mimalloc, or any other): how many allocations, how many bytes, the peak,
//! per thread and for the whole process — at nearly the cost of the allocator alone.
//!
//! Why: "allocations per request" and "peak heap" are the numbers that explain most memory
//! slowness, and a test that asserts "this hot loop does not allocate" keeps them fixed. The
//! usual counting allocator bumps shared atomic counters on every call, which costs a
//! read-modify-write on a contended cache line per allocation. [`TrackingAllocator`] keeps
//! each thread's counters in a cache line that only that thread writes (a plain load and
//! store, no atomic read-modify-write, no contention) and sums them when you ask. The same
//! line holds the thread's live bytes and the bounds within which they may move without
//! anything else to do (no new peak, nothing to publish, no `assert_no_alloc` in force), so
//! counting a call is one compare and branch next to the additions.
//!
//! - [`stats`]: the whole process; [`thread_stats`]: the calling thread;
//! - [`measure`]: what a closure allocated on this thread (nests);
//! - [`assert_no_alloc`]: panics if a closure allocates, naming the size of the first
//!   allocation — in release builds too.
//!
//! All [`TrackingAllocator`] values share one set of counters (a program has one global
//! allocator). The allocator itself never allocates through the global allocator, never
//! panics, and is safe to call from thread-local destructors in any order.
//!
//! ```no_run
//! use perfkit_memory::MiMalloc;
//! use perfkit_memory::tracking::{self, TrackingAllocator};
//!
//! #[global_allocator]
//! static ALLOC: TrackingAllocator<MiMalloc> = TrackingAllocator::new(MiMalloc);
//!
//! let (v, stats) = tracking::measure(|| vec![0_u8; 1000]);
//! assert_eq!(stats.allocations, 1);
//! assert_eq!(stats.bytes_allocated, 1000);
//!
//! let mut buf = Vec::with_capacity(16);
//! tracking::assert_no_alloc(|| buf.push(1_u32)); // fits: no allocation
//! # drop(v);
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt;

use crate::sync::Ordering;

mod counters;
mod forward;
mod thread;

use counters::{ACTIVE, GLOBAL_PEAK, SHARED, segments};
/// Retires the calling thread's block as its exit would: for `tests/loom.rs` only
/// (`--cfg loom`). Not a public API.
#[cfg(loom)]
#[doc(hidden)]
pub use thread::loom_thread_exit as __loom_thread_exit;
use thread::{
    FORBID, dealloc_slow, live, record_alloc, record_dealloc_fast, record_realloc, refresh_bounds,
    thread_counts, with_local,
};
// `crate::heap` sends every thread to the slow path and receives its events.
#[cfg(feature = "heap-profile")]
pub(crate) use thread::{Event, force_slow_paths};

/// Allocation counters: the whole process ([`stats`]), one thread ([`thread_stats`]), or one
/// closure ([`measure`]).
///
/// A `realloc` counts as one reallocation, frees its old size and allocates its new size
/// (`bytes_deallocated += old`, `bytes_allocated += new`); it does not count as an
/// allocation or a deallocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AllocStats {
    /// Calls to `alloc` / `alloc_zeroed` that succeeded.
    pub allocations: u64,
    /// Calls to `dealloc`.
    pub deallocations: u64,
    /// Calls to `realloc` that succeeded.
    pub reallocations: u64,
    /// Bytes handed out (allocations plus the new size of each reallocation).
    pub bytes_allocated: u64,
    /// Bytes given back (deallocations plus the old size of each reallocation).
    pub bytes_deallocated: u64,
    /// `bytes_allocated - bytes_deallocated`, or 0 if a thread freed more than it allocated
    /// (memory allocated by another thread).
    pub live_bytes: u64,
    /// The highest `live_bytes` seen. Process-wide it is exact to within 64 KiB per thread
    /// (threads publish their live-byte changes in 64 KiB steps to stay contention-free); per
    /// thread and per [`measure`] it is exact (for `measure`: the peak above the live bytes at
    /// its start).
    pub peak_live_bytes: u64,
}

/// Read access for generic code; the fields are public to read too. The struct is
/// `#[non_exhaustive]`, so later releases can add counters without breaking callers.
impl AllocStats {
    /// Calls to `alloc` / `alloc_zeroed` that succeeded.
    #[must_use]
    pub const fn allocations(&self) -> u64 {
        self.allocations
    }

    /// Calls to `dealloc`.
    #[must_use]
    pub const fn deallocations(&self) -> u64 {
        self.deallocations
    }

    /// Calls to `realloc` that succeeded.
    #[must_use]
    pub const fn reallocations(&self) -> u64 {
        self.reallocations
    }

    /// Bytes handed out (see the field).
    #[must_use]
    pub const fn bytes_allocated(&self) -> u64 {
        self.bytes_allocated
    }

    /// Bytes given back (see the field).
    #[must_use]
    pub const fn bytes_deallocated(&self) -> u64 {
        self.bytes_deallocated
    }

    /// Bytes live now (see the field).
    #[must_use]
    pub const fn live_bytes(&self) -> u64 {
        self.live_bytes
    }

    /// The highest live bytes seen (see the field).
    #[must_use]
    pub const fn peak_live_bytes(&self) -> u64 {
        self.peak_live_bytes
    }
}

/// A [`GlobalAlloc`] that counts every call and forwards it to `A`.
///
/// Install it with `#[global_allocator]`; read the counts with [`stats`], [`thread_stats`],
/// [`measure`] and [`assert_no_alloc`] (or the same-named methods).
///
/// `A` defaults to [`System`] whatever features are on, so a type written as plain
/// `TrackingAllocator` means the same thing in every build. For mimalloc (feature
/// `mimalloc`), name it: `TrackingAllocator<MiMalloc>`, which also takes mimalloc's fastest
/// entry points (see below).
pub struct TrackingAllocator<A: GlobalAlloc = System> {
    inner: A,
}

impl<A: GlobalAlloc> fmt::Debug for TrackingAllocator<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrackingAllocator")
            .field("stats", &stats())
            .finish_non_exhaustive()
    }
}

impl<A: GlobalAlloc> TrackingAllocator<A> {
    /// Wraps `inner`. `const`, so it can initialise a `static`.
    pub const fn new(inner: A) -> Self {
        Self { inner }
    }

    /// The wrapped allocator.
    pub const fn inner(&self) -> &A {
        &self.inner
    }

    /// Process-wide counts (the same as [`stats`]).
    #[must_use]
    pub fn stats(&self) -> AllocStats {
        stats()
    }

    /// The calling thread's counts (the same as [`thread_stats`]).
    #[must_use]
    pub fn thread_stats(&self) -> AllocStats {
        thread_stats()
    }
}

impl<A: GlobalAlloc + Default> Default for TrackingAllocator<A> {
    fn default() -> Self {
        Self::new(A::default())
    }
}

impl<A: GlobalAlloc + 'static> TrackingAllocator<A> {
    /// `alloc` (or with `ZERO`, `alloc_zeroed`) on the inner allocator, counted if it
    /// succeeded.
    ///
    /// # Safety
    ///
    /// As [`GlobalAlloc::alloc`] (or [`GlobalAlloc::alloc_zeroed`]).
    #[inline(always)]
    unsafe fn alloc_counted<const ZERO: bool>(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds the contract of the method called.
        let p = unsafe { forward::alloc::<A, ZERO>(&self.inner, layout) };
        if !p.is_null() {
            record_alloc(p, layout.size(), layout.align());
        }
        p
    }

    /// `realloc` while a heap profile records: the heap profiler takes `ptr`'s entry out of
    /// its table before the inner allocator may free the address for reuse by another thread.
    ///
    /// # Safety
    ///
    /// As [`GlobalAlloc::realloc`].
    #[cfg(feature = "heap-profile")]
    #[cold]
    #[inline(never)]
    unsafe fn realloc_profiled(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        crate::heap::detach(ptr);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        let p = unsafe { forward::realloc(&self.inner, ptr, layout, new_size) };
        if p.is_null() {
            crate::heap::reattach(ptr);
        } else {
            record_realloc(p, layout.size(), new_size, layout.align());
        }
        p
    }
}

// SAFETY: every method forwards to `A` (or, for `MiMalloc`, to the mimalloc entry point with
// the same guarantees for that layout, see `inner`) with the caller's arguments and returns
// its result unchanged, so `A`'s guarantees carry over; the bookkeeping around it touches only
// thread-local cells and atomics, never allocates through the global allocator, and never
// panics or unwinds.
unsafe impl<A: GlobalAlloc + 'static> GlobalAlloc for TrackingAllocator<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract for `layout`.
        unsafe { self.alloc_counted::<false>(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract for `layout`.
        unsafe { self.alloc_counted::<true>(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Counted first, so that on either path the call to `inner` is the last thing done (a
        // tail call, no stack frame here).
        if !record_dealloc_fast(layout.size()) {
            // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract (`ptr` came from
            // this allocator, hence from `inner`, with `layout`).
            return unsafe { dealloc_slow(&self.inner, ptr, layout) };
        }
        // SAFETY: as above.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        #[cfg(feature = "heap-profile")]
        if crate::heap::recording() {
            // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
            return unsafe { self.realloc_profiled(ptr, layout, new_size) };
        }
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract (`ptr` came from this
        // allocator, hence from `inner`, with `layout`; `new_size` is valid).
        let p = unsafe { forward::realloc(&self.inner, ptr, layout, new_size) };
        if !p.is_null() {
            record_realloc(p, layout.size(), new_size, layout.align());
        }
        p
    }
}

/// Whether a [`TrackingAllocator`] has counted anything in this process (so, when it is the
/// global allocator, `true` from before `main`).
#[must_use]
pub fn is_active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Process-wide counts: every thread, living or exited.
///
/// Exact when no other thread is allocating; otherwise a snapshot that may mix counters read
/// a moment apart.
#[must_use]
pub fn stats() -> AllocStats {
    let mut total = SHARED.load();
    for seg in segments() {
        for block in &seg.blocks {
            total = total.plus(block.load());
        }
    }
    total.stats(GLOBAL_PEAK.load(Ordering::Relaxed))
}

/// The calling thread's counts since it started (all zero if the tracking allocator is not
/// the global allocator).
#[must_use]
pub fn thread_stats() -> AllocStats {
    with_local(|l| {
        let counts = thread_counts(l);
        let mut s = counts.stats(l.peak.get().max(0) as u64);
        s.live_bytes = live(l).max(0) as u64;
        s
    })
}

/// Runs `f` and returns what it allocated on this thread: the difference of
/// [`thread_stats`] around it, with `live_bytes` the net growth and `peak_live_bytes` the
/// highest point above the live bytes at the start. Calls nest.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, AllocStats) {
    /// Restores the enclosing peak even if `f` unwinds.
    struct PeakScope {
        outer_peak: i64,
    }
    impl Drop for PeakScope {
        fn drop(&mut self) {
            with_local(|l| {
                l.peak.set(l.peak.get().max(self.outer_peak));
                refresh_bounds(l);
            });
        }
    }

    let (before, live0, scope) = with_local(|l| {
        let live = live(l);
        let scope = PeakScope {
            outer_peak: l.peak.replace(live),
        };
        refresh_bounds(l);
        (thread_counts(l), live, scope)
    });
    let out = f();
    let (after, peak) = with_local(|l| (thread_counts(l), l.peak.get()));
    drop(scope);
    let counts = after.minus(before);
    let mut s = counts.stats(0);
    s.peak_live_bytes = (peak - live0).max(0) as u64;
    (out, s)
}

/// Runs `f` and panics if it allocated or reallocated on this thread, naming the size and
/// alignment of the first such allocation and how many there were. Freeing is allowed.
///
/// It is an ordinary check, active in release builds. Allocations are detected only when a
/// [`TrackingAllocator`] is the global allocator.
///
/// # Panics
///
/// When `f` allocates, and when no [`TrackingAllocator`] is active (the check could not see
/// anything). A panic from `f` propagates.
pub fn assert_no_alloc<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the enclosing scope's state even if `f` unwinds.
    struct ForbidScope {
        outer_forbid: u8,
        outer_first: Option<(usize, usize)>,
        violations_before: u64,
    }
    impl ForbidScope {
        fn finish(&self) -> (u64, Option<(usize, usize)>) {
            with_local(|l| {
                let mine = l.first_violation.replace(self.outer_first);
                if self.outer_first.is_none() {
                    l.first_violation.set(mine);
                }
                let f = l.flags.get();
                l.flags.set((f & !FORBID) | self.outer_forbid);
                refresh_bounds(l);
                (l.violations.get() - self.violations_before, mine)
            })
        }
    }
    impl Drop for ForbidScope {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.finish();
            }
        }
    }

    assert!(
        is_active(),
        "assert_no_alloc needs perfkit_memory::tracking::TrackingAllocator as the \
         #[global_allocator]; without it no allocation can be seen"
    );
    let scope = with_local(|l| {
        let flags = l.flags.get();
        let scope = ForbidScope {
            outer_forbid: flags & FORBID,
            outer_first: l.first_violation.take(),
            violations_before: l.violations.get(),
        };
        l.flags.set(flags | FORBID);
        refresh_bounds(l);
        scope
    });
    let out = f();
    let (count, first) = scope.finish();
    std::mem::forget(scope);
    if let Some((size, align)) = first
        && count > 0
    {
        panic!(
            "assert_no_alloc: the closure allocated {count} time(s); the first allocation was \
             {size} bytes (align {align})"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_direct_calls_and_forwards() {
        let a = TrackingAllocator::new(System);
        let before = thread_stats();
        let layout = Layout::from_size_align(48, 16).unwrap();
        // SAFETY: non-zero size; each pointer is freed once with the layout it was made with.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            p.write_bytes(7, 48);
            let p = a.realloc(p, layout, 96);
            assert!(!p.is_null());
            assert_eq!(*p.add(47), 7);
            let z = a.alloc_zeroed(layout);
            assert_eq!(*z.add(10), 0);
            a.dealloc(z, layout);
            a.dealloc(p, Layout::from_size_align(96, 16).unwrap());
        }
        let after = thread_stats();
        assert_eq!(after.allocations - before.allocations, 2);
        assert_eq!(after.reallocations - before.reallocations, 1);
        assert_eq!(after.deallocations - before.deallocations, 2);
        assert_eq!(after.bytes_allocated - before.bytes_allocated, 48 + 96 + 48);
        assert_eq!(
            after.bytes_deallocated - before.bytes_deallocated,
            48 + 48 + 96
        );
        assert!(is_active());
    }
}
