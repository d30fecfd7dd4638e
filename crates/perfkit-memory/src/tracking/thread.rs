//! The per-thread state machine: a thread registers on its first allocator call, counts into
//! its own block on the fast paths, takes the slow paths when a bound is crossed, and hands
//! its block back at exit.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

#[cfg(feature = "heap-profile")]
use super::counters::segments;
use super::counters::{
    ACTIVE, Block, Counts, FLUSH_BYTES, GLOBAL_LIVE, GLOBAL_PEAK, SHARED, add_owned, claim_block,
    shared_block,
};
// Loom's atomics under `--cfg loom` (`tests/loom.rs` model-checks this module), std's otherwise.
use crate::sync::{AtomicU64, Ordering};

// Thread state bits.
/// The thread holds a block and counts into it (the fast path).
const OWN: u8 = 1;
/// Inside `assert_no_alloc`: allocations are violations (and still counted).
pub(super) const FORBID: u8 = 2;
/// Claiming a block or registering the exit hook: count into `SHARED`.
const BUSY: u8 = 4;
/// Thread-locals destroyed (or no block available): count into `SHARED`.
const DEAD: u8 = 8;

/// Per-thread state. `const`-initialised and without `Drop`, so touching it never allocates,
/// never registers a destructor, and stays valid during every thread-local destructor.
pub(super) struct Local {
    pub(super) flags: Cell<u8>,
    /// The block this thread owns while `OWN` is set, [`SHARED`] otherwise.
    block: Cell<*const Block>,
    /// The block's counts when this thread claimed it (earlier owners' totals).
    base: Cell<Counts>,
    /// The high-water mark of this thread's live bytes (kept in its block).
    pub(super) peak: Cell<i64>,
    /// The value of `live` last added to `GLOBAL_LIVE`.
    published: Cell<i64>,
    /// Allocations seen while `FORBID` was set, and the (size, align) of the first one not
    /// yet reported.
    pub(super) violations: Cell<u64>,
    pub(super) first_violation: Cell<Option<(usize, usize)>>,
}

#[cfg(not(loom))]
thread_local! {
    static LOCAL: Local = const {
        Local {
            flags: Cell::new(0),
            block: Cell::new(&raw const SHARED),
            base: Cell::new(Counts {
                allocations: 0,
                deallocations: 0,
                reallocations: 0,
                bytes_allocated: 0,
                bytes_deallocated: 0,
            }),
            peak: Cell::new(0),
            published: Cell::new(0),
            violations: Cell::new(0),
            first_violation: Cell::new(None),
        }
    };
    /// Its destructor hands the thread's block back when the thread exits.
    static EXIT: ExitHook = const { ExitHook {} };
}

// Under loom, which destroys all of a thread's locals before running any destructor (so
// `ExitHook` could not reach `LOCAL`), the hook holds the state itself; it is made on the
// thread's first call rather than at registration.
#[cfg(loom)]
crate::sync::thread_local! {
    static EXIT: ExitHook = ExitHook {
        local: Local {
            flags: Cell::new(0),
            block: Cell::new(shared_block()),
            base: Cell::new(Counts::default()),
            peak: Cell::new(0),
            published: Cell::new(0),
            violations: Cell::new(0),
            first_violation: Cell::new(None),
        },
    };
}

/// Runs `f` on the calling thread's state.
#[inline(always)]
pub(super) fn with_local<R>(f: impl FnOnce(&Local) -> R) -> R {
    #[cfg(not(loom))]
    return LOCAL.with(f);
    #[cfg(loom)]
    return EXIT.with(|hook| f(&hook.local));
}

struct ExitHook {
    #[cfg(loom)]
    local: Local,
}

impl Drop for ExitHook {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        LOCAL.with(retire);
        #[cfg(loom)]
        if self.local.flags.get() & DEAD == 0 {
            retire(&self.local);
        }
    }
}

