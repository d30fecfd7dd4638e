//! The global registry behind [`profile!`](crate::profile): one *slot* per (thread, scope
//! site or name), each written by its own thread only, all readable on demand.

use std::sync::{Arc, PoisonError};

#[cfg(not(loom))]
use crate::histogram::DEFAULT_PRECISION;
use crate::histogram::{Histogram, bucket_count, bucket_index};
use crate::stats::{ScopeStats, Snapshot};
// Loom's types under `--cfg loom` (`tests/loom.rs` model-checks this module), std's otherwise.
use crate::sync::{AtomicU64, Mutex, MutexGuard, Ordering};

/// The precision of every scope histogram (relative error ≤ 0.39%).
#[cfg(not(loom))]
pub(crate) const SCOPE_PRECISION: u32 = DEFAULT_PRECISION;
/// Under loom, the smallest precision: 65 buckets a slot instead of 7,424, each an atomic
/// whose every access the model checker schedules.
#[cfg(loom)]
pub(crate) const SCOPE_PRECISION: u32 = 0;

/// Bumped by [`reset`]; a slot whose epoch differs holds data from before the reset.
#[cfg(not(loom))]
static EPOCH: AtomicU64 = AtomicU64::new(0);

#[cfg(not(loom))]
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    live: Vec::new(),
    retired: Vec::new(),
});

// The same statics under loom, made afresh in each execution of a model.
#[cfg(loom)]
loom::lazy_static! {
    static ref EPOCH: AtomicU64 = AtomicU64::new(0);
    static ref REGISTRY: Mutex<Registry> = Mutex::new(Registry {
        live: Vec::new(),
        retired: Vec::new(),
    });
}

struct Registry {
    /// Every slot still owned by a running thread.
    live: Vec<Arc<Slot>>,
    /// Merged data of slots whose thread has exited, one entry per name.
    retired: Vec<ScopeStats>,
}

fn registry() -> MutexGuard<'static, Registry> {
    // A panic while holding the lock cannot leave the registry half-updated in a way that
    // matters (every update is a push, a swap_remove or a merge), so poisoning is ignored.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The nanosecond histogram of one scope on one thread.
///
/// Invariant: only the owning thread calls [`Slot::record`]; the buckets use
/// `bucket_index(_, SCOPE_PRECISION)`.
///
/// Aligned to two cache lines so that the counters two threads update on every record never
/// share a line (adjacent-line prefetching pulls lines in pairs).
#[repr(align(128))]
pub(crate) struct Slot {
    name: &'static str,
    /// The epoch the counters belong to. Written by the owner (Release, after clearing).
    epoch: AtomicU64,
    total: AtomicU64,
    min: AtomicU64,
    max: AtomicU64,
    buckets: Box<[AtomicU64]>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Adds to a counter only this thread writes: a relaxed load and store, no RMW.
#[inline(always)]
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).saturating_add(by),
        Ordering::Relaxed,
    );
}

impl Slot {
    pub(crate) const fn name(&self) -> &'static str {
        self.name
    }

    /// Records `nanos` (owner thread only).
    #[inline]
    pub(crate) fn record(&self, nanos: u64) {
        let epoch = EPOCH.load(Ordering::Relaxed);
        if self.epoch.load(Ordering::Relaxed) != epoch {
            self.restart(epoch);
        }
        bump(&self.buckets[bucket_index(nanos, SCOPE_PRECISION)], 1);
        bump(&self.total, nanos);
        if nanos < self.min.load(Ordering::Relaxed) {
            self.min.store(nanos, Ordering::Relaxed);
        }
        if nanos > self.max.load(Ordering::Relaxed) {
            self.max.store(nanos, Ordering::Relaxed);
        }
    }

    /// Clears the counters after a [`reset`] (owner thread only).
    #[cold]
    #[inline(never)]
    fn restart(&self, epoch: u64) {
        for b in &*self.buckets {
            b.store(0, Ordering::Relaxed);
        }
        self.total.store(0, Ordering::Relaxed);
        self.min.store(u64::MAX, Ordering::Relaxed);
        self.max.store(0, Ordering::Relaxed);
        // Readers that see the new epoch (Acquire) see the cleared counters.
        self.epoch.store(epoch, Ordering::Release);
    }

    /// The slot's data as a histogram, or `None` if it predates the epoch `current` or is
    /// empty. Safe to call from any thread at any time.
    fn read(&self, current: u64) -> Option<Histogram> {
        if self.epoch.load(Ordering::Acquire) != current {
            return None;
        }
        let counts: Box<[u64]> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let h = Histogram::from_counts(
            SCOPE_PRECISION,
            counts,
            self.min.load(Ordering::Relaxed),
            self.max.load(Ordering::Relaxed),
            u128::from(self.total.load(Ordering::Relaxed)),
        );
        (!h.is_empty()).then_some(h)
    }
}

