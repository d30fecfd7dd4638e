//! loom models of the scope registry (`src/registry.rs`): single-writer slots read by
//! [`snapshot`] while their owner records, cleared lazily after [`reset`], and retired into
//! the per-name totals when their thread exits.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p perfkit-profile --test loom --release`
//! (`.ci/run` does, in its own target directory).
//!
//! What is modelled: the production code of `record` (the slot lookup in the thread's list,
//! `Owned::register`, `Slot::record` and its `restart`), `snapshot`, `reset` and the slot's
//! retirement (`Owned::drop`), with loom's atomics, mutex, lazily made statics and
//! thread-locals standing in for std's (`src/sync.rs`). Under loom a slot has 65 buckets
//! (precision 0) instead of 7,424. A thread retires its slots as the last thing it does, by
//! `__loom_thread_exit()` (what its exit runs), rather than when loom destroys its locals:
//! loom drops the registry, a lazily made static, when the model's main closure returns,
//! which can come before a joined thread's locals are destroyed (tokio-rs/loom#152).
//!
//! Not modelled: `profile!`'s per-call-site cache, a `std::thread_local!` that the macro
//! declares in the user's crate (it finds the same `Owned` slot that `record` does), the
//! trace recorder, and records made from other thread-local destructors
//! (`record_detached`).
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;
use perfkit_profile::{__loom_thread_exit, Histogram, Snapshot, record, reset, snapshot};

const NAME: &str = "loom/scope";
/// Durations in different buckets at precision 0: [8, 15], [64, 127] and [2, 3].
const FIRST: u64 = 10;
const SECOND: u64 = 100;
const THIRD: u64 = 3;