/// Runs the calling thread's exit hook now (`retire`), as its exit would. For loom models
/// only: loom drops its lazily made statics (`SHARED`, the segments, ...) as soon as the
/// model's main closure returns, which may come before a joined thread's locals are destroyed
/// (tokio-rs/loom#152), so a model's threads retire explicitly, last thing. The hook then
/// finds the thread retired and does nothing.
#[cfg(loom)]
pub fn loom_thread_exit() {
    with_local(retire);
}

/// The thread is exiting: publish its live bytes and hand its block back.
fn retire(l: &Local) {
    let owned = l.flags.get() & OWN != 0;
    publish(l);
    let block = l.block.replace(shared_block());
    l.flags.set((l.flags.get() & FORBID) | DEAD);
    if owned {
        // SAFETY: with `OWN` set, `block` is the `'static` block this thread claimed.
        let block = unsafe { &*block };
        // Back to the unclaimed state (the next owner sets its own bounds).
        block.high.store(i64::MIN, Ordering::Relaxed);
        block.low.store(i64::MAX, Ordering::Relaxed);
        // Release: the next owner's acquire CAS sees our final counts.
        block.claimed.store(false, Ordering::Release);
    }
}

#[inline(always)]
fn block(l: &Local) -> &'static Block {
    // SAFETY: `block` always points at a `'static` block: the one this thread claimed while
    // `OWN` is set (see `register`), `SHARED` otherwise.
    unsafe { &*l.block.get() }
}

/// This thread's live bytes (0 before it registered).
pub(super) fn live(l: &Local) -> i64 {
    block(l).live.load(Ordering::Relaxed)
}

/// Adds this thread's unpublished live-byte change to the global figure and its peak.
#[cold]
#[inline(never)]
fn publish(l: &Local) {
    let live = live(l);
    let delta = live - l.published.replace(live);
    publish_delta(delta);
}

fn publish_delta(delta: i64) {
    let now = GLOBAL_LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
    if now > 0 {
        GLOBAL_PEAK.fetch_max(now as u64, Ordering::Relaxed);
    }
}

/// Sets the bounds of the owned block's fast paths from the peak, the published live bytes
/// and `FORBID`. Call after changing any of them.
pub(super) fn refresh_bounds(l: &Local) {
    if l.flags.get() & OWN == 0 {
        return;
    }
    let b = block(l);
    #[cfg(feature = "heap-profile")]
    if crate::heap::recording() {
        // Every call takes the slow path while a heap profile records.
        b.high.store(i64::MIN, Ordering::Relaxed);
        b.low.store(i64::MAX, Ordering::Relaxed);
        return;
    }
    let published = l.published.get();
    let high = if l.flags.get() & FORBID != 0 {
        // Every allocation is a violation to record.
        i64::MIN
    } else {
        // Above the peak there is a new one to record; above this, live bytes to publish.
        l.peak.get().min(published + FLUSH_BYTES)
    };
    b.high.store(high, Ordering::Relaxed);
    b.low.store(published - FLUSH_BYTES, Ordering::Relaxed);
    #[cfg(feature = "heap-profile")]
    {
        // Pairs with the fence in `force_slow_paths`: either this thread sees the heap
        // profiler on, or the profiler's stores to this block come after the ones above.
        std::sync::atomic::fence(Ordering::SeqCst);
        if crate::heap::recording() {
            b.high.store(i64::MIN, Ordering::Relaxed);
            b.low.store(i64::MAX, Ordering::Relaxed);
        }
    }
}

/// Sends every thread's next allocator call to the slow path, where the heap profiler sees
/// the pointers (`crate::heap` calls it after turning recording on). Each thread sets its
/// own bounds again on its next slow call (`refresh_bounds`), and keeps them closed while
/// recording is on.
#[cfg(feature = "heap-profile")]
pub(crate) fn force_slow_paths() {
    std::sync::atomic::fence(Ordering::SeqCst);
    for seg in segments() {
        for block in &seg.blocks {
            if block.claimed.load(Ordering::Relaxed) {
                block.high.store(i64::MIN, Ordering::Relaxed);
                block.low.store(i64::MAX, Ordering::Relaxed);
            }
        }
    }
}

