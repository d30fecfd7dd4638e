//! The scope registry: per-thread slots, data kept after threads exit, reset, the report.
//! Every test here holds `serial()`.

use std::sync::mpsc;
use std::thread;

use perfkit_profile::{ScopeGuard, profile, record, report_string, reset, snapshot};

use crate::serial;

fn count(name: &str) -> u64 {
    snapshot().get(name).map_or(0, |s| s.count())
}

#[test]
fn recorded_values_arrive_exactly() {
    let _serial = serial();
    for ns in [100, 200, 300] {
        record("exact/values", ns);
    }
    let snap = snapshot();
    let s = snap.get("exact/values").unwrap();
    assert_eq!(s.name, "exact/values");
    assert_eq!(s.count(), 3);
    assert_eq!(s.total_nanos(), 600);
    assert_eq!(s.total(), std::time::Duration::from_nanos(600));
    assert_eq!(s.mean_nanos(), 200.0);
    assert_eq!((s.min_nanos(), s.max_nanos()), (100, 300));
    // Values below 256 ns are exact at the scope precision.
    assert_eq!((s.p50_nanos(), s.p99_nanos()), (200, 300));
}

#[test]
fn values_recorded_on_threads_that_exited_are_kept() {
    let _serial = serial();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            thread::spawn(move || {
                for i in 0..25 {
                    profile!("exited/scope");
                    record("exited/values", 1_000 * (t + 1) + i);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let snap = snapshot();
    assert_eq!(snap.get("exited/scope").unwrap().count(), 100);
    let values = snap.get("exited/values").unwrap();
    assert_eq!(values.count(), 100);
    assert_eq!((values.min_nanos(), values.max_nanos()), (1_000, 4_024));
    let want: u128 = (1..=4u64)
        .flat_map(|t| (0..25).map(move |i| u128::from(1_000 * t + i)))
        .sum();
    assert_eq!(values.total_nanos(), want);
}

#[test]
fn running_threads_are_visible_without_a_flush() {
    let _serial = serial();
    let (recorded_tx, recorded_rx) = mpsc::channel();
    let (finish_tx, finish_rx) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        for _ in 0..7 {
            profile!("live/scope");
        }
        record("live/values", 5);
        recorded_tx.send(()).unwrap();
        finish_rx.recv().unwrap(); // stay alive while the main thread looks
        record("live/values", 6);
    });
    recorded_rx.recv().unwrap();
    assert_eq!(count("live/scope"), 7);
    assert_eq!(count("live/values"), 1);
    finish_tx.send(()).unwrap();
    worker.join().unwrap();
    let snap = snapshot();
    assert_eq!(snap.get("live/values").unwrap().count(), 2);
    assert_eq!(snap.get("live/values").unwrap().total_nanos(), 11);
    assert_eq!(snap.get("live/scope").unwrap().count(), 7);
}

#[test]
fn one_name_at_several_sites_and_threads_is_one_scope() {
    let _serial = serial();
    {
        profile!("merged/name");
    }
    {
        profile!("merged/name");
        let _g = ScopeGuard::new("merged/name");
    }
    thread::spawn(|| record("merged/name", 1)).join().unwrap();
    let snap = snapshot();
    assert_eq!(snap.get("merged/name").unwrap().count(), 4);
    assert_eq!(snap.iter().filter(|s| s.name == "merged/name").count(), 1);
}

#[test]
fn one_site_with_several_names_records_each() {
    let _serial = serial();
    for name in ["dynamic/a", "dynamic/b", "dynamic/b"] {
        profile!(name);
    }
    assert_eq!(count("dynamic/a"), 1);
    assert_eq!(count("dynamic/b"), 2);
}

#[test]
fn the_expression_form_returns_its_value() {
    let _serial = serial();
    let v = profile!("expr/form", (1..=10).sum::<u32>());
    assert_eq!(v, 55);
    assert_eq!(count("expr/form"), 1);
}

#[test]
fn a_guard_records_once_when_dropped() {
    let _serial = serial();
    let guard = ScopeGuard::new("guard/drop");
    assert_eq!(guard.name(), "guard/drop");
    assert_eq!(count("guard/drop"), 0);
    drop(guard);
    assert_eq!(count("guard/drop"), 1);
}

#[test]
fn reset_forgets_everything_and_recording_resumes() {
    let _serial = serial();
    record("reset/here", 10);
    thread::spawn(|| record("reset/exited", 10)).join().unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let live = thread::spawn(move || {
        record("reset/live", 10);
        ready_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        // Exits after the reset: its pre-reset data must not come back.
    });
    ready_rx.recv().unwrap();
    assert_eq!(count("reset/live"), 1);

    reset();
    let snap = snapshot();
    for name in ["reset/here", "reset/exited", "reset/live"] {
        assert!(snap.get(name).is_none(), "{name} survived the reset");
    }
    go_tx.send(()).unwrap();
    live.join().unwrap();
    assert_eq!(count("reset/live"), 0);

    record("reset/here", 20);
    let snap = snapshot();
    let s = snap.get("reset/here").unwrap();
    assert_eq!((s.count(), s.total_nanos()), (1, 20));
}

#[test]
fn the_report_has_a_row_per_scope_with_every_column() {
    let _serial = serial();
    reset();
    assert!(snapshot().is_empty());
    assert_eq!(
        report_string(),
        "scope  count  total  mean  p50  p99  max\n(no scopes recorded)\n"
    );

    for ns in [1_000, 2_000, 3_000] {
        record("report/small", ns);
    }
    record("report/a-much-longer-scope-name", 5_000_000);
    thread::spawn(|| record("report/thread", 42))
        .join()
        .unwrap();

    let snap = snapshot();
    assert_eq!(snap.len(), 3);
    // Largest total first.
    let order: Vec<&str> = snap.iter().map(|s| s.name).collect();
    assert_eq!(
        order,
        [
            "report/a-much-longer-scope-name",
            "report/small",
            "report/thread"
        ]
    );

    let table = report_string();
    assert_eq!(table, snap.to_string());
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["scope", "count", "total", "mean", "p50", "p99", "max"]
    );
    let cells = |line: &str| -> Vec<String> {
        // Cells are separated by at least two spaces; units are one space from the number.
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        cells(lines[1]),
        [
            "report/a-much-longer-scope-name",
            "1",
            "5.00 ms",
            "5.00 ms",
            "5.00 ms",
            "5.00 ms",
            "5.00 ms"
        ]
    );
    assert_eq!(
        cells(lines[2]),
        [
            "report/small",
            "3",
            "6.00 µs",
            "2.00 µs",
            "2.00 µs",
            "3.00 µs",
            "3.00 µs"
        ]
    );
    assert_eq!(
        cells(lines[3]),
        [
            "report/thread",
            "1",
            "42 ns",
            "42 ns",
            "42 ns",
            "42 ns",
            "42 ns"
        ]
    );
    // Columns line up: every line has the same width up to its last cell.
    let width = lines[0].chars().count();
    assert!(lines.iter().all(|l| l.chars().count() == width), "{table}");
    reset();
}

