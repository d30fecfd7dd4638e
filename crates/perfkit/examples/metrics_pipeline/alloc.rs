//! The example's global allocator: perfkit's tracking allocator (which counts every
//! allocation for the table) over a switch that serves new allocations from the system
//! allocator or from mimalloc, so that the rows before "+ arena/pool/mimalloc" run on the
//! system allocator and the rows from it on run on mimalloc, in one process.
//!
//! Switching is safe at any moment, from any thread: only *new* allocations follow the switch;
//! a free or a reallocation goes to the allocator that owns the pointer, which mimalloc can
//! tell (`mi_is_in_heap_region`: is the address inside memory mimalloc reserved).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

use perfkit::memory::MiMalloc;

static USE_MIMALLOC: AtomicBool = AtomicBool::new(false);

/// Serves new allocations from mimalloc (`true`) or the system allocator (`false`).
pub fn use_mimalloc(on: bool) {
    USE_MIMALLOC.store(on, Ordering::Relaxed);
}

/// Whether new allocations come from mimalloc.
pub fn using_mimalloc() -> bool {
    USE_MIMALLOC.load(Ordering::Relaxed)
}

/// Whether mimalloc owns the block at `ptr`.
#[inline]
pub fn owned_by_mimalloc(ptr: *const u8) -> bool {
    // SAFETY: `mi_is_in_heap_region` takes any address, valid or not, and only reads
    // mimalloc's own bookkeeping of the memory it reserved.
    unsafe { libmimalloc_sys::mi_is_in_heap_region(ptr.cast()) }
}

/// System allocator or mimalloc, chosen per allocation (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct Switch;

// SAFETY: every method forwards to `System` or `MiMalloc`, both sound `GlobalAlloc`s, and a
// block is always freed or resized by the allocator that produced it: mimalloc's region test
// is exact for its own blocks (every mimalloc block lies in memory mimalloc reserved, and no
// system-allocator block does).
unsafe impl GlobalAlloc for Switch {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if using_mimalloc() {
            // SAFETY: the caller's contract for `alloc` (non-zero size) is passed on unchanged.
            unsafe { MiMalloc.alloc(layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if using_mimalloc() {
            // SAFETY: the caller's contract for `alloc_zeroed` is passed on unchanged.
            unsafe { MiMalloc.alloc_zeroed(layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if owned_by_mimalloc(ptr) {
            // SAFETY: `ptr` is a live block of this allocator with `layout` (caller's
            // contract), and mimalloc owns it, so mimalloc allocated it.
            unsafe { MiMalloc.dealloc(ptr, layout) }
        } else {
            // SAFETY: as above; mimalloc does not own it, so the system allocator made it.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if owned_by_mimalloc(ptr) {
            // SAFETY: the caller's contract for `realloc` holds, and the owner resizes it.
            unsafe { MiMalloc.realloc(ptr, layout, new_size) }
        } else {
            // SAFETY: as above.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}
