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
    let big = "x".repeat(64 * 1024); // over the limit
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

/// Larger than the block the arena reserves for drop values at a time, and over-aligned.
#[repr(align(64))]
struct Big(Logged, [u8; 5000]);

/// A small over-aligned value with a destructor.
#[repr(align(64))]
struct Aligned64(Logged);

#[test]
fn drop_values_of_every_size_keep_their_contents_and_drop_once() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut arena = Arena::new();
    let n = crate::scaled(3000, 120) as u32;
    // Every value, drop-running or plain, is checked after all were allocated: values from
    // the reserved blocks and plain allocations must never overlap.
    let mut small: Vec<&mut Logged> = Vec::new();
    let mut big: Vec<&mut Big> = Vec::new();
    let mut aligned: Vec<&mut Aligned64> = Vec::new();
    let mut plain: Vec<&mut [u32; 3]> = Vec::new();
    for id in 0..n {
        let logged = Logged {
            id,
            log: log.clone(),
        };
        match id % 11 {
            0 => big.push(arena.alloc_with_drop(Big(logged, [id as u8; 5000]))),
            1 | 2 => aligned.push(arena.alloc_with_drop(Aligned64(logged))),
            3 => {
                plain.push(arena.alloc([id; 3]));
                small.push(arena.alloc_with_drop(logged));
            }
            _ => small.push(arena.alloc_with_drop(logged)),
        }
    }
    for v in &small {
        assert!(v.id < n);
    }
    for b in &big {
        assert_eq!(b.0.id % 11, 0);
        assert!(b.1.iter().all(|&x| x == b.0.id as u8), "big value intact");
        assert_eq!(std::ptr::from_ref(*b) as usize % 64, 0);
    }
    for a in &aligned {
        assert!(matches!(a.0.id % 11, 1 | 2));
        assert_eq!(std::ptr::from_ref(*a) as usize % 64, 0);
    }
    for p in &plain {
        assert_eq!(p[0] % 11, 3);
        assert!(p.iter().all(|&x| x == p[0]), "plain value intact");
    }
    let mut ids: Vec<u32> = small
        .iter()
        .map(|v| v.id)
        .chain(big.iter().map(|b| b.0.id))
        .chain(aligned.iter().map(|a| a.0.id))
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..n).collect::<Vec<_>>(),
        "every value kept its own id"
    );
    drop((small, big, aligned, plain));
    assert_eq!(arena.pending_drops(), n as usize);
    arena.reset();
    let dropped = std::mem::take(&mut *log.lock().unwrap());
    assert_eq!(
        dropped,
        (0..n).rev().collect::<Vec<_>>(),
        "newest first, once"
    );

    // The same arena after a reset: its kept chunk is handed out again.
    for id in 0..crate::scaled(500, 40) as u32 {
        arena.alloc_with_drop(Aligned64(Logged {
            id,
            log: log.clone(),
        }));
    }
    drop(arena);
    assert_eq!(log.lock().unwrap().len(), crate::scaled(500, 40));
}

#[test]
fn drop_values_respect_the_limit() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut arena = Arena::with_limit(16 * 1024);
    let mut ok = 0_u32;
    let err = loop {
        match arena.try_alloc_with_drop(Logged {
            id: ok,
            log: log.clone(),
        }) {
            Ok(v) => assert_eq!(v.id, ok),
            Err(e) => break e,
        }
        ok += 1;
        assert!(ok < 100_000, "the limit never triggered");
    };
    assert!(ok > 0);
    assert!(matches!(
        err,
        ArenaError::LimitExceeded {
            requested,
            limit: 16384,
            ..
        } if requested == std::mem::size_of::<Logged>()
    ));
    assert!(arena.allocated_bytes() <= 16 * 1024);
    // The refused value was dropped at once; the others wait for the reset.
    assert_eq!(*log.lock().unwrap(), [ok]);
    assert_eq!(arena.pending_drops(), ok as usize);
    arena.reset();
    assert_eq!(log.lock().unwrap().len(), ok as usize + 1);
}
