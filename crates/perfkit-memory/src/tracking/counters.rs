//! Where the counts live: one cache-line [`Block`] of counters per thread, in [`Segment`]s
//! that are never freed, plus the process-wide statics.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;

use super::AllocStats;
// Loom's atomics under `--cfg loom` (`tests/loom.rs` model-checks this module), std's otherwise.
use crate::sync::{AtomicBool, AtomicI64, AtomicPtr, AtomicU64, Ordering, const_unless_loom};

/// The five raw counters.
#[derive(Clone, Copy, Default)]
pub(super) struct Counts {
    pub(super) allocations: u64,
    pub(super) deallocations: u64,
    pub(super) reallocations: u64,
    pub(super) bytes_allocated: u64,
    pub(super) bytes_deallocated: u64,
}

impl Counts {
    pub(super) fn minus(self, o: Self) -> Self {
        Self {
            allocations: self.allocations.wrapping_sub(o.allocations),
            deallocations: self.deallocations.wrapping_sub(o.deallocations),
            reallocations: self.reallocations.wrapping_sub(o.reallocations),
            bytes_allocated: self.bytes_allocated.wrapping_sub(o.bytes_allocated),
            bytes_deallocated: self.bytes_deallocated.wrapping_sub(o.bytes_deallocated),
        }
    }

    pub(super) fn plus(self, o: Self) -> Self {
        Self {
            allocations: self.allocations.wrapping_add(o.allocations),
            deallocations: self.deallocations.wrapping_add(o.deallocations),
            reallocations: self.reallocations.wrapping_add(o.reallocations),
            bytes_allocated: self.bytes_allocated.wrapping_add(o.bytes_allocated),
            bytes_deallocated: self.bytes_deallocated.wrapping_add(o.bytes_deallocated),
        }
    }

    pub(super) fn stats(self, peak: u64) -> AllocStats {
        let live = self.bytes_allocated.saturating_sub(self.bytes_deallocated);
        AllocStats {
            allocations: self.allocations,
            deallocations: self.deallocations,
            reallocations: self.reallocations,
            bytes_allocated: self.bytes_allocated,
            bytes_deallocated: self.bytes_deallocated,
            live_bytes: live,
            peak_live_bytes: peak.max(live),
        }
    }
}

/// One thread's counters, in a cache line of their own.
///
/// Invariant: while `claimed`, only the claiming thread writes the counters, `live`, `high`
/// and `low` (with plain load + store); anyone may read them. Counts accumulate over every
/// thread that ever held the block, so the process totals are the sum over all blocks. An
/// unclaimed block (and [`SHARED`]) has `high == i64::MIN` and `low == i64::MAX`, so the
/// fast paths never write it.
#[repr(C, align(128))]
pub(super) struct Block {
    pub(super) allocations: AtomicU64,
    pub(super) deallocations: AtomicU64,
    pub(super) reallocations: AtomicU64,
    pub(super) bytes_allocated: AtomicU64,
    pub(super) bytes_deallocated: AtomicU64,
    /// The owner's live bytes (negative when it freed others' memory).
    pub(super) live: AtomicI64,
    /// The fast paths count a call only if `low <= live <= high` afterwards; otherwise the
    /// slow path runs (new peak, live bytes to publish, `assert_no_alloc`, no block).
    pub(super) high: AtomicI64,
    pub(super) low: AtomicI64,
    pub(super) claimed: AtomicBool,
}

#[inline(always)]
pub(super) fn add_owned(c: &AtomicU64, n: u64) {
    c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}

impl Block {
    const_unless_loom! {
        fn new() -> Self {
            Self {
                allocations: AtomicU64::new(0),
                deallocations: AtomicU64::new(0),
                reallocations: AtomicU64::new(0),
                bytes_allocated: AtomicU64::new(0),
                bytes_deallocated: AtomicU64::new(0),
                live: AtomicI64::new(0),
                high: AtomicI64::new(i64::MIN),
                low: AtomicI64::new(i64::MAX),
                claimed: AtomicBool::new(false),
            }
        }
    }

    pub(super) fn load(&self) -> Counts {
        Counts {
            allocations: self.allocations.load(Ordering::Relaxed),
            deallocations: self.deallocations.load(Ordering::Relaxed),
            reallocations: self.reallocations.load(Ordering::Relaxed),
            bytes_allocated: self.bytes_allocated.load(Ordering::Relaxed),
            bytes_deallocated: self.bytes_deallocated.load(Ordering::Relaxed),
        }
    }
}

