//! The recording side of a trace: the global switch, each thread's open scopes, and the
//! append-only buffers that [`Trace::finish`](super::Trace::finish) reads.
//!
//! # Cost
//!
//! - **No trace running:** [`enter`] is one relaxed load of [`ACTIVE`] and a not-taken
//!   branch; the guard carries `None` and its drop tests that. Nothing else.
//! - **A trace running:** `enter` pushes the scope on the thread's own stack of open scopes
//!   (finding its call path in the thread's path tree: a short scan of the parent's
//!   children); `exit` pops it and appends one 24-byte record to the thread's current chunk
//!   with three relaxed stores and one release store. No lock and no allocation, except
//!   once per chunk of [`CHUNK_RECORDS`] events and once per new call path.
//!
//! # Memory
//!
//! A session has a budget of records ([`Trace::with_capacity`](super::Trace::with_capacity)):
//! every finished scope takes one, and so does the first visit of each call path on each
//! thread. Threads reserve budget a chunk at a time with a compare-and-swap on one shared
//! counter, so the budget is never exceeded; when it is spent, scopes are counted as dropped
//! instead. A thread's stack of open scopes is capped at [`MAX_DEPTH`].

use std::cell::{Cell, RefCell};
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::stopwatch::nanos;

/// The most scopes a thread can have open in a trace at once; deeper scopes are not traced
/// (they still record their time) and count as dropped.
pub(crate) const MAX_DEPTH: usize = 256;

/// How many events a thread reserves from the session's budget at a time.
pub(crate) const CHUNK_RECORDS: usize = 1024;

/// The id of the session recording now; 0 when no trace is running. The one word the
/// untraced fast path reads.
static ACTIVE: AtomicU64 = AtomicU64::new(0);

/// The session recording now, for threads joining it. Locked only to start and stop a trace
/// and when a thread records its first scope of a session.
static CURRENT: Mutex<Option<Arc<Session>>> = Mutex::new(None);

/// Ids of sessions (never 0) and of threads (never 0), never reused.
static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);
static NEXT_THREAD: AtomicU64 = AtomicU64::new(1);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here is a push, a take or a clone: a panic inside one cannot
    // leave the data half-updated, so poisoning is ignored.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An open scope's ticket: unique across threads (the thread id is in the top 24 bits), so
/// a guard dropped on another thread than the one it was opened on finds nothing to close.
pub(crate) type Token = NonZeroU64;

/// Adds to a counter only this thread writes: a relaxed load and store, no RMW.
fn bump(counter: &AtomicU64) {
    counter.store(
        counter.load(Ordering::Relaxed).saturating_add(1),
        Ordering::Relaxed,
    );
}

/// One trace, from [`start`] to [`stop`].
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: u64,
    /// Event timestamps are nanoseconds since this instant.
    pub(crate) origin: Instant,
    /// The budget of records (events + call paths).
    pub(crate) capacity: usize,
    /// Records reserved so far. Invariant: `reserved <= capacity`.
    reserved: AtomicUsize,
    /// Every thread that recorded in this session, in the order they joined.
    pub(crate) threads: Mutex<Vec<Arc<ThreadLog>>>,
    /// Scopes that ended when their thread's state was already gone (a guard dropped by a
    /// thread-local destructor), so no thread could count them.
    pub(crate) orphaned: AtomicU64,
}

impl Session {
    /// Takes up to `want` records from the budget; 0 when it is spent.
    fn reserve(&self, want: usize) -> usize {
        let mut current = self.reserved.load(Ordering::Relaxed);
        loop {
            let grant = want.min(self.capacity.saturating_sub(current));
            if grant == 0 {
                return 0;
            }
            match self.reserved.compare_exchange_weak(
                current,
                current + grant,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return grant,
                Err(now) => current = now,
            }
        }
    }

    /// Records reserved so far (events and call paths, some perhaps not used yet).
    pub(crate) fn reserved(&self) -> usize {
        self.reserved.load(Ordering::Relaxed)
    }
}

/// Starts a session with this budget, or returns `None` when one is already running.
pub(crate) fn start(capacity: usize) -> Option<Arc<Session>> {
    let mut current = lock(&CURRENT);
    if current.is_some() {
        return None;
    }
    let session = Arc::new(Session {
        id: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
        origin: Instant::now(),
        capacity,
        reserved: AtomicUsize::new(0),
        threads: Mutex::new(Vec::new()),
        orphaned: AtomicU64::new(0),
    });
    *current = Some(Arc::clone(&session));
    ACTIVE.store(session.id, Ordering::Relaxed);
    Some(session)
}

/// Stops `session` if it is the one running. Scopes that are ending on other threads at
/// this moment may still be appended; a reader that wants a final view waits for nothing:
/// it takes what is published.
pub(crate) fn stop(session: &Session) {
    let mut current = lock(&CURRENT);
    if current.as_ref().is_some_and(|s| s.id == session.id) {
        ACTIVE.store(0, Ordering::Relaxed);
        *current = None;
    }
}

