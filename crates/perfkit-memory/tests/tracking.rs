//! The tracking allocator, installed as this binary's `#[global_allocator]`.
//!
//! This is a test binary of its own (not a module of `tests/all`) because a binary has exactly
//! one global allocator, and the other tests must not run under this one. Tests run on
//! parallel threads, so exact figures are checked per thread (`thread_stats`, `measure`) and
//! process-wide figures only as lower bounds.

use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Barrier;

use perfkit_memory::MiMalloc;
use perfkit_memory::tracking::{self, TrackingAllocator};

#[global_allocator]
static ALLOC: TrackingAllocator<MiMalloc> = TrackingAllocator::new(MiMalloc);

#[test]
fn exact_counts_for_known_allocations() {
    assert!(tracking::is_active());
    let (_, s) = tracking::measure(|| {
        let b = black_box(Box::new([7_u8; 100]));
        drop(b);
    });
    assert_eq!(
        (
            s.allocations(),
            s.deallocations(),
            s.reallocations(),
            s.bytes_allocated(),
            s.bytes_deallocated(),
            s.live_bytes(),
            s.peak_live_bytes(),
        ),
        (1, 1, 0, 100, 100, 0, 100)
    );

    // alloc_zeroed is an allocation; growing a vector is a reallocation.
    let (v, s) = tracking::measure(|| {
        let mut v = black_box(vec![0_u32; 250]);
        v.reserve_exact(750);
        v
    });
    assert_eq!((s.allocations, s.reallocations, s.deallocations), (1, 1, 0));
    assert_eq!(s.bytes_allocated, 1000 + 4000);
    assert_eq!(s.bytes_deallocated, 1000);
    assert_eq!(s.live_bytes, 4000);
    assert_eq!(s.peak_live_bytes, 4000);
    let (_, s) = tracking::measure(|| drop(v));
    assert_eq!(
        (s.allocations, s.deallocations, s.bytes_deallocated),
        (0, 1, 4000)
    );
    assert_eq!(s.live_bytes, 0, "freeing shows no growth");

    let (_, s) = tracking::measure(|| {
        let boxes: Vec<Box<u64>> = (0..1000).map(Box::new).collect();
        black_box(&boxes);
    });
    assert_eq!(s.allocations, 1001, "1000 boxes and the vector");
    assert_eq!(s.deallocations, 1001);
    assert_eq!(s.bytes_allocated, 1000 * 8 + 1000 * 8);
    assert_eq!(s.peak_live_bytes, 16_000);
}

#[test]
fn thread_stats_match_measure_and_global_stats_bound_them() {
    let t0 = tracking::thread_stats();
    let g0 = tracking::stats();
    let (_, m) = tracking::measure(|| {
        for i in 0..500_usize {
            black_box(vec![1_u8; 64 + i]);
        }
    });
    let t1 = tracking::thread_stats();
    assert_eq!(t1.allocations - t0.allocations, m.allocations);
    assert_eq!(t1.bytes_allocated - t0.bytes_allocated, m.bytes_allocated);
    assert_eq!(m.allocations, 500);
    let g1 = tracking::stats();
    assert!(g1.allocations - g0.allocations >= 500);
    assert!(g1.bytes_allocated - g0.bytes_allocated >= m.bytes_allocated);
    assert!(ALLOC.stats().allocations >= g1.allocations);
    assert!(ALLOC.thread_stats().allocations >= t1.allocations);
    assert!(g1.peak_live_bytes >= g1.live_bytes);
    assert!(format!("{ALLOC:?}").contains("TrackingAllocator"));
}

#[test]
fn per_thread_counts_are_isolated() {
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let worker = s.spawn(|| {
            barrier.wait();
            let (_, m) = tracking::measure(|| {
                for i in 0..10_000_u64 {
                    black_box(Box::new(i));
                }
            });
            barrier.wait();
            m
        });
        // This thread allocates nothing while the worker allocates 10 000 boxes.
        let (_, mine) = tracking::measure(|| {
            barrier.wait();
            barrier.wait();
        });
        let theirs = worker.join().unwrap();
        assert_eq!(mine.allocations, 0, "{mine:?}");
        assert_eq!(mine.bytes_allocated, 0);
        assert_eq!(theirs.allocations, 10_000);
        assert_eq!(theirs.bytes_allocated, 80_000);
    });
}

#[test]
fn exited_threads_stay_in_the_totals() {
    let before = tracking::stats();
    std::thread::spawn(|| {
        for i in 0..2_000_u32 {
            black_box(Box::new(i));
        }
        let mine = tracking::thread_stats();
        assert!(mine.allocations >= 2_000, "{mine:?}");
    })
    .join()
    .unwrap();
    let after = tracking::stats();
    assert!(after.allocations - before.allocations >= 2_000);
    assert!(after.deallocations - before.deallocations >= 2_000);
}

