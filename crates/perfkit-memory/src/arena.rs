//! A bump arena over [`bumpalo::Bump`] that can also run destructors and refuse to grow past
//! a byte limit.
//!
//! Why: allocating many short-lived values one by one from the global allocator costs a call,
//! bookkeeping and a free each. An arena hands out memory by moving one pointer and frees
//! everything at once, which is the per-request / per-batch pattern. [`Arena`] adds three
//! things bumpalo leaves out:
//!
//! - [`Arena::alloc_with_drop`]: values whose `Drop` must run (they own heap memory, files,
//!   counters) are remembered and dropped exactly once, on [`Arena::reset`] or when the arena
//!   drops. Such values must be `'static` (own what they hold): their destructor runs later
//!   than any borrow could be checked to last. They are bumped out of a block reserved from the current chunk (up to 4 KiB at a
//!   time) and consecutive values of one type form a single run, so a value costs two
//!   comparisons and a store (no per-value allocation, no call into bumpalo) and the drop is
//!   one monomorphic loop per run.
//! - an optional byte limit ([`Arena::with_limit`]) that makes the `try_*` methods return
//!   [`ArenaError::LimitExceeded`] instead of aborting the process;
//! - [`with_frame`]: a thread-local arena handed to a closure and reset after it, keeping its
//!   largest (warm) chunk for the next call.
//!
//! ```
//! use perfkit_memory::arena::{self, Arena};
//!
//! let arena = Arena::new();
//! let x = arena.alloc(41_u64);
//! *x += 1;
//! let name = arena.alloc_str("perfkit");
//! let squares = arena.alloc_slice_fill_iter((0..4_u32).map(|i| i * i));
//! assert_eq!((*x, &*name, &*squares), (42, "perfkit", &[0, 1, 4, 9][..]));
//!
//! // A value with a destructor: its Drop runs when the arena resets or drops.
//! let owned = arena.alloc_with_drop(String::from("dropped with the arena"));
//! assert_eq!(owned.len(), 22);
//!
//! // Arena-backed collections.
//! let mut v = arena.vec();
//! v.extend([1, 2, 3]);
//! assert_eq!(v.iter().sum::<i32>(), 6);
//!
//! // A per-batch scratch arena, reset after each call.
//! let total = arena::with_frame(|scratch| {
//!     let tmp = scratch.alloc_slice_copy(&[1_u64, 2, 3]);
//!     tmp.iter().sum::<u64>()
//! });
//! assert_eq!(total, 6);
//! ```

use std::alloc::Layout;
use std::cell::{Cell, RefCell, UnsafeCell};
use std::fmt;
use std::marker::PhantomData;
use std::mem;
use std::ptr;

use bumpalo::Bump;

/// A vector whose buffer lives in an [`Arena`] (bumpalo's `collections::Vec`).
pub type Vec<'a, T> = bumpalo::collections::Vec<'a, T>;
/// A string whose buffer lives in an [`Arena`] (bumpalo's `collections::String`).
pub type String<'a> = bumpalo::collections::String<'a>;

/// Why an arena allocation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArenaError {
    /// The arena would have to take more memory from the global allocator than its limit
    /// allows. Chunks grow by doubling, so this can happen with less than `requested` bytes
    /// left below the limit.
    #[error(
        "arena allocation of {requested} bytes refused: the arena already holds {allocated} \
         bytes of chunks and its limit is {limit} bytes"
    )]
    LimitExceeded {
        /// Bytes the failed allocation asked for.
        requested: usize,
        /// Bytes of chunks the arena held when it failed.
        allocated: usize,
        /// The arena's byte limit.
        limit: usize,
    },
    /// The global allocator could not supply a new chunk (the arena has no limit).
    #[error("arena allocation of {requested} bytes failed: the global allocator is out of memory")]
    OutOfMemory {
        /// Bytes the failed allocation asked for.
        requested: usize,
    },
}

/// What the arena needs to drop values of one type: their slice destructor and their size.
/// One `'static` instance per type ([`KindOf::KIND`]), so the hot path tells types apart with
/// one pointer comparison.
struct DropKind {
    drop: unsafe fn(*mut u8, usize),
    size: usize,
    align: usize,
}

/// Holds the [`DropKind`] of `T`.
struct KindOf<T>(PhantomData<T>);

impl<T> KindOf<T> {
    const KIND: &'static DropKind = &DropKind {
        drop: drop_run::<T>,
        size: mem::size_of::<T>(),
        align: mem::align_of::<T>(),
    };
}