#[test]
fn snapshots_taken_while_threads_record_are_consistent() {
    let _serial = serial();
    const THREADS: u64 = 4;
    const EACH: u64 = 20_000;
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            thread::spawn(move || {
                for i in 0..EACH {
                    record("concurrent/values", t * EACH + i);
                    if i % 1_000 == 0 {
                        profile!("concurrent/scope");
                    }
                }
            })
        })
        .collect();
    let mut last = 0;
    while workers.iter().any(|w| !w.is_finished()) {
        let snap = snapshot();
        if let Some(s) = snap.get("concurrent/values") {
            // Counts only grow, never exceed what was recorded, and the histogram's own
            // invariants (checked by debug assertions) hold mid-flight.
            assert!(s.count() >= last && s.count() <= THREADS * EACH);
            assert!(s.min_nanos() <= s.p50_nanos() && s.p50_nanos() <= s.max_nanos());
            last = s.count();
        }
    }
    for w in workers {
        w.join().unwrap();
    }
    let snap = snapshot();
    let s = snap.get("concurrent/values").unwrap();
    assert_eq!(s.count(), THREADS * EACH);
    assert_eq!((s.min_nanos(), s.max_nanos()), (0, THREADS * EACH - 1));
    let n = u128::from(THREADS * EACH);
    assert_eq!(s.total_nanos(), n * (n - 1) / 2);
    assert_eq!(
        snap.get("concurrent/scope").unwrap().count(),
        THREADS * EACH / 1_000
    );
}