#[test]
fn measure_nests_and_tracks_peaks() {
    let (inner, outer) = tracking::measure(|| {
        let keep = black_box(vec![0_u8; 1000]);
        let (_, inner) = tracking::measure(|| {
            black_box(vec![0_u8; 5000]);
            black_box(vec![0_u8; 3000]);
        });
        drop(keep);
        inner
    });
    assert_eq!(inner.allocations, 2);
    assert_eq!(
        inner.peak_live_bytes, 5000,
        "inner peak is its largest moment"
    );
    assert_eq!(inner.live_bytes, 0);
    assert_eq!(outer.allocations, 3, "outer includes inner");
    assert_eq!(outer.bytes_allocated, 9000);
    assert_eq!(outer.peak_live_bytes, 6000, "1000 kept + 5000 inner");

    // The thread's own peak survives nested scopes. (A thread's live bytes are net of what
    // it frees, including memory other threads allocated, so compare against a baseline.)
    let t0 = tracking::thread_stats();
    let (big, s) = tracking::measure(|| black_box(vec![0_u8; 1 << 20]));
    assert_eq!(s.peak_live_bytes, 1 << 20);
    let t1 = tracking::thread_stats();
    assert!(t1.live_bytes > t0.live_bytes, "{t0:?} {t1:?}");
    assert!(t1.peak_live_bytes >= t1.live_bytes, "{t1:?}");
    drop(big);
    tracking::measure(|| ());
    assert_eq!(tracking::thread_stats().peak_live_bytes, t1.peak_live_bytes);
    assert!(tracking::stats().peak_live_bytes >= 1 << 20);
}

fn panic_message(r: std::thread::Result<()>) -> String {
    let e = r.expect_err("expected a panic");
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn assert_no_alloc_passes_allocation_free_code() {
    let mut v: Vec<u64> = Vec::with_capacity(8);
    let total = tracking::assert_no_alloc(|| {
        for i in 0..8 {
            v.push(i);
        }
        v.iter().sum::<u64>()
    });
    assert_eq!(total, 28);
    // Freeing is allowed.
    let b = Box::new(5_u32);
    tracking::assert_no_alloc(|| drop(b));
    // Allocations inside are still counted.
    let mut counted = None;
    let r = catch_unwind(AssertUnwindSafe(|| {
        tracking::assert_no_alloc(|| {
            counted = Some(tracking::measure(|| drop(black_box(Box::new(1_u8)))).1);
        })
    }));
    assert!(r.is_err());
    assert_eq!(counted.map(|s| s.allocations), Some(1));
}

#[test]
fn assert_no_alloc_catches_a_growing_push() {
    let mut v: Vec<u64> = Vec::with_capacity(4);
    v.extend([1, 2, 3, 4]);
    let msg = panic_message(catch_unwind(AssertUnwindSafe(|| {
        tracking::assert_no_alloc(|| v.push(5));
    })));
    assert!(
        msg.contains("first allocation was 64 bytes (align 8)"),
        "message: {msg}"
    );
    assert_eq!(v.len(), 5);

    // A push into an empty vector allocates (4 elements of 8 bytes).
    let mut empty: Vec<u64> = Vec::new();
    let msg = panic_message(catch_unwind(AssertUnwindSafe(|| {
        tracking::assert_no_alloc(|| {
            empty.push(1);
            empty.push(2);
            black_box(String::from("x"));
        });
    })));
    assert!(msg.contains("allocated 2 time(s)"), "message: {msg}");
    assert!(msg.contains("32 bytes (align 8)"), "message: {msg}");

    // After the panic, allocation is allowed again.
    black_box(vec![1_u8; 10]);
}

#[test]
fn assert_no_alloc_nests() {
    let msg = panic_message(catch_unwind(AssertUnwindSafe(|| {
        tracking::assert_no_alloc(|| {
            tracking::assert_no_alloc(|| ());
            black_box(vec![0_u8; 48]);
        });
    })));
    assert!(msg.contains("48 bytes"), "message: {msg}");
    let msg = panic_message(catch_unwind(AssertUnwindSafe(|| {
        tracking::assert_no_alloc(|| {
            let r = catch_unwind(AssertUnwindSafe(|| {
                tracking::assert_no_alloc(|| black_box(vec![0_u8; 24]).len())
            }));
            assert!(r.is_err(), "the inner scope reports its own allocation");
        });
    })));
    // The outer scope also saw the inner allocation (and the panic machinery's own).
    assert!(msg.contains("assert_no_alloc"), "message: {msg}");
}

#[test]
fn allocating_in_thread_local_destructors_is_counted_and_safe() {
    struct AllocOnDrop;
    impl Drop for AllocOnDrop {
        fn drop(&mut self) {
            for i in 0..100_u32 {
                black_box(Box::new(i));
            }
        }
    }
    thread_local! {
        static FIRST: AllocOnDrop = const { AllocOnDrop };
    }
    let before = tracking::stats();
    std::thread::spawn(|| {
        // Registered before the tracking hook (first allocation) and after it.
        FIRST.with(|_| ());
        black_box(vec![1_u8; 100]);
        thread_local! { static SECOND: AllocOnDrop = const { AllocOnDrop }; }
        SECOND.with(|_| ());
    })
    .join()
    .unwrap();
    let after = tracking::stats();
    assert!(
        after.allocations - before.allocations >= 201,
        "{before:?} {after:?}"
    );
}

#[cfg(feature = "serde")]
#[test]
fn alloc_stats_serialize() {
    let (_, s) = tracking::measure(|| drop(black_box(Box::new(1_u64))));
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains("\"allocations\":1"), "{json}");
    assert!(json.contains("\"peak_live_bytes\":8"), "{json}");
}

