//! `Arena` under arbitrary operation sequences, meant for AddressSanitizer: plain values,
//! strings, slices, arena-backed `Vec`/`String` that grow between other allocations, and
//! values with destructors of several sizes and alignments (zero-sized and 64-byte aligned
//! included) interleaved, in the fuzzer's own arena (with and without a byte limit, reset
//! or kept between segments) and in `with_frame` scratch arenas (nested too). Checked: every
//! value reads back intact until its arena resets; every value given to `alloc_with_drop` is
//! dropped exactly once, intact, in reverse order of allocation, at reset / frame end / drop
//! (or at once when a limited `try_alloc_with_drop` refuses it); `pending_drops` counts them;
//! a limited arena never holds more than its limit, and refuses only with `LimitExceeded`.
#![no_main]

use std::sync::Mutex;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_memory::arena::{self, Arena, ArenaError};

/// The ids of dropped values, in drop order (`ZST` for a zero-sized value).
static DROPPED: Mutex<Vec<u64>> = Mutex::new(Vec::new());
/// The id logged for a zero-sized value.
const ZST: u64 = u64::MAX;

fn log_drop(id: u64) {
    DROPPED.lock().unwrap().push(id);
}

fn take_dropped() -> Vec<u64> {
    std::mem::take(&mut *DROPPED.lock().unwrap())
}

fn canary(id: u64) -> u64 {
    id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x0123_4567_89ab_cdef
}

/// A value with a destructor that checks it is intact and logs its id.
trait Tracked: Send + 'static {
    fn make(id: u64) -> Self
    where
        Self: Sized;
    /// Its id (`ZST` for a zero-sized type).
    fn id(&self) -> u64;
    fn intact(&self) -> bool;
}

macro_rules! tracked {
    ($name:ident) => {
        impl Drop for $name {
            fn drop(&mut self) {
                assert!(self.intact(), "a value was corrupted before its drop");
                log_drop(self.id());
            }
        }
    };
}