/// A finished run of values of one type that need dropping.
///
/// Invariant: `start` points at `len` initialised, not yet dropped values of the type whose
/// kind is `kind`, laid out back to back (for zero-sized types `start` is a dangling pointer
/// aligned for the type).
#[derive(Clone, Copy)]
struct DropRun {
    kind: &'static DropKind,
    start: *mut u8,
    len: usize,
}

/// Drops `len` values of type `T` stored back to back from `start`.
///
/// # Safety
///
/// - `start` is aligned for `T` and points at `len` initialised values of `T` that nobody
///   will use or drop again.
unsafe fn drop_run<T>(start: *mut u8, len: usize) {
    // SAFETY: the caller guarantees `len` initialised, exclusively owned `T`s at `start`.
    unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(start.cast::<T>(), len)) }
}

/// A bump arena: fast allocation, everything freed at once.
///
/// Allocation methods take `&self` and return references that live as long as the borrow of
/// the arena, so many values can be allocated and used side by side; [`Arena::reset`] needs
/// `&mut self`, so no reference survives it.
///
/// Values allocated with [`alloc`](Arena::alloc) and friends are never dropped (their memory
/// is reclaimed, their `Drop` does not run), exactly as with bumpalo. Use
/// [`alloc_with_drop`](Arena::alloc_with_drop) for values whose destructor matters.
pub struct Arena {
    bump: Bump,
    // Values that need `Drop` are bumped downwards out of a reserved block, `[floor, low)`
    // free, and the run [`Arena::alloc_with_drop`] is currently extending sits right above
    // it, `[low, high)`, so that extending it (the per-value cost) is one pointer comparison,
    // one address comparison and one store. Invariants:
    // - `floor <= low`; `[floor, low)` is unused memory of one bumpalo chunk that the arena
    //   took for itself (both null when there is none);
    // - when `kind` is non-null and its size is non-zero, `[low, high)` holds initialised,
    //   not yet dropped values of that kind back to back, the newest at `low`, and `low` is
    //   aligned for the kind; for a zero-sized kind the run is `zst_len` values and
    //   `low`/`high` belong to the free block only.
    /// The current run's kind, or null when there is none.
    kind: Cell<*const DropKind>,
    low: Cell<*mut u8>,
    floor: Cell<*mut u8>,
    high: Cell<*mut u8>,
    zst_len: Cell<usize>,
    /// Finished runs, oldest first. Only touched when a run ends, never while user code runs.
    runs: UnsafeCell<std::vec::Vec<DropRun>>,
}

/// The most [`Arena::alloc_with_drop`] reserves from the current chunk at a time (and never
/// more than the chunk has left, so reserving never starts a chunk a single value would not).
const DROP_BLOCK: usize = 4096;

impl fmt::Debug for Arena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Arena")
            .field("allocated_bytes", &self.allocated_bytes())
            .field("limit", &self.limit())
            .finish_non_exhaustive()
    }
}

impl Default for Arena {
    fn default() -> Self {
        Self::new()
    }
}

// The arena owns the values in its drop runs; moving it to another thread moves them too.
// `Bump` is `Send`; the raw pointers of the drop runs point into the arena's own chunks or at
// `'static` drop kinds.
// SAFETY: every value in a drop run was allocated by `alloc_with_drop::<T>` with
// `T: Send + 'static`, so dropping it on another thread, at any later time, is allowed; the
// rest of the arena is `Bump` (Send) and plain data.
unsafe impl Send for Arena {}

#[cold]
#[inline(never)]
fn limit_panic(err: ArenaError) -> ! {
    panic!("{err}")
}

impl Arena {
    /// An empty arena with no byte limit. It takes no memory until the first allocation.
    #[must_use]
    pub fn new() -> Self {
        Self::from_bump(Bump::new())
    }

    /// An arena whose first chunk holds at least `bytes` bytes.
    #[must_use]
    pub fn with_capacity(bytes: usize) -> Self {
        Self::from_bump(Bump::with_capacity(bytes))
    }

    /// An arena that never holds more than `limit` bytes of chunks. Past it the `try_*`
    /// methods return [`ArenaError::LimitExceeded`] and the others panic with that message.
    #[must_use]
    pub fn with_limit(limit: usize) -> Self {
        let arena = Self::new();
        arena.set_limit(Some(limit));
        arena
    }