/// A slot held by its owning thread; dropping it (at thread exit) retires the slot.
#[derive(Debug)]
pub(crate) struct Owned(Arc<Slot>);

impl Owned {
    /// Creates and registers a slot for `name`, owned by the calling thread.
    #[cold]
    #[inline(never)]
    pub(crate) fn register(name: &'static str) -> Self {
        let mut reg = registry();
        let slot = Arc::new(Slot {
            name,
            // Read under the lock, which `reset` also holds: never a stale epoch.
            epoch: AtomicU64::new(EPOCH.load(Ordering::Relaxed)),
            total: AtomicU64::new(0),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
            buckets: (0..bucket_count(SCOPE_PRECISION))
                .map(|_| AtomicU64::new(0))
                .collect(),
        });
        reg.live.push(Arc::clone(&slot));
        Self(slot)
    }

    pub(crate) fn slot(&self) -> &Slot {
        &self.0
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        let mut reg = registry();
        if let Some(pos) = reg.live.iter().position(|s| Arc::ptr_eq(s, &self.0)) {
            reg.live.swap_remove(pos);
        }
        // The owner is exiting: no more writes, so this read is complete.
        if let Some(h) = self.0.read(EPOCH.load(Ordering::Relaxed)) {
            merge_into(&mut reg.retired, self.0.name, &h);
        }
    }
}

/// Records straight into the retired data, under the lock. For the rare record made while
/// the calling thread's locals are being destroyed (a guard dropped in a TLS destructor).
#[cold]
#[inline(never)]
pub(crate) fn record_detached(name: &'static str, nanos: u64) {
    let mut one = Histogram::with_precision(SCOPE_PRECISION);
    one.record(nanos);
    merge_into(&mut registry().retired, name, &one);
}

/// Adds `h` to the entry named `name` (by content), creating it if needed.
fn merge_into(scopes: &mut Vec<ScopeStats>, name: &'static str, h: &Histogram) {
    match scopes.iter_mut().find(|s| s.name == name) {
        Some(s) => s.histogram.absorb(h),
        None => scopes.push(ScopeStats {
            name,
            histogram: h.clone(),
        }),
    }
}

/// The global registry behind [`profile!`](crate::profile): one *slot* per (thread, scope
/// site or name), each written by its own thread only, all readable on demand.
///
/// # Design: no lock on the hot path, no data lost, nothing stale
///
/// A slot is a histogram made of `AtomicU64` counters with a **single writer**, the thread
/// that owns it. That thread updates a counter with a relaxed load and a relaxed store —
/// plain `mov`s on x86-64 and AArch64, no lock, no read-modify-write, no contention (no
/// other thread writes the slot's cache lines; readers only read them). Any thread can
/// therefore read every slot at any time with relaxed loads and see its data up to the
/// records in flight, with no flush step that could leave a report stale.
///
/// The one mutex, around the list of slots, is taken only on cold paths: when a thread
/// uses a scope for the first time (its slot is created and registered), when it exits
/// (its slots are merged into a per-name "retired" histogram, so the data is kept and the
/// registry does not grow with every thread a program ever started), by [`reset`], and by
/// [`snapshot`] to copy the list.
///
/// Memory: a slot is 58 KiB (a default-precision histogram), one per thread per scope name
/// that thread used, freed into the per-name totals when the thread exits.
///
/// [`reset`] cannot clear other threads' counters without racing their writers. Instead it
/// bumps a global epoch: readers ignore slots from an older epoch, and each writer clears
/// its own slot the next time it records (one extra relaxed load per record, of a value
/// that only changes on reset).
///
/// `snapshot()` returns everything recorded since the last [`reset`], on every thread
/// (running or exited), merged per scope name.
///
/// Scopes recorded under the same name at different sites or threads are one entry. Data
/// recorded by other threads while the snapshot is taken may be partly included; the
/// histograms are consistent either way. Reads every slot (58 KiB each) without blocking
/// the threads that record.
#[must_use]
pub fn snapshot() -> Snapshot {
    let (live, mut scopes, epoch) = {
        let reg = registry();
        (
            reg.live.clone(),
            reg.retired.clone(),
            EPOCH.load(Ordering::Relaxed),
        )
    };
    for slot in &live {
        if let Some(h) = slot.read(epoch) {
            merge_into(&mut scopes, slot.name, &h);
        }
    }
    Snapshot::new(scopes)
}

/// Forgets everything recorded so far, on every thread.
///
/// Records made by other threads at the same moment may land on either side of the reset.
pub fn reset() {
    let mut reg = registry();
    reg.retired.clear();
    EPOCH.fetch_add(1, Ordering::Release);
}
