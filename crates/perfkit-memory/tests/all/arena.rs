use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use perfkit_memory::arena::{self, Arena, ArenaError};

/// Records its id in a shared log when dropped.
struct Logged {
    id: u32,
    log: Arc<Mutex<Vec<u32>>>,
}

impl Drop for Logged {
    fn drop(&mut self) {
        self.log.lock().unwrap().push(self.id);
    }
}

/// A second type with a destructor, to interleave runs.
#[allow(dead_code)] // Only its destructor matters.
struct Other(Logged, [u8; 3]);

#[test]
fn drop_running_values_are_dropped_exactly_once_newest_first() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut arena = Arena::new();
    let n = crate::scaled(10_000, 200) as u32;
    for id in 0..n {
        let logged = Logged {
            id,
            log: log.clone(),
        };
        // Mix types and plain allocations so runs start and stop.
        match id % 7 {
            0 => {
                arena.alloc_with_drop(Other(logged, [0; 3]));
            }
            1 => {
                arena.alloc(id);
                arena.alloc_with_drop(logged);
            }
            _ => {
                let r = arena.alloc_with_drop(logged);
                assert_eq!(r.id, id);
            }
        }
    }
    assert_eq!(arena.pending_drops(), n as usize);
    assert!(log.lock().unwrap().is_empty(), "nothing drops before reset");
    arena.reset();
    let dropped = std::mem::take(&mut *log.lock().unwrap());
    let expected: Vec<u32> = (0..n).rev().collect();
    assert_eq!(dropped, expected, "each value dropped once, newest first");
    assert_eq!(arena.pending_drops(), 0);

    // After a reset the arena is reused; dropping it runs the new values' destructors only.
    for id in 0..10 {
        arena.alloc_with_drop(Logged {
            id: 100 + id,
            log: log.clone(),
        });
    }
    drop(arena);
    let dropped = log.lock().unwrap().clone();
    assert_eq!(dropped, (100..110).rev().collect::<Vec<_>>());
}

#[test]
fn values_without_drop_are_not_recorded() {
    let mut arena = Arena::new();
    for i in 0..100_u64 {
        arena.alloc_with_drop(i);
    }
    assert_eq!(arena.pending_drops(), 0);
}

#[test]
fn heap_owning_values_are_freed() {
    // Strings own heap memory: leaking them would show up under Miri's leak check.
    let mut arena = Arena::new();
    for i in 0..crate::scaled(1000, 50) {
        let s = arena.alloc_with_drop(format!("value {i}"));
        s.push('!');
    }
    let v = arena.alloc_with_drop(vec![1, 2, 3]);
    v.push(4);
    arena.reset();
    let s = arena.alloc_with_drop(String::from("after reset"));
    assert_eq!(s, "after reset");
}