/// What an allocator call did, for counting (and, with `heap-profile`, for the heap
/// profiler, which also needs the addresses: only it reads them).
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "heap-profile"), allow(dead_code))]
pub(crate) enum Event {
    Alloc {
        size: usize,
        align: usize,
        ptr: *mut u8,
    },
    Dealloc {
        size: usize,
        ptr: *mut u8,
    },
    Realloc {
        old: usize,
        new: usize,
        align: usize,
        new_ptr: *mut u8,
    },
}

/// Counts an allocation of `size` bytes. One small function per event (rather than one
/// matching on an [`Event`]) so the thread-local access and the counting inline into the
/// allocator methods: the new live bytes, one compare against the block's bound, and the
/// counter updates.
#[inline(always)]
pub(super) fn record_alloc(ptr: *mut u8, size: usize, align: usize) {
    with_local(|l| {
        let b = block(l);
        let live = b.live.load(Ordering::Relaxed).wrapping_add(size as i64);
        if live > b.high.load(Ordering::Relaxed) {
            return alloc_slow(ptr, size, align);
        }
        b.live.store(live, Ordering::Relaxed);
        add_owned(&b.allocations, 1);
        add_owned(&b.bytes_allocated, size as u64);
    });
}

/// Counts a deallocation of `size` bytes (allowed inside `assert_no_alloc`) if the fast path
/// can; `false` when [`record_slow`] has to.
#[inline(always)]
pub(super) fn record_dealloc_fast(size: usize) -> bool {
    with_local(|l| {
        let b = block(l);
        let live = b.live.load(Ordering::Relaxed).wrapping_sub(size as i64);
        if live < b.low.load(Ordering::Relaxed) {
            return false;
        }
        b.live.store(live, Ordering::Relaxed);
        add_owned(&b.deallocations, 1);
        add_owned(&b.bytes_deallocated, size as u64);
        true
    })
}

/// The slow path of an allocation, out of line with its arguments in registers.
#[cold]
#[inline(never)]
fn alloc_slow(ptr: *mut u8, size: usize, align: usize) {
    with_local(|l| record_slow(l, Event::Alloc { size, align, ptr }));
}

/// Counts a deallocation on the slow path, then forwards it to `inner`.
///
/// # Safety
///
/// - as [`GlobalAlloc::dealloc`] on `inner`: `ptr` came from `inner` with `layout`.
#[cold]
#[inline(never)]
pub(super) unsafe fn dealloc_slow<A: GlobalAlloc>(inner: &A, ptr: *mut u8, layout: Layout) {
    with_local(|l| {
        record_slow(
            l,
            Event::Dealloc {
                size: layout.size(),
                ptr,
            },
        )
    });
    // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract for `inner`.
    unsafe { inner.dealloc(ptr, layout) }
}

/// Counts a reallocation from `old` to `new` bytes.
#[inline(always)]
pub(super) fn record_realloc(new_ptr: *mut u8, old: usize, new: usize, align: usize) {
    with_local(|l| {
        let b = block(l);
        let live = b
            .live
            .load(Ordering::Relaxed)
            .wrapping_add(new as i64)
            .wrapping_sub(old as i64);
        if live > b.high.load(Ordering::Relaxed) || live < b.low.load(Ordering::Relaxed) {
            return realloc_slow(new_ptr, old, new, align);
        }
        b.live.store(live, Ordering::Relaxed);
        add_owned(&b.reallocations, 1);
        add_owned(&b.bytes_allocated, new as u64);
        add_owned(&b.bytes_deallocated, old as u64);
    });
}

/// The slow path of a reallocation, out of line with its arguments in registers.
#[cold]
#[inline(never)]
fn realloc_slow(new_ptr: *mut u8, old: usize, new: usize, align: usize) {
    with_local(|l| {
        record_slow(
            l,
            Event::Realloc {
                old,
                new,
                align,
                new_ptr,
            },
        );
    });
}

