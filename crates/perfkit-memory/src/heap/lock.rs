//! The lock around the running profile's tables.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, Ordering};

use super::recorder::Recorder;

/// The running profile's tables.
static STATE: SpinLock = SpinLock {
    locked: AtomicBool::new(false),
    recorder: UnsafeCell::new(None),
};

/// The lock around the running profile's tables: one atomic swap to take, a plain release
/// store to give back (a `Mutex` costs a second read-modify-write to release, and at one
/// lock per allocator call that showed as a fifth of the profiler's time). Contended, it
/// spins and then yields: the critical sections are table updates of tens of nanoseconds.
struct SpinLock {
    locked: AtomicBool,
    recorder: UnsafeCell<Option<Recorder>>,
}

// SAFETY: the recorder is only reached through `Guard`, of which at most one exists at a time
// (`lock` hands one out only after swapping `locked` from false to true, with acquire
// ordering, and its drop stores false with release ordering), so accesses from different
// threads are ordered one after the other.
unsafe impl Sync for SpinLock {}

/// Access to the running profile's tables while the lock is held.
pub(super) struct Guard {
    _not_send: std::marker::PhantomData<*mut ()>,
}

impl std::ops::Deref for Guard {
    type Target = Option<Recorder>;
    fn deref(&self) -> &Option<Recorder> {
        // SAFETY: this guard holds the lock (see `SpinLock`), so no other reference to the
        // recorder exists while it lives.
        unsafe { &*STATE.recorder.get() }
    }
}

impl std::ops::DerefMut for Guard {
    fn deref_mut(&mut self) -> &mut Option<Recorder> {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference through the guard.
        unsafe { &mut *STATE.recorder.get() }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        STATE.locked.store(false, Ordering::Release);
    }
}

/// Takes the lock (spinning, then yielding, while another thread holds it).
pub(super) fn lock() -> Guard {
    let mut spins = 0_u32;
    while STATE.locked.swap(true, Ordering::Acquire) {
        while STATE.locked.load(Ordering::Relaxed) {
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
    Guard {
        _not_send: std::marker::PhantomData,
    }
}