/// Whether a trace is recording.
pub(crate) fn is_active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

/// A node of a thread's path tree: one call path (the stack of scope names from the root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PathNode {
    pub(crate) name: &'static str,
    /// The enclosing path, `None` at the root.
    pub(crate) parent: Option<u32>,
    /// How many scopes enclose it (0 at the root).
    pub(crate) depth: u32,
}

/// One finished scope as stored: `[path, start, duration]`.
pub(crate) type RawEvent = [u64; 3];

/// A fixed-size, append-only block of events with a single writer (the owning thread) and
/// any number of readers.
#[derive(Debug)]
pub(crate) struct Chunk {
    /// `capacity` events of three words each.
    words: Box<[AtomicU64]>,
    /// Events published. Invariant: `len <= words.len() / 3`; written only by the owner
    /// (Release, after the event's words), read with Acquire.
    len: AtomicUsize,
}

impl Chunk {
    fn new(capacity: usize) -> Self {
        Self {
            words: (0..capacity * 3).map(|_| AtomicU64::new(0)).collect(),
            len: AtomicUsize::new(0),
        }
    }

    fn is_full(&self) -> bool {
        self.len.load(Ordering::Relaxed) * 3 == self.words.len()
    }

    /// Appends an event (owner thread only, chunk not full).
    fn push(&self, event: RawEvent) {
        let n = self.len.load(Ordering::Relaxed);
        debug_assert!(n * 3 < self.words.len());
        for (word, value) in self.words[n * 3..n * 3 + 3].iter().zip(event) {
            word.store(value, Ordering::Relaxed);
        }
        // Readers that see the new length (Acquire) see the event's words.
        self.len.store(n + 1, Ordering::Release);
    }

    /// Every published event. Safe to call from any thread at any time.
    pub(crate) fn events(&self) -> impl Iterator<Item = RawEvent> + '_ {
        let n = self.len.load(Ordering::Acquire);
        self.words[..n * 3].chunks_exact(3).map(|w| {
            [
                w[0].load(Ordering::Relaxed),
                w[1].load(Ordering::Relaxed),
                w[2].load(Ordering::Relaxed),
            ]
        })
    }
}

/// What one thread recorded in one session, shared between the thread and the session.
#[derive(Debug)]
pub(crate) struct ThreadLog {
    /// The thread's trace id (the `tid` written to Chrome trace JSON): 1, 2, … in the order
    /// threads first recorded a traced scope in this process.
    pub(crate) tid: u64,
    /// `std::thread::Thread::name`, or the `ThreadId` when unnamed.
    pub(crate) name: String,
    /// Scopes the thread could not record (budget spent, too deep, closed elsewhere).
    /// Written by the owner only.
    pub(crate) dropped: AtomicU64,
    pub(crate) inner: Mutex<ThreadLogInner>,
}

/// The parts of a [`ThreadLog`] that grow: locked by the owner only when it adds a call path
/// or a chunk, and by the reader.
#[derive(Debug, Default)]
pub(crate) struct ThreadLogInner {
    /// Indexed by the path number stored in each event.
    pub(crate) paths: Vec<PathNode>,
    pub(crate) chunks: Vec<Arc<Chunk>>,
}

/// A scope that is open on this thread.
#[derive(Debug, Clone, Copy)]
struct Open {
    token: Token,
    path: u32,
}

/// The path tree's lookup side (the owner's copy): first child and next sibling per path.
#[derive(Debug, Clone, Copy)]
struct Links {
    name: &'static str,
    depth: u32,
    first_child: Option<u32>,
    next_sibling: Option<u32>,
}

/// This thread's state in the running session.
#[derive(Debug)]
struct Local {
    session: Arc<Session>,
    log: Arc<ThreadLog>,
    /// The chunk being filled, if any.
    chunk: Option<Arc<Chunk>>,
    /// Open scopes, outermost first. Invariant: `stack.len() <= MAX_DEPTH`.
    stack: Vec<Open>,
    /// Invariant: `links[i]` describes `log.inner.paths[i]`.
    links: Vec<Links>,
    first_root: Option<u32>,
}

thread_local! {
    /// This thread's state in the session it last recorded in.
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
    /// This thread's trace id (0 until its first traced scope).
    static THREAD_ID: Cell<u64> = const { Cell::new(0) };
    /// The low 40 bits of the next token.
    static NEXT_TOKEN: Cell<u64> = const { Cell::new(0) };
}