/// Counts `event` in the block this thread owns, then records a new peak, publishes the
/// live bytes if they moved far enough, and resets the fast-path bounds.
fn record_owned(l: &Local, event: Event) {
    let b = block(l);
    let live = b.live.load(Ordering::Relaxed);
    let live = match event {
        Event::Alloc { size, .. } => {
            add_owned(&b.allocations, 1);
            add_owned(&b.bytes_allocated, size as u64);
            live.wrapping_add(size as i64)
        }
        Event::Dealloc { size, .. } => {
            add_owned(&b.deallocations, 1);
            add_owned(&b.bytes_deallocated, size as u64);
            live.wrapping_sub(size as i64)
        }
        Event::Realloc { old, new, .. } => {
            add_owned(&b.reallocations, 1);
            add_owned(&b.bytes_allocated, new as u64);
            add_owned(&b.bytes_deallocated, old as u64);
            live.wrapping_add(new as i64).wrapping_sub(old as i64)
        }
    };
    b.live.store(live, Ordering::Relaxed);
    if live > l.peak.get() {
        l.peak.set(live);
    }
    if (live - l.published.get()).abs() > FLUSH_BYTES {
        publish(l);
    }
    refresh_bounds(l);
}

#[cold]
#[inline(never)]
fn record_slow(l: &Local, event: Event) {
    count_slow(l, event);
    #[cfg(feature = "heap-profile")]
    crate::heap::record(event);
}

/// Counts `event` on the slow path.
fn count_slow(l: &Local, event: Event) {
    let flags = l.flags.get();
    if flags & FORBID != 0 {
        let first = match event {
            Event::Alloc { size, align, .. } => Some((size, align)),
            Event::Realloc { new, align, .. } => Some((new, align)),
            Event::Dealloc { .. } => None,
        };
        if let Some(first) = first {
            l.violations.set(l.violations.get() + 1);
            if l.first_violation.get().is_none() {
                l.first_violation.set(Some(first));
            }
        }
    }
    if flags & (OWN | BUSY | DEAD) == 0 {
        register(l);
    }
    if l.flags.get() & OWN != 0 {
        // Registered (now or before): count in the own block.
        record_owned(l, event);
        return;
    }
    // No block: count into the shared block with read-modify-writes.
    let add = |c: &AtomicU64, n: usize| {
        c.fetch_add(n as u64, Ordering::Relaxed);
    };
    match event {
        Event::Alloc { size, .. } => {
            add(&SHARED.allocations, 1);
            add(&SHARED.bytes_allocated, size);
            publish_delta(size as i64);
        }
        Event::Dealloc { size, .. } => {
            add(&SHARED.deallocations, 1);
            add(&SHARED.bytes_deallocated, size);
            publish_delta(-(size as i64));
        }
        Event::Realloc { old, new, .. } => {
            add(&SHARED.reallocations, 1);
            add(&SHARED.bytes_allocated, new);
            add(&SHARED.bytes_deallocated, old);
            publish_delta(new as i64 - old as i64);
        }
    }
}

/// First allocator call on this thread: claim a block and arrange to give it back at exit.
#[cold]
fn register(l: &Local) {
    // Every thread's first allocation comes here, so this marks the allocator active.
    ACTIVE.store(true, Ordering::Relaxed);
    let forbid = l.flags.get() & FORBID;
    // Anything the registration itself allocates (the exit hook may) goes to `SHARED`.
    l.flags.set(forbid | BUSY);
    let Some(block) = claim_block() else {
        l.flags.set(forbid | DEAD);
        return;
    };
    // Touching the hook registers its destructor; if thread-locals are already being torn
    // down that fails, and the block goes straight back.
    if EXIT.try_with(|_| ()).is_err() {
        block.claimed.store(false, Ordering::Release);
        l.flags.set(forbid | DEAD);
        return;
    }
    l.block.set(block);
    l.base.set(block.load());
    // A fresh start for this thread's live bytes (the block may have had an owner before).
    block.live.store(0, Ordering::Relaxed);
    l.flags.set(forbid | OWN);
    refresh_bounds(l);
}

/// This thread's counts since it started (zero before it registered).
pub(super) fn thread_counts(l: &Local) -> Counts {
    if l.flags.get() & OWN == 0 {
        return Counts::default();
    }
    block(l).load().minus(l.base.get())
}