/// 16 bytes, align 8.
struct Small {
    id: u64,
    canary: u64,
}
impl Tracked for Small {
    fn make(id: u64) -> Self {
        Self {
            id,
            canary: canary(id),
        }
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn intact(&self) -> bool {
        self.canary == canary(self.id)
    }
}
tracked!(Small);

/// 8 bytes, align 4.
struct Tiny {
    id: u32,
    canary: u32,
}
impl Tracked for Tiny {
    fn make(id: u64) -> Self {
        Self {
            id: id as u32,
            canary: canary(id) as u32,
        }
    }
    fn id(&self) -> u64 {
        self.id.into()
    }
    fn intact(&self) -> bool {
        self.canary == canary(self.id.into()) as u32
    }
}
tracked!(Tiny);

/// 72 bytes.
struct Big {
    id: u64,
    words: [u64; 8],
}
impl Tracked for Big {
    fn make(id: u64) -> Self {
        Self {
            id,
            words: std::array::from_fn(|i| canary(id + i as u64)),
        }
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn intact(&self) -> bool {
        self.words
            .iter()
            .enumerate()
            .all(|(i, &w)| w == canary(self.id + i as u64))
    }
}
tracked!(Big);

/// 64 bytes, align 64.
#[repr(align(64))]
struct Aligned {
    id: u64,
    canary: u64,
}
impl Tracked for Aligned {
    fn make(id: u64) -> Self {
        Self {
            id,
            canary: canary(id),
        }
    }
    fn id(&self) -> u64 {
        assert_eq!(std::ptr::from_ref(self) as usize % 64, 0, "misaligned");
        self.id
    }
    fn intact(&self) -> bool {
        self.canary == canary(self.id)
    }
}
tracked!(Aligned);

/// Owns heap memory: a missed drop leaks, a double drop double-frees.
struct Owned {
    id: u64,
    text: String,
}
impl Tracked for Owned {
    fn make(id: u64) -> Self {
        Self {
            id,
            text: format!("value {id}"),
        }
    }
    fn id(&self) -> u64 {
        self.id
    }
    fn intact(&self) -> bool {
        self.text == format!("value {}", self.id)
    }
}
tracked!(Owned);

/// Zero-sized.
struct Unit;
impl Tracked for Unit {
    fn make(_: u64) -> Self {
        Unit
    }
    fn id(&self) -> u64 {
        ZST
    }
    fn intact(&self) -> bool {
        true
    }
}
tracked!(Unit);

#[derive(Debug, Arbitrary, Clone, Copy)]
enum Kind {
    Small,
    Tiny,
    Big,
    Aligned,
    Owned,
    Unit,
}

#[derive(Debug, Arbitrary)]
enum Op {
    Word(u64),
    Byte(u8),
    Str(String),
    SliceCopy(Vec<u32>),
    FillIter {
        len: u16,
        seed: u32,
    },
    /// A value with a destructor.
    WithDrop(Kind),
    /// Several of one kind in a row (one run).
    WithDropMany(Kind, u8),
    /// `alloc_with_drop` of a type without a destructor (takes the plain path).
    WithDropPlain(u64),
    /// A new arena-backed `Vec` / `String` (not under a byte limit: growing those panics).
    NewVec(Vec<u16>),
    NewString(String),
    /// Grows the arena `Vec` / `String` at this index (modulo the live values).
    Grow {
        index: u16,
        more: Vec<u16>,
    },
    /// Overwrites the plain value at this index.
    Write {
        index: u16,
        value: u64,
    },
    /// Checks every live value.
    Check,
}

#[derive(Debug, Arbitrary)]
enum Place {
    /// The fuzzer's own arena.
    Own,
    /// `with_frame`'s scratch arena.
    Frame,
    /// `with_frame`'s arena with a byte limit of what it holds plus `extra` KiB.
    FrameLimited { extra: u8 },
    /// A frame inside a frame, the outer one holding values across the inner one.
    Nested,
}

#[derive(Debug, Arbitrary)]
struct Segment {
    place: Place,
    ops: Vec<Op>,
    /// For `Own`: reset the arena after the segment (else its values and drops carry over).
    reset: bool,
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// A byte limit (in 256-byte units) for the fuzzer's own arena.
    limit: Option<u8>,
    /// `Arena::with_capacity` (bytes) when there is no limit.
    capacity: Option<u16>,
    segments: Vec<Segment>,
}

/// A value the checks can read back, with what it must hold.
enum Live<'a> {
    Word(&'a mut u64, u64),
    Byte(&'a mut u8, u8),
    Str(&'a mut str, String),
    Slice(&'a mut [u32], Vec<u32>),
    Vec(arena::Vec<'a, u16>, Vec<u16>),
    Text(arena::String<'a>, String),
    Tracked(&'a mut dyn Tracked, u64),
}

impl Live<'_> {
    fn check(&self) {
        match self {
            Live::Word(v, want) => assert_eq!(**v, *want),
            Live::Byte(v, want) => assert_eq!(**v, *want),
            Live::Str(v, want) => assert_eq!(&**v, want),
            Live::Slice(v, want) => assert_eq!(&**v, &want[..]),
            Live::Vec(v, want) => assert_eq!(&v[..], &want[..]),
            Live::Text(v, want) => assert_eq!(v.as_str(), want),
            Live::Tracked(v, id) => {
                assert_eq!(v.id(), *id);
                assert!(v.intact());
            }
        }
    }
}

/// One arena's side of the model: what was given to `alloc_with_drop` since its last reset.
struct Runner<'a> {
    arena: &'a Arena,
    /// The arena's byte limit, when it has one (then only `try_*` methods are used).
    limit: Option<usize>,
    live: Vec<Live<'a>>,
    /// Ids given to `alloc_with_drop` and not yet dropped, oldest first.
    pending: &'a mut Vec<u64>,
    next_id: &'a mut u64,
}

impl<'a> Runner<'a> {
    fn id(&mut self) -> u64 {
        *self.next_id += 1;
        *self.next_id
    }

    fn refused(&self, e: ArenaError) {
        let limit = self.limit.expect("only a limited arena refuses");
        assert!(
            matches!(e, ArenaError::LimitExceeded { limit: l, .. } if l == limit),
            "{e}"
        );
    }

    fn with_drop<T: Tracked>(&mut self) {
        let id = self.id();
        let value = T::make(id);
        let tag = value.id();
        let r = match self.limit {
            None => self.arena.alloc_with_drop(value),
            Some(_) => match self.arena.try_alloc_with_drop(value) {
                Ok(r) => r,
                Err(e) => {
                    self.refused(e);
                    assert_eq!(take_dropped(), [tag], "a refused value is dropped at once");
                    return;
                }
            },
        };
        assert!(
            DROPPED.lock().unwrap().is_empty(),
            "a drop while allocating"
        );
        self.pending.push(tag);
        self.live.push(Live::Tracked(r, tag));
    }

    fn with_drop_kind(&mut self, kind: Kind) {
        match kind {
            Kind::Small => self.with_drop::<Small>(),
            Kind::Tiny => self.with_drop::<Tiny>(),
            Kind::Big => self.with_drop::<Big>(),
            Kind::Aligned => self.with_drop::<Aligned>(),
            Kind::Owned => self.with_drop::<Owned>(),
            Kind::Unit => self.with_drop::<Unit>(),
        }
    }

    /// `plain(arena)` or, under a limit, `fallible(arena)` with the refusal checked.
    fn alloc<R>(
        &self,
        plain: impl FnOnce(&'a Arena) -> R,
        fallible: impl FnOnce(&'a Arena) -> Result<R, ArenaError>,
    ) -> Option<R> {
        match self.limit {
            None => Some(plain(self.arena)),
            Some(_) => match fallible(self.arena) {
                Ok(r) => Some(r),
                Err(e) => {
                    self.refused(e);
                    None
                }
            },
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Word(x) => {
                if let Some(r) = self.alloc(|a| a.alloc(x), |a| a.try_alloc(x)) {
                    self.live.push(Live::Word(r, x));
                }
            }
            Op::Byte(x) => {
                if let Some(r) = self.alloc(|a| a.alloc(x), |a| a.try_alloc(x)) {
                    self.live.push(Live::Byte(r, x));
                }
            }
            Op::Str(s) => {
                if let Some(r) = self.alloc(|a| a.alloc_str(&s), |a| a.try_alloc_str(&s)) {
                    self.live.push(Live::Str(r, s));
                }
            }
            Op::SliceCopy(v) => {
                let r = self.alloc(|a| a.alloc_slice_copy(&v), |a| a.try_alloc_slice_copy(&v));
                if let Some(r) = r {
                    self.live.push(Live::Slice(r, v));
                }
            }
            Op::FillIter { len, seed } => {
                let want: Vec<u32> = (0..u32::from(len % 4096))
                    .map(|i| seed.wrapping_add(i.wrapping_mul(0x9e37_79b9)))
                    .collect();
                let it = || want.clone().into_iter();
                let r = self.alloc(
                    |a| a.alloc_slice_fill_iter(it()),
                    |a| a.try_alloc_slice_fill_iter(it()),
                );
                if let Some(r) = r {
                    self.live.push(Live::Slice(r, want));
                }
            }
            Op::WithDrop(kind) => self.with_drop_kind(kind),
            Op::WithDropMany(kind, n) => {
                for _ in 0..n % 64 {
                    self.with_drop_kind(kind);
                }
            }
            Op::WithDropPlain(x) => {
                let r = self.alloc(|a| a.alloc_with_drop(x), |a| a.try_alloc_with_drop(x));
                if let Some(r) = r {
                    self.live.push(Live::Word(r, x));
                }
            }
            Op::NewVec(items) => {
                if self.limit.is_none() {
                    let mut v = self.arena.vec();
                    v.extend_from_slice(&items);
                    self.live.push(Live::Vec(v, items));
                }
            }
            Op::NewString(s) => {
                if self.limit.is_none() {
                    let mut t = self.arena.string();
                    t.push_str(&s);
                    self.live.push(Live::Text(t, s));
                }
            }
            Op::Grow { index, more } => {
                let n = self.live.len();
                if n > 0 {
                    match &mut self.live[usize::from(index) % n] {
                        Live::Vec(v, want) => {
                            v.extend_from_slice(&more);
                            want.extend_from_slice(&more);
                        }
                        Live::Text(t, want) => {
                            let s: String = more.iter().map(|&c| char::from(c as u8)).collect();
                            t.push_str(&s);
                            want.push_str(&s);
                        }
                        _ => {}
                    }
                }
            }
            Op::Write { index, value } => {
                let n = self.live.len();
                if n > 0 {
                    match &mut self.live[usize::from(index) % n] {
                        Live::Word(v, want) => {
                            **v = value;
                            *want = value;
                        }
                        Live::Byte(v, want) => {
                            **v = value as u8;
                            *want = value as u8;
                        }
                        Live::Slice(v, want) if !want.is_empty() => {
                            let i = value as usize % want.len();
                            v[i] = value as u32;
                            want[i] = value as u32;
                        }
                        _ => {}
                    }
                }
            }
            Op::Check => self.check(),
        }
        if let Some(limit) = self.limit {
            assert!(self.arena.allocated_bytes() <= limit, "over the byte limit");
        }
    }

    fn check(&self) {
        for v in &self.live {
            v.check();
        }
    }
}

/// Runs `ops` on `arena` and checks every value at the end.
fn run(
    arena: &Arena,
    limit: Option<usize>,
    ops: Vec<Op>,
    pending: &mut Vec<u64>,
    next_id: &mut u64,
) {
    let mut r = Runner {
        arena,
        limit,
        live: Vec::new(),
        pending,
        next_id,
    };
    for op in ops {
        r.apply(op);
    }
    r.check();
}

/// The drops since the last call must be exactly `pending`, newest first.
fn expect_drops(pending: &mut Vec<u64>, what: &str) {
    let mut want = std::mem::take(pending);
    want.reverse();
    assert_eq!(
        take_dropped(),
        want,
        "{what}: every value dropped once, newest first"
    );
}

/// Runs `ops` in a `with_frame` arena (a byte limit of `extra` KiB over what it holds, when
/// given), then checks the frame's drops.
fn in_frame(ops: Vec<Op>, extra: Option<u8>, next_id: &mut u64) {
    let mut pending = Vec::new();
    arena::with_frame(|a| {
        assert_eq!(a.limit(), None, "a frame starts without a limit");
        let limit = extra.map(|k| a.allocated_bytes() + usize::from(k) * 1024);
        a.set_limit(limit);
        run(a, limit, ops, &mut pending, next_id);
    });
    expect_drops(&mut pending, "frame end");
}

fuzz_target!(|input: Input| {
    let _ = take_dropped();
    let mut next_id = 0u64;
    let limit = input.limit.map(|l| usize::from(l) * 256);
    let mut arena = match (limit, input.capacity) {
        (Some(l), _) => Arena::with_limit(l),
        (None, Some(c)) => Arena::with_capacity(c.into()),
        (None, None) => Arena::new(),
    };
    assert_eq!(arena.limit(), limit);
    let mut pending = Vec::new();
    for seg in input.segments {
        match seg.place {
            Place::Own => {
                run(&arena, limit, seg.ops, &mut pending, &mut next_id);
                assert_eq!(arena.pending_drops(), pending.len());
                assert!(
                    take_dropped().is_empty(),
                    "nothing dropped before the reset"
                );
                if seg.reset {
                    arena.reset();
                    expect_drops(&mut pending, "reset");
                    assert_eq!(arena.pending_drops(), 0);
                    if let Some(l) = limit {
                        assert!(arena.allocated_bytes() <= l);
                    }
                }
            }
            Place::Frame => in_frame(seg.ops, None, &mut next_id),
            Place::FrameLimited { extra } => in_frame(seg.ops, Some(extra), &mut next_id),
            Place::Nested => {
                let mut outer_pending = Vec::new();
                arena::with_frame(|outer| {
                    let mut r = Runner {
                        arena: outer,
                        limit: None,
                        live: Vec::new(),
                        pending: &mut outer_pending,
                        next_id: &mut next_id,
                    };
                    r.apply(Op::WithDrop(Kind::Owned));
                    r.apply(Op::Word(0x5eed));
                    r.apply(Op::WithDrop(Kind::Aligned));
                    in_frame(seg.ops, None, r.next_id);
                    r.check();
                    r.apply(Op::WithDrop(Kind::Small));
                    r.check();
                });
                expect_drops(&mut outer_pending, "outer frame end");
            }
        }
    }
    drop(arena);
    expect_drops(&mut pending, "arena drop");
});