#[test]
fn limit_returns_errors_and_is_respected() {
    let arena = Arena::with_limit(16 * 1024);
    assert_eq!(arena.limit(), Some(16 * 1024));
    let mut ok = 0;
    let err = loop {
        match arena.try_alloc([0_u64; 16]) {
            Ok(r) => {
                r[0] = ok;
                ok += 1;
            }
            Err(e) => break e,
        }
        assert!(ok < 100_000, "the limit never triggered");
    };
    assert!(ok > 0);
    match err {
        ArenaError::LimitExceeded {
            requested,
            allocated,
            limit,
        } => {
            assert_eq!(requested, 128);
            assert_eq!(limit, 16 * 1024);
            assert!(allocated <= limit);
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert!(arena.allocated_bytes() <= 16 * 1024);
    assert!(err.to_string().contains("limit is 16384 bytes"), "{err}");

    // Every fallible method reports the limit.
    let big = "x".repeat(64 * 1024);
    assert!(matches!(
        arena.try_alloc_str(&big),
        Err(ArenaError::LimitExceeded {
            requested: 65536,
            ..
        })
    ));
    assert!(arena.try_alloc_slice_copy(big.as_bytes()).is_err());
    assert!(arena.try_alloc_slice_fill_iter(0..100_000_u32).is_err());
    assert!(
        arena
            .try_alloc_with_drop(([0_u8; 1 << 16], String::new()))
            .is_err()
    );
    let mut v = arena.vec::<u8>();
    assert!(v.try_reserve(1 << 20).is_err());

    // Raising the limit lets allocation continue.
    arena.set_limit(None);
    assert!(arena.try_alloc_str(&big).is_ok());
}

#[test]
fn infallible_alloc_past_the_limit_panics_with_the_error() {
    let arena = Arena::with_limit(1024);
    let r = catch_unwind(AssertUnwindSafe(|| {
        arena.alloc([0_u8; 4096]);
    }));
    let msg = *r.expect_err("must panic").downcast::<String>().unwrap();
    assert!(msg.contains("limit is 1024 bytes"), "{msg}");
}

#[test]
fn collections_and_slices() {
    let arena = Arena::with_capacity(1024);
    let mut s = arena.string();
    s.push_str("hello");
    s.push(' ');
    s.push_str(&arena.string_from("arena"));
    assert_eq!(s, "hello arena");
    let mut v = arena.vec_with_capacity(4);
    v.extend(0..10_u32);
    assert_eq!(v.iter().sum::<u32>(), 45);
    let sl = arena.alloc_slice_copy(&[1_u16, 2, 3]);
    sl[0] = 9;
    assert_eq!(sl, &[9, 2, 3]);
    let filled = arena.alloc_slice_fill_iter([b'a', b'b', b'c'].map(char::from));
    assert_eq!(filled, &['a', 'b', 'c']);
    assert!(arena.allocated_bytes() >= 1024);
    assert!(arena.as_bump().allocated_bytes() >= 1024);
    assert!(format!("{arena:?}").contains("allocated_bytes"));
}

#[test]
fn with_frame_resets_and_keeps_the_warm_chunk() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let first = arena::with_frame(|a| {
        a.alloc_slice_copy(&[0_u8; 8192]);
        a.alloc_with_drop(Logged {
            id: 1,
            log: log.clone(),
        });
        assert_eq!(log.lock().unwrap().len(), 0);
        a.allocated_bytes()
    });
    assert!(first >= 8192);
    assert_eq!(
        *log.lock().unwrap(),
        [1],
        "frame values drop when the call returns"
    );
    // The next call gets the same arena back, reset but with its chunk.
    let (warm, p) = arena::with_frame(|a| {
        let warm = a.allocated_bytes();
        let p = a.alloc(7_u64) as *const u64 as usize;
        (warm, p)
    });
    assert!(warm >= 8192, "the warm chunk is kept ({warm} bytes)");
    let p2 = arena::with_frame(|a| a.alloc(7_u64) as *const u64 as usize);
    assert_eq!(p, p2, "reset reuses the same memory");
}

#[test]
fn with_frame_nests_and_survives_panics() {
    let log = Arc::new(Mutex::new(Vec::new()));
    arena::with_frame(|outer| {
        let x = outer.alloc(1_u32);
        arena::with_frame(|inner| {
            let y = inner.alloc(2_u32);
            assert_ne!(x as *const u32, y as *const u32);
        });
        assert_eq!(*x, 1, "the outer frame is untouched by the inner one");
    });
    let r = catch_unwind(AssertUnwindSafe(|| {
        arena::with_frame(|a| {
            a.alloc_with_drop(Logged {
                id: 5,
                log: log.clone(),
            });
            panic!("boom");
        })
    }));
    assert!(r.is_err());
    assert_eq!(*log.lock().unwrap(), [5], "values drop on unwind too");
    assert_eq!(arena::with_frame(|a| a.alloc(3_u8).to_owned()), 3);
}

#[test]
fn arena_moves_to_another_thread() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let arena = Arena::new();
    arena.alloc_with_drop(Logged {
        id: 9,
        log: log.clone(),
    });
    std::thread::spawn(move || drop(arena)).join().unwrap();
    assert_eq!(*log.lock().unwrap(), [9]);
}