#[test]
fn live_and_peak_stay_exact_across_publish_steps_and_reallocs() {
    // Sizes that move the live bytes up and down past the 64 KiB publish steps many times,
    // with growing and shrinking reallocations; a model follows the live bytes and the peak.
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let ops: Vec<(usize, usize)> = (0..2000)
        .map(|_| (next() as usize % 40_000 + 1, next() as usize % 40_000 + 1))
        .collect();
    let ((), s) = tracking::measure(|| {
        let mut held: Vec<Vec<u8>> = Vec::with_capacity(64);
        for &(a, b) in &ops {
            let mut v: Vec<u8> = Vec::with_capacity(a);
            v.reserve_exact(a + b); // a reallocation to a + b
            v.shrink_to(b.min(a)); // and one back down
            if held.len() == 64 {
                held.swap_remove(a % 64);
            }
            held.push(v);
        }
    });
    let (mut live, mut peak) = (64 * 24_i64, 64 * 24_i64); // `held`'s own buffer
    let mut model: Vec<i64> = Vec::with_capacity(64);
    for &(a, b) in &ops {
        let (a, b) = (a as i64, b as i64);
        live += a;
        peak = peak.max(live);
        live += b;
        peak = peak.max(live);
        live -= a + b - b.min(a);
        if model.len() == 64 {
            live -= model.swap_remove(a as usize % 64);
        }
        model.push(b.min(a));
    }
    live -= 64 * 24 + model.iter().sum::<i64>();
    assert_eq!(live, 0);
    assert_eq!(s.live_bytes, 0, "everything was freed");
    assert_eq!(s.peak_live_bytes, peak as u64, "exact peak");
    assert_eq!(s.allocations, 2001);
    assert_eq!(s.reallocations, 4000);
    assert_eq!(s.bytes_allocated, s.bytes_deallocated);
}

#[test]
fn a_thread_starts_with_no_live_bytes_of_its_own() {
    // A thread that exits holding memory leaves its block with live bytes; the next owner
    // must not inherit them.
    std::thread::spawn(|| {
        Box::leak(black_box(vec![0_u8; 100_000]).into_boxed_slice());
    })
    .join()
    .unwrap();
    std::thread::spawn(|| {
        let v = black_box(vec![1_u8; 300]);
        let s = tracking::thread_stats();
        assert!(s.allocations >= 1);
        assert_eq!(s.live_bytes, s.bytes_allocated - s.bytes_deallocated);
        assert!(s.live_bytes < 100_000, "{s:?}");
        assert!(s.peak_live_bytes >= s.live_bytes);
        drop(v);
    })
    .join()
    .unwrap();
}

/// `TrackingAllocator<MiMalloc>` sends layouts with small alignments to mimalloc's plain
/// entry points and the rest to the aligned ones; either way every block must meet its
/// layout, `alloc_zeroed` must zero it, and `realloc` (across the two paths, growing and
/// shrinking) must keep the contents.
#[test]
fn every_layout_is_aligned_zeroed_and_kept_across_realloc() {
    use std::alloc::{GlobalAlloc, Layout};

    let sizes = [
        1_usize, 7, 8, 15, 16, 17, 24, 31, 48, 64, 100, 1000, 1024, 4097, 70_000,
    ];
    for align in [1_usize, 2, 4, 8, 16, 32, 64, 4096] {
        for &size in &sizes {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: `layout` has a non-zero size; every block is freed below with the
            // layout it has at that point.
            unsafe {
                let z = ALLOC.alloc_zeroed(layout);
                assert!(!z.is_null());
                assert_eq!(z as usize % align, 0, "alloc_zeroed({size}, {align})");
                assert!(
                    std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0),
                    "alloc_zeroed({size}, {align}) not zeroed"
                );
                ALLOC.dealloc(z, layout);

                let p = ALLOC.alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "alloc({size}, {align})");
                for i in 0..size {
                    p.add(i).write(i as u8);
                }
                let mut cur = (p, layout);
                for &new in &sizes {
                    let q = ALLOC.realloc(cur.0, cur.1, new);
                    assert!(!q.is_null());
                    assert_eq!(q as usize % align, 0, "realloc({size} -> {new}, {align})");
                    let kept = cur.1.size().min(new).min(size);
                    for i in 0..kept {
                        assert_eq!(
                            q.add(i).read(),
                            i as u8,
                            "realloc({size} -> {new}, {align})"
                        );
                    }
                    for i in kept..new.min(size) {
                        q.add(i).write(i as u8);
                    }
                    cur = (q, Layout::from_size_align(new, align).unwrap());
                }
                ALLOC.dealloc(cur.0, cur.1);
            }
        }
    }
}