    fn from_bump(bump: Bump) -> Self {
        Self {
            bump,
            kind: Cell::new(ptr::null()),
            low: Cell::new(ptr::null_mut()),
            floor: Cell::new(ptr::null_mut()),
            high: Cell::new(ptr::null_mut()),
            zst_len: Cell::new(0),
            runs: UnsafeCell::new(std::vec::Vec::new()),
        }
    }

    /// Sets or clears the byte limit (bytes of chunks taken from the global allocator).
    pub fn set_limit(&self, limit: Option<usize>) {
        self.bump.set_allocation_limit(limit);
    }

    /// The byte limit, if any.
    #[must_use]
    pub fn limit(&self) -> Option<usize> {
        self.bump.allocation_limit()
    }

    /// Bytes of chunk memory the arena holds (what it took from the global allocator, not
    /// counting chunk headers). The byte limit applies to this figure.
    #[must_use]
    pub fn allocated_bytes(&self) -> usize {
        self.bump.allocated_bytes()
    }

    /// The underlying bumpalo arena, for APIs that take a `&Bump`.
    #[must_use]
    pub fn as_bump(&self) -> &Bump {
        &self.bump
    }

    #[cold]
    fn error(&self, requested: usize) -> ArenaError {
        let allocated = self.allocated_bytes();
        match self.limit() {
            // Bumpalo grows by whole chunks (doubling), so the limit can refuse a request
            // smaller than the room left below it; with a limit set, it is the cause.
            Some(limit) => ArenaError::LimitExceeded {
                requested,
                allocated,
                limit,
            },
            _ => ArenaError::OutOfMemory { requested },
        }
    }

    /// Moves `value` into the arena. Its `Drop` never runs (see [`Arena::alloc_with_drop`]).
    ///
    /// # Panics
    ///
    /// When the byte limit or the global allocator refuses the memory
    /// ([`Arena::try_alloc`] returns that as an error).
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // Each call returns a fresh, disjoint allocation.
    pub fn alloc<T>(&self, value: T) -> &mut T {
        match self.bump.try_alloc(value) {
            Ok(r) => r,
            Err(_) => limit_panic(self.error(mem::size_of::<T>())),
        }
    }