#[cfg(not(loom))]
const SEGMENT_BLOCKS: usize = 64;
/// One block per segment under loom, so that a model with two threads already adds segments
/// (and can race to link them).
#[cfg(loom)]
const SEGMENT_BLOCKS: usize = 1;

/// A group of blocks. The first is static; more (one per 64 simultaneous threads) are taken
/// from the system allocator — never from the global allocator, so no re-entrancy — and
/// never freed.
pub(super) struct Segment {
    pub(super) blocks: [Block; SEGMENT_BLOCKS],
    next: AtomicPtr<Segment>,
}

impl Segment {
    const_unless_loom! {
        fn new() -> Self {
            Self {
                #[cfg(not(loom))]
                blocks: [const { Block::new() }; SEGMENT_BLOCKS],
                #[cfg(loom)]
                blocks: std::array::from_fn(|_| Block::new()),
                next: AtomicPtr::new(ptr::null_mut()),
            }
        }
    }
}

#[cfg(not(loom))]
static FIRST_SEGMENT: Segment = Segment::new();
/// Counts of threads without a block of their own: while a thread registers, after its
/// thread-locals are destroyed, or when no block could be had. Updated with atomic
/// read-modify-writes. Also the block such a thread points at: its bounds send every call
/// to the slow path.
#[cfg(not(loom))]
pub(super) static SHARED: Block = Block::new();
/// Live bytes as published by the threads (in `FLUSH_BYTES` steps) and its high-water mark.
#[cfg(not(loom))]
pub(super) static GLOBAL_LIVE: AtomicI64 = AtomicI64::new(0);
#[cfg(not(loom))]
pub(super) static GLOBAL_PEAK: AtomicU64 = AtomicU64::new(0);
/// Set by the first allocation through any `TrackingAllocator` (in `register`).
#[cfg(not(loom))]
pub(super) static ACTIVE: AtomicBool = AtomicBool::new(false);

// The same statics under loom, made afresh in each execution of a model.
#[cfg(loom)]
loom::lazy_static! {
    static ref FIRST_SEGMENT: Segment = Segment::new();
    pub(super) static ref SHARED: Block = Block::new();
    pub(super) static ref GLOBAL_LIVE: AtomicI64 = AtomicI64::new(0);
    pub(super) static ref GLOBAL_PEAK: AtomicU64 = AtomicU64::new(0);
    pub(super) static ref ACTIVE: AtomicBool = AtomicBool::new(false);
}

/// The first segment (a function, since under loom `FIRST_SEGMENT` is a lazily made static).
#[inline(always)]
fn first_segment() -> &'static Segment {
    &FIRST_SEGMENT
}

/// Where a thread without a block of its own points: [`SHARED`].
#[inline(always)]
pub(super) fn shared_block() -> *const Block {
    #[cfg(not(loom))]
    return &raw const SHARED;
    #[cfg(loom)]
    return ptr::from_ref::<Block>(&SHARED);
}

/// A thread publishes its live-byte change once it moves this far from the last published
/// value.
pub(super) const FLUSH_BYTES: i64 = 64 * 1024;

/// Visits every segment.
pub(super) fn segments() -> impl Iterator<Item = &'static Segment> {
    let mut next: *const Segment = first_segment();
    std::iter::from_fn(move || {
        // SAFETY: `next` is null or points at the static first segment or at a segment
        // published by `claim_block` (fully initialised before the release CAS that linked
        // it, read here after an acquire load) that is never freed.
        let seg = unsafe { next.as_ref()? };
        next = seg.next.load(Ordering::Acquire);
        Some(seg)
    })
}

/// Claims a free block for the calling thread, adding a segment if all are taken. `None`
/// only if the system allocator fails.
pub(super) fn claim_block() -> Option<&'static Block> {
    loop {
        let mut last = first_segment();
        for seg in segments() {
            for block in &seg.blocks {
                if !block.claimed.load(Ordering::Relaxed)
                    && block
                        .claimed
                        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                {
                    return Some(block);
                }
            }
            last = seg;
        }
        let layout = Layout::new::<Segment>();
        // SAFETY: `Segment` has a non-zero size.
        let fresh = unsafe { System.alloc(layout) }.cast::<Segment>();
        if fresh.is_null() {
            return None;
        }
        // SAFETY: `fresh` is a live, suitably aligned allocation for one `Segment`.
        unsafe { fresh.write(Segment::new()) };
        if last
            .next
            .compare_exchange(ptr::null_mut(), fresh, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            // Another thread linked a segment first; use theirs.
            // SAFETY: `fresh` came from `System.alloc(layout)` and was never published.
            unsafe { System.dealloc(fresh.cast(), layout) };
        }
    }
}