fn check(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // Three preemptions: every model here runs in well under a second (`LOOM_MAX_PREEMPTIONS`
    // overrides, for a deeper search by hand).
    if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

/// What the registry promises of every histogram a snapshot returns, even one read while its
/// owner records or clears it ("the histograms are consistent either way"): its count is the
/// sum of its buckets, every non-empty bucket lies between min's and max's, min ≤ max, and the
/// sum lies between count × min and count × max. Also: it holds nothing but the durations
/// recorded, each at most once. Returns its (bucket low, count) pairs.
fn consistent(h: &Histogram) -> Vec<(u64, u64)> {
    let buckets: Vec<(u64, u64)> = h.iter().map(|b| (b.low, b.count)).collect();
    assert_eq!(
        buckets.iter().map(|b| b.1).sum::<u64>(),
        h.len(),
        "count is not the sum of the buckets between min and max: {h:?}"
    );
    if let (Some(min), Some(max)) = (h.min(), h.max()) {
        assert!(min <= max, "{h:?}");
        assert!(
            u128::from(min) * u128::from(h.len()) <= h.sum()
                && h.sum() <= u128::from(max) * u128::from(h.len()),
            "sum outside count × [min, max]: {h:?}"
        );
    } else {
        assert!(h.is_empty() && h.sum() == 0, "{h:?}");
    }
    for &(low, count) in &buckets {
        assert!(
            (low == 2 || low == 8 || low == 64) && count == 1,
            "a bucket nothing was recorded in, or counted twice: {h:?}"
        );
    }
    buckets
}

/// The scope's (bucket low, count) pairs in a snapshot, checked with [`consistent`].
fn contents(snap: &Snapshot) -> Vec<(u64, u64)> {
    snap.get(NAME)
        .map(|s| consistent(s.histogram()))
        .unwrap_or_default()
}

/// One thread records twice and exits (its slot retires) while another takes two
/// snapshots. Every snapshot is consistent and holds at most what was recorded; the second
/// holds at least what the first did (nothing is lost when the slot retires between them);
/// after the join the totals are exactly the two records.
#[test]
fn snapshot_while_recording_and_retiring() {
    check(|| {
        let writer = thread::spawn(|| {
            record(NAME, FIRST);
            record(NAME, SECOND);
            __loom_thread_exit();
        });
        let first = contents(&snapshot());
        let second = contents(&snapshot());
        assert!(
            first.iter().all(|b| second.contains(b)),
            "lost between snapshots: {first:?} then {second:?}"
        );
        writer.join().unwrap();

        let snap = snapshot();
        let scope = snap.get(NAME).expect("the retired slot's data is kept");
        let h = scope.histogram();
        assert_eq!(contents(&snap), [(8, 1), (64, 1)]);
        assert_eq!(
            (h.min(), h.max(), h.sum()),
            (Some(FIRST), Some(SECOND), 110)
        );
    });
}

/// One thread records `FIRST`, raises a flag, records `SECOND` and exits, while another
/// resets and then takes a snapshot. Every snapshot is consistent. A snapshot taken after a
/// reset never holds a record that happened before the reset (here: `FIRST`, once the flag was
/// seen before resetting). After the join, the records that survived the reset are a suffix
/// of the writer's: none, `SECOND`, or both, exact.
#[test]
fn reset_while_recording() {
    check(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let writer = {
            let flag = Arc::clone(&flag);
            thread::spawn(move || {
                record(NAME, FIRST);
                flag.store(true, Ordering::Release);
                record(NAME, SECOND);
                __loom_thread_exit();
            })
        };
        let first_before_reset = flag.load(Ordering::Acquire);
        reset();
        let after = contents(&snapshot());
        if first_before_reset {
            assert!(
                !after.contains(&(8, 1)),
                "a record from before the reset: {after:?}"
            );
        }
        writer.join().unwrap();

        let snap = snapshot();
        let kept = contents(&snap);
        match kept.as_slice() {
            [] => {}
            [(64, 1)] => {
                let h = snap.get(NAME).unwrap().histogram();
                assert_eq!(
                    (h.min(), h.max(), h.sum()),
                    (Some(SECOND), Some(SECOND), 100)
                );
            }
            [(8, 1), (64, 1)] => {
                assert!(
                    !first_before_reset,
                    "a record from before the reset: {kept:?}"
                );
                let h = snap.get(NAME).unwrap().histogram();
                assert_eq!(
                    (h.min(), h.max(), h.sum()),
                    (Some(FIRST), Some(SECOND), 110)
                );
            }
            other => panic!("not a suffix of the records: {other:?}"),
        }
    });
}

/// Three threads: one records `FIRST` and `SECOND`, raises a flag, records `THIRD` (which,
/// after the reset, first clears its slot) and exits; one resets; one takes a snapshot once it
/// has seen the flag. The reset may fall anywhere among the records, so the snapshot shows a
/// suffix of `FIRST, SECOND` (the records it happened after), with or without the in-flight
/// `THIRD`; never `FIRST` without `SECOND`. After the joins, what survived the reset is a
/// suffix of all three.
#[test]
fn snapshot_during_reset() {
    check(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let writer = {
            let flag = Arc::clone(&flag);
            thread::spawn(move || {
                record(NAME, FIRST);
                record(NAME, SECOND);
                flag.store(true, Ordering::Release);
                record(NAME, THIRD);
                __loom_thread_exit();
            })
        };
        let resetter = thread::spawn(reset);
        if flag.load(Ordering::Acquire) {
            let seen = contents(&snapshot());
            assert!(
                matches!(
                    seen.as_slice(),
                    [] | [(64, 1)]
                        | [(8, 1), (64, 1)]
                        | [(2, 1)]
                        | [(2, 1), (64, 1)]
                        | [(2, 1), (8, 1), (64, 1)]
                ),
                "not a suffix of the records: {seen:?}"
            );
        }
        writer.join().unwrap();
        resetter.join().unwrap();
        let kept = contents(&snapshot());
        assert!(
            matches!(
                kept.as_slice(),
                [] | [(2, 1)] | [(2, 1), (64, 1)] | [(2, 1), (8, 1), (64, 1)]
            ),
            "not a suffix of the records: {kept:?}"
        );
    });
}