    /// Moves `value` into the arena, or says why it could not.
    ///
    /// # Errors
    ///
    /// [`ArenaError::LimitExceeded`] past the byte limit, [`ArenaError::OutOfMemory`] when the
    /// global allocator fails.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc<T>(&self, value: T) -> Result<&mut T, ArenaError> {
        self.bump
            .try_alloc(value)
            .map_err(|_| self.error(mem::size_of::<T>()))
    }

    /// Copies `s` into the arena.
    ///
    /// # Panics
    ///
    /// As [`Arena::alloc`].
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_str(&self, s: &str) -> &mut str {
        match self.try_alloc_str(s) {
            Ok(r) => r,
            Err(e) => limit_panic(e),
        }
    }

    /// Copies `s` into the arena, or says why it could not.
    ///
    /// # Errors
    ///
    /// As [`Arena::try_alloc`].
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc_str(&self, s: &str) -> Result<&mut str, ArenaError> {
        self.bump.try_alloc_str(s).map_err(|_| self.error(s.len()))
    }

    /// Copies `src` into the arena.
    ///
    /// # Panics
    ///
    /// As [`Arena::alloc`].
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        match self.try_alloc_slice_copy(src) {
            Ok(r) => r,
            Err(e) => limit_panic(e),
        }
    }

    /// Copies `src` into the arena, or says why it could not.
    ///
    /// # Errors
    ///
    /// As [`Arena::try_alloc`].
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], ArenaError> {
        self.bump
            .try_alloc_slice_copy(src)
            .map_err(|_| self.error(mem::size_of_val(src)))
    }

    /// Collects an exact-size iterator into an arena slice.
    ///
    /// # Panics
    ///
    /// As [`Arena::alloc`], and when the iterator yields fewer items than its `len()`.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_slice_fill_iter<T, I>(&self, iter: I) -> &mut [T]
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        match self.try_alloc_slice_fill_iter(iter) {
            Ok(r) => r,
            Err(e) => limit_panic(e),
        }
    }

    /// Collects an exact-size iterator into an arena slice, or says why it could not.
    ///
    /// # Errors
    ///
    /// As [`Arena::try_alloc`].
    ///
    /// # Panics
    ///
    /// When the iterator yields fewer items than its `len()`.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc_slice_fill_iter<T, I>(&self, iter: I) -> Result<&mut [T], ArenaError>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        let iter = iter.into_iter();
        let bytes = iter.len().saturating_mul(mem::size_of::<T>());
        self.bump
            .try_alloc_slice_fill_iter(iter)
            .map_err(|_| self.error(bytes))
    }

    /// An empty arena-backed vector.
    #[must_use]
    pub fn vec<T>(&self) -> Vec<'_, T> {
        Vec::new_in(&self.bump)
    }

    /// An arena-backed vector with room for `capacity` elements.
    ///
    /// # Panics
    ///
    /// As [`Arena::alloc`]. Growing the vector past the byte limit panics too; use
    /// `try_reserve` on it to get an error instead.
    #[must_use]
    pub fn vec_with_capacity<T>(&self, capacity: usize) -> Vec<'_, T> {
        Vec::with_capacity_in(capacity, &self.bump)
    }

    /// An empty arena-backed string.
    #[must_use]
    pub fn string(&self) -> String<'_> {
        String::new_in(&self.bump)
    }

    /// An arena-backed copy of `s`.
    ///
    /// # Panics
    ///
    /// As [`Arena::alloc`].
    #[must_use]
    pub fn string_from(&self, s: &str) -> String<'_> {
        String::from_str_in(s, &self.bump)
    }

    /// Moves `value` into the arena and runs its `Drop` exactly once, when the arena is reset
    /// or dropped. Values are dropped in reverse order of allocation.
    ///
    /// `T: 'static` because the destructor runs later than any borrow the value could hold:
    /// when the arena resets or drops, which may be long after a local the value borrowed is
    /// gone (the arena has no lifetime parameter that could tie the two together). Values
    /// that own their data (`String`, `Vec<T>`, `Box<T>`, `Arc<T>`, handles, your own
    /// structs of such) qualify; values that borrow do not, and neither do values that borrow
    /// from this arena. This is the bound that makes running destructors sound here: bumpalo
    /// never runs them, and typed-arena instead ties `T` to the arena's own lifetime.
    /// `T: Send` because the arena may be sent to another thread and drop them there.
    ///
    /// ```compile_fail
    /// # use perfkit_memory::arena::Arena;
    /// struct Borrows<'a>(&'a str);
    /// impl Drop for Borrows<'_> {
    ///     fn drop(&mut self) { println!("{}", self.0) }
    /// }
    /// let arena = Arena::new();
    /// let local = String::from("freed before the arena drops");
    /// arena.alloc_with_drop(Borrows(&local)); // error: `local` does not live long enough
    /// drop(local);
    /// drop(arena);
    /// ```
    ///
    /// # Panics
    ///
    /// As [`Arena::alloc`].
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_with_drop<T: Send + 'static>(&self, value: T) -> &mut T {
        match self.try_alloc_with_drop(value) {
            Ok(r) => r,
            Err(e) => limit_panic(e),
        }
    }

    /// [`Arena::alloc_with_drop`] that says why it could not allocate instead of panicking.
    /// On error `value` is dropped at once.
    ///
    /// # Errors
    ///
    /// As [`Arena::try_alloc`].
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc_with_drop<T: Send + 'static>(&self, value: T) -> Result<&mut T, ArenaError> {
        if !mem::needs_drop::<T>() {
            return self.try_alloc(value);
        }
        let kind = KindOf::<T>::KIND;
        let size = mem::size_of::<T>();
        let p = if size == 0 {
            self.next_zst(kind)
        } else {
            let low = self.low.get();
            // `floor <= low` (invariant), so this cannot wrap.
            if ptr::eq(self.kind.get(), kind) && low as usize - self.floor.get() as usize >= size {
                let p = low.wrapping_sub(size);
                self.low.set(p);
                p
            } else {
                self.next_slot(kind)?
            }
        }
        .cast::<T>();
        // SAFETY: `p` is aligned for `T` and either dangling for a zero-sized `T` or the start
        // of `size` bytes of the free block, which belong to no other value (invariant); it is
        // now the newest value of the current run, which `run_drops` drops exactly once.
        unsafe { p.write(value) };
        // SAFETY: initialised just above; the allocation belongs to the caller for as long as
        // the arena is borrowed (only `reset`/`drop`, which need `&mut self`, touch it again).
        Ok(unsafe { &mut *p })
    }

    /// The slot for one more zero-sized value of `kind`: a dangling, aligned pointer, counted
    /// in the current run.
    #[inline(always)]
    fn next_zst(&self, kind: &'static DropKind) -> *mut u8 {
        if ptr::eq(self.kind.get(), kind) {
            self.zst_len.set(self.zst_len.get() + 1);
        } else {
            self.finish_run();
            self.kind.set(kind);
            self.zst_len.set(1);
        }
        ptr::without_provenance_mut(kind.align)
    }

    /// The slot for one more sized value of `kind` when the fast path cannot extend the
    /// current run: a run of another kind is finished and a new one started, and a new block
    /// is reserved when the free one is too small.
    #[cold]
    #[inline(never)]
    fn next_slot(&self, kind: &'static DropKind) -> Result<*mut u8, ArenaError> {
        let size = kind.size;
        if !ptr::eq(self.kind.get(), kind) {
            self.finish_run();
            // An empty run of `kind` at the top of the free block, aligned down for it.
            let low = self.low.get();
            let top = low.wrapping_sub(low as usize % kind.align);
            if (top as usize) < self.floor.get() as usize {
                // Not even aligned room left: give up the block.
                self.floor.set(ptr::null_mut());
                self.low.set(ptr::null_mut());
            } else {
                self.low.set(top);
            }
            self.high.set(self.low.get());
            self.kind.set(kind);
        }
        if (self.low.get() as usize) - (self.floor.get() as usize) < size {
            let (block, len) = self.reserve(kind)?;
            let block_top = block.wrapping_add(len);
            if block_top == self.floor.get() {
                // Bumpalo handed out the memory right below the free block (same chunk, so
                // the run's pointers keep their provenance): the block just grows.
                self.floor.set(block);
            } else {
                // Elsewhere (plain allocations came in between, or a new chunk): the current
                // run ends and an empty one starts at the top of the new block.
                self.finish_run();
                self.kind.set(kind);
                self.floor.set(block);
                self.low.set(block_top);
                self.high.set(block_top);
            }
        }
        let p = self.low.get().wrapping_sub(size);
        self.low.set(p);
        Ok(p)
    }

    /// Reserves a block for values of `kind`: as much of the current chunk as is left, up to
    /// [`DROP_BLOCK`] bytes and a whole number of values, or one value (which may start a new
    /// chunk, exactly as allocating it alone would) when the chunk has no room for one.
    fn reserve(&self, kind: &'static DropKind) -> Result<(*mut u8, usize), ArenaError> {
        let (size, align) = (kind.size, kind.align);
        // Aligning the block may cost up to `align - 1` bytes of the chunk.
        let room = self.bump.chunk_capacity().saturating_sub(align - 1);
        let len = if room >= size {
            let len = room.min(DROP_BLOCK.max(size));
            len - len % size
        } else {
            size
        };
        let layout = Layout::from_size_align(len, align).map_err(|_| self.error(size))?;
        // A raw pointer straight from bumpalo (not one derived from a `&mut`) keeps the
        // provenance of the whole chunk, so a run can later drop every value through it.
        let block = self
            .bump
            .try_alloc_layout(layout)
            .map_err(|_| self.error(size))?;
        Ok((block.as_ptr(), len))
    }

    /// Moves the current run, if it holds any value, to the finished runs; no run is current
    /// afterwards (the free block stays).
    fn finish_run(&self) {
        if let Some(done) = self.current_run()
            && done.len > 0
        {
            // SAFETY: `runs` is only touched here and in `run_drops` (`&mut self`), no reference
            // escapes, and `Vec::push` calls only the global allocator, which cannot reach it.
            unsafe { (*self.runs.get()).push(done) };
        }
        self.kind.set(ptr::null());
    }

    /// The current run as a [`DropRun`], if there is one.
    fn current_run(&self) -> Option<DropRun> {
        // SAFETY: a non-null `kind` is one of the `'static` `KindOf::KIND`s.
        let kind = unsafe { self.kind.get().as_ref()? };
        if kind.size == 0 {
            // Zero-sized values have no extent to measure: they are counted.
            return Some(DropRun {
                kind,
                start: ptr::without_provenance_mut(kind.align),
                len: self.zst_len.get(),
            });
        }
        let start = self.low.get();
        let len = (self.high.get() as usize - start as usize) / kind.size;
        Some(DropRun { kind, start, len })
    }

    /// Number of values waiting for their `Drop` (allocated with
    /// [`alloc_with_drop`](Arena::alloc_with_drop) since the last reset).
    #[must_use]
    pub fn pending_drops(&mut self) -> usize {
        let current = self.current_run().map_or(0, |r| r.len);
        current + self.runs.get_mut().iter().map(|r| r.len).sum::<usize>()
    }

    /// Runs every pending destructor, newest value first.
    fn run_drops(&mut self) {
        let current = self.current_run();
        self.kind.set(ptr::null());
        // The free block goes with the chunks (reset frees them, drop drops them).
        self.floor.set(ptr::null_mut());
        self.low.set(ptr::null_mut());
        self.high.set(ptr::null_mut());
        let mut runs = mem::take(self.runs.get_mut());
        // An empty current run (one whose first value failed to allocate) may have a null start.
        runs.extend(current.filter(|r| r.len > 0));
        // Newest run first; inside a run the lowest address is the newest value.
        for run in runs.iter().rev() {
            // Each run was recorded by `try_alloc_with_drop::<T>` for values it allocated and
            // initialised (`DropRun` invariant; for zero-sized types `start` is dangling,
            // aligned and non-null, which is all a zero-sized value needs).
            // SAFETY: the runs hold initialised values (above); they were taken out of the
            // arena, so none is dropped twice; `&mut self` means none is borrowed.
            unsafe { (run.kind.drop)(run.start, run.len) };
        }
        // Keep the allocation of the run list for the next round.
        runs.clear();
        *self.runs.get_mut() = runs;
    }

    /// Drops every value allocated with [`alloc_with_drop`](Arena::alloc_with_drop) and frees
    /// all allocations at once, keeping the largest chunk for reuse.
    pub fn reset(&mut self) {
        self.run_drops();
        self.bump.reset();
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        self.run_drops();
    }
}