fn same_name(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

fn thread_id() -> u64 {
    THREAD_ID.with(|id| {
        if id.get() == 0 {
            id.set(NEXT_THREAD.fetch_add(1, Ordering::Relaxed));
        }
        id.get()
    })
}

fn next_token(tid: u64) -> Token {
    let seq = NEXT_TOKEN.with(|n| {
        let seq = n.get().wrapping_add(1) & ((1 << 40) - 1);
        n.set(seq);
        seq
    });
    // `tid >= 1`, so the token is never 0.
    NonZeroU64::new(tid << 40 | seq).unwrap_or(NonZeroU64::MIN)
}

impl Local {
    /// Joins the session `id` if it is still running.
    fn join(id: u64) -> Option<Self> {
        let session = lock(&CURRENT).as_ref().filter(|s| s.id == id).cloned()?;
        let current = std::thread::current();
        let name = match current.name() {
            Some(name) => name.to_owned(),
            None => format!("{:?}", current.id()),
        };
        let log = Arc::new(ThreadLog {
            tid: thread_id(),
            name,
            dropped: AtomicU64::new(0),
            inner: Mutex::new(ThreadLogInner::default()),
        });
        lock(&session.threads).push(Arc::clone(&log));
        Some(Self {
            session,
            log,
            chunk: None,
            stack: Vec::new(),
            links: Vec::new(),
            first_root: None,
        })
    }

    fn drop_one(&self) {
        bump(&self.log.dropped);
    }

    /// The path `name` under `parent`, created if new (and the budget allows).
    fn path(&mut self, parent: Option<u32>, name: &'static str) -> Option<u32> {
        let mut next = match parent {
            Some(p) => self.links[p as usize].first_child,
            None => self.first_root,
        };
        while let Some(i) = next {
            let links = &self.links[i as usize];
            if same_name(links.name, name) {
                return Some(i);
            }
            next = links.next_sibling;
        }
        if self.session.reserve(1) == 0 {
            return None;
        }
        let index = u32::try_from(self.links.len()).ok()?;
        let depth = parent.map_or(0, |p| self.links[p as usize].depth.saturating_add(1));
        lock(&self.log.inner).paths.push(PathNode {
            name,
            parent,
            depth,
        });
        let head = match parent {
            Some(p) => &mut self.links[p as usize].first_child,
            None => &mut self.first_root,
        };
        let next_sibling = head.replace(index);
        self.links.push(Links {
            name,
            depth,
            first_child: None,
            next_sibling,
        });
        Some(index)
    }

    fn open(&mut self, name: &'static str) -> Option<Token> {
        if self.stack.len() >= MAX_DEPTH {
            self.drop_one();
            return None;
        }
        let parent = self.stack.last().map(|o| o.path);
        let Some(path) = self.path(parent, name) else {
            self.drop_one();
            return None;
        };
        let token = next_token(self.log.tid);
        self.stack.push(Open { token, path });
        Some(token)
    }

    fn close(&mut self, token: Token, start: Instant, duration: u64) {
        // Guards drop in reverse order of creation, so the scope is almost always on top.
        let Some(pos) = self.stack.iter().rposition(|o| o.token == token) else {
            self.drop_one();
            return;
        };
        let open = self.stack.remove(pos);
        let start = nanos(start.saturating_duration_since(self.session.origin));
        self.append([u64::from(open.path), start, duration]);
    }

    fn append(&mut self, event: RawEvent) {
        if let Some(chunk) = self.chunk.as_ref().filter(|c| !c.is_full()) {
            chunk.push(event);
            return;
        }
        let granted = self.session.reserve(CHUNK_RECORDS);
        if granted == 0 {
            self.chunk = None;
            self.drop_one();
            return;
        }
        let chunk = Arc::new(Chunk::new(granted));
        chunk.push(event);
        lock(&self.log.inner).chunks.push(Arc::clone(&chunk));
        self.chunk = Some(chunk);
    }
}

/// Opens a trace event for the scope `name` if a trace is recording.
#[inline(always)]
pub(crate) fn enter(name: &'static str) -> Option<Token> {
    let id = ACTIVE.load(Ordering::Relaxed);
    if id == 0 {
        return None;
    }
    enter_slow(id, name)
}

#[cold]
#[inline(never)]
fn enter_slow(id: u64, name: &'static str) -> Option<Token> {
    LOCAL
        .try_with(|cell| {
            // Busy only if a global allocator or a panic hook re-entered: not traced.
            let mut local = cell.try_borrow_mut().ok()?;
            if local.as_ref().is_none_or(|l| l.session.id != id) {
                *local = Local::join(id);
            }
            local.as_mut()?.open(name)
        })
        .ok()
        .flatten()
}

/// Closes the trace event `token`, which started at `start` and lasted `duration` ns.
#[cold]
#[inline(never)]
pub(crate) fn exit(token: Token, start: Instant, duration: u64) {
    let closed = LOCAL.try_with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return false;
        };
        let Some(local) = slot.as_mut() else {
            // This thread never joined a session: the guard came from another thread.
            return true;
        };
        if local.session.id != ACTIVE.load(Ordering::Relaxed) {
            // The trace this scope was opened in has finished; free its state.
            *slot = None;
            return true;
        }
        local.close(token, start, duration);
        true
    });
    if !matches!(closed, Ok(true))
        && let Some(session) = lock(&CURRENT).as_ref()
    {
        session.orphaned.fetch_add(1, Ordering::Relaxed);
    }
}