/// How many idle arenas each thread keeps for [`with_frame`] (one per nesting level).
const FRAME_CACHE: usize = 4;

thread_local! {
    static FRAMES: RefCell<std::vec::Vec<Arena>> = const { RefCell::new(std::vec::Vec::new()) };
}

/// Returns a frame's arena to the thread's cache, reset, even when the closure panics.
struct FrameGuard(Arena);

impl Drop for FrameGuard {
    fn drop(&mut self) {
        // `Arena::new` takes no memory, so swapping one in is free.
        let mut arena = mem::take(&mut self.0);
        arena.reset();
        arena.set_limit(None);
        // During thread-local destruction the cache may be gone; the arena just drops.
        let _ = FRAMES.try_with(|frames| {
            if let Ok(mut frames) = frames.try_borrow_mut()
                && frames.len() < FRAME_CACHE
            {
                frames.push(arena);
            }
        });
    }
}

/// Runs `f` with a thread-local scratch arena and resets it afterwards.
///
/// The arena keeps its largest chunk between calls, so a steady per-request or per-batch
/// workload allocates from warm memory and never returns to the global allocator. Nested
/// calls get their own arena. Values allocated with
/// [`alloc_with_drop`](Arena::alloc_with_drop) are dropped when `f` returns (or unwinds).
/// Nothing allocated in the arena can escape `f`: the result type cannot borrow from it.
///
/// ```
/// let lens: Vec<usize> = (0..3)
///     .map(|i| perfkit_memory::arena::with_frame(|a| a.alloc_str(&"ab".repeat(i)).len()))
///     .collect();
/// assert_eq!(lens, [0, 2, 4]);
/// ```
pub fn with_frame<R>(f: impl FnOnce(&Arena) -> R) -> R {
    let cached = FRAMES
        .try_with(|frames| frames.try_borrow_mut().ok().and_then(|mut v| v.pop()))
        .ok()
        .flatten();
    let guard = FrameGuard(cached.unwrap_or_default());
    f(&guard.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_zst_with_drop() {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        struct Unit;
        impl Drop for Unit {
            fn drop(&mut self) {
                COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        #[repr(align(64))]
        struct Aligned;
        impl Drop for Aligned {
            fn drop(&mut self) {
                assert_eq!(std::ptr::from_mut(self) as usize % 64, 0, "aligned");
                COUNT.fetch_add(10, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let mut arena = Arena::new();
        for _ in 0..5 {
            arena.alloc_with_drop(Unit);
            arena.alloc_with_drop(Aligned);
        }
        assert_eq!(arena.pending_drops(), 10);
        drop(arena);
        assert_eq!(COUNT.load(std::sync::atomic::Ordering::Relaxed), 55);
    }
}
