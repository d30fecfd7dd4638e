//! Heap profiles: where the allocations come from, in the format DHAT's viewer loads
//! (feature `heap-profile`).
//!
//! [`TrackingAllocator`](crate::TrackingAllocator) counts allocations; while a [`Profiler`]
//! runs it also records, per allocation site (the call stack of the allocation, to a
//! configurable depth), the figures DHAT reports:
//!
//! - total blocks and bytes allocated there,
//! - the most bytes live at once from that site (and the blocks at that moment),
//! - the blocks and bytes live at the **global peak** (t-gmax, the moment the whole heap was
//!   largest) and at the end,
//! - the total lifetime of its blocks.
//!
//! Stopping the profiler (dropping it, or [`Profiler::finish`]) symbolizes the stacks, once
//! per distinct address, and writes `dhat-heap.json`, which DHAT's viewer (`dh_view.html`,
//! shipped with valgrind) opens.
//!
//! ```no_run
//! use perfkit_memory::{MiMalloc, TrackingAllocator};
//!
//! #[global_allocator]
//! static ALLOC: TrackingAllocator<MiMalloc> = TrackingAllocator::new(MiMalloc);
//!
//! fn main() {
//!     let _profiler = perfkit_memory::heap::Profiler::start();
//!     let names: Vec<String> = (0..1000).map(|i| format!("metric.{i}")).collect();
//!     drop(names);
//!     // Dropping `_profiler` writes dhat-heap.json (or the file in PERFKIT_HEAP_FILE).
//! }
//! ```
//!
//! `cargo xtask heap --bin NAME` builds a target with frame pointers and this feature, runs
//! it and prints the top sites.
//!
//! # Cost, and frame pointers
//!
//! While the profiler runs, every allocator call takes the tracking allocator's slow path,
//! captures the stack and updates a table under a lock. Stacks are captured by walking the
//! frame-pointer chain (a few loads per frame), which needs the program built with
//! `-C force-frame-pointers=yes` (the standard library ships with frame pointers). Without
//! them ([`Unwind::Auto`] finds out when the profiler starts) the stacks come from DWARF
//! unwinding (the `backtrace` crate), correct but tens of times slower per call. When no
//! profiler runs, the feature costs nothing on the counting fast paths (a `realloc` checks
//! one flag).
//!
//! # What is counted
//!
//! Blocks allocated before [`Profiler::start`] are not tracked, and freeing them is ignored.
//! A `realloc` counts as freeing the old block and allocating the new one at the
//! reallocating call's stack. The profiler's own tables are allocated through the global
//! allocator while recording is suspended on that thread: they appear in
//! [`stats`](crate::tracking::stats), not in the profile. Sites whose stacks differ only in the
//! allocator's own frames (trimmed from the output) are merged, summing their figures (the
//! per-site maxima so summed are an upper bound).
//!
//! Time is measured in microseconds from the start of the profile.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::tracking::{self, Event};

mod clock;
mod lock;
mod profile;
mod recorder;
mod symbols;
mod walk;

pub use profile::{HeapProfile, Site};

use lock::lock;
use recorder::{Live, Recorder};
use walk::{capture, frame_pointers_work};

/// The default stack depth recorded per site (after the allocator's own frames are trimmed).
pub const DEFAULT_DEPTH: usize = 12;
/// The most frames a site can record.
pub const MAX_DEPTH: usize = 64;
/// Frames captured beyond the requested depth, for the allocator's own frames (the
/// `GlobalAlloc` methods, the tracking allocator's slow path, the profiler), trimmed when the
/// profile is written.
const OWN_FRAMES: usize = 8;
/// The environment variable that names the output file when the builder names none.
pub const FILE_ENV: &str = "PERFKIT_HEAP_FILE";
/// The output file when neither the builder nor [`FILE_ENV`] names one (dhat-rs's name).
pub const DEFAULT_FILE: &str = "dhat-heap.json";

/// Whether the frame-pointer walk exists on this target.
const FP_WALK: bool = cfg!(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
));

/// Whether a profiler is recording.
static RECORDING: AtomicBool = AtomicBool::new(false);
/// The running profile's frames to capture (its depth plus [`OWN_FRAMES`]).
static CAPTURE_DEPTH: AtomicUsize = AtomicUsize::new(DEFAULT_DEPTH + OWN_FRAMES);
/// Whether the running profile walks frame pointers (else DWARF).
static WALK_FRAME_POINTERS: AtomicBool = AtomicBool::new(false);
thread_local! {
    /// Set while this thread is inside the profiler, whose own allocations are then only
    /// counted (no recursion into the tables, no deadlock on the lock).
    static BUSY: Cell<bool> = const { Cell::new(false) };
    /// The entry `realloc` took out of the live table before calling the inner allocator (see
    /// [`detach`]).
    static DETACHED: Cell<Option<Live>> = const { Cell::new(None) };
    /// This thread's stack `(low, high)` for the frame-pointer walk; `(0, 0)` until known.
    static STACK: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Whether a heap profile is being recorded.
#[inline]
pub(crate) fn recording() -> bool {
    RECORDING.load(Ordering::Relaxed)
}

/// How the profiler captures call stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Unwind {
    /// Frame pointers if the program was built with them (checked when the profiler starts),
    /// DWARF unwinding otherwise.
    #[default]
    Auto,
    /// Walk the frame-pointer chain: fast, and right only in a program built with
    /// `-C force-frame-pointers=yes` (x86-64 and AArch64 Linux; elsewhere DWARF is used).
    FramePointers,
    /// DWARF unwinding through the `backtrace` crate: works in any build, much slower.
    Dwarf,
}

/// Why a profiler could not start or write its file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeapError {
    /// Another [`Profiler`] is running (a process records one profile at a time).
    #[error("a heap profiler is already running")]
    AlreadyRunning,
    /// No [`TrackingAllocator`](crate::TrackingAllocator) has seen an allocation, so it is
    /// not the global allocator and nothing could be recorded.
    #[error(
        "perfkit_memory::TrackingAllocator is not the #[global_allocator]: a heap profile \
         would be empty"
    )]
    NotGlobalAllocator,
    /// The profile could not be written.
    #[error("cannot write the heap profile {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// Settings of a [`Profiler`]; [`Profiler::builder`] makes one.
#[derive(Debug, Clone)]
pub struct ProfilerBuilder {
    file: Option<PathBuf>,
    write: bool,
    depth: usize,
    unwind: Unwind,
}

impl ProfilerBuilder {
    /// Writes the profile to `path` (default: the file named by `PERFKIT_HEAP_FILE`, else
    /// `dhat-heap.json` in the current directory).
    #[must_use]
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self.write = true;
        self
    }

    /// Writes no file: the profile is only returned by [`Profiler::finish`] (for tests and
    /// for programs that report it themselves).
    #[must_use]
    pub fn no_file(mut self) -> Self {
        self.write = false;
        self
    }

    /// Frames recorded per site, after the allocator's own are trimmed (default
    /// [`DEFAULT_DEPTH`], at most [`MAX_DEPTH`], at least 1). Deeper stacks tell more
    /// callers apart and cost more per allocation.
    #[must_use]
    pub fn depth(mut self, depth: usize) -> Self {
        self.depth = depth.clamp(1, MAX_DEPTH);
        self
    }

    /// How stacks are captured (default [`Unwind::Auto`]).
    #[must_use]
    pub fn unwind(mut self, unwind: Unwind) -> Self {
        self.unwind = unwind;
        self
    }

    /// Starts recording.
    ///
    /// # Errors
    ///
    /// [`HeapError::AlreadyRunning`] while another profiler runs;
    /// [`HeapError::NotGlobalAllocator`] when no `TrackingAllocator` has allocated anything.
    pub fn start(self) -> Result<Profiler, HeapError> {
        if !tracking::is_active() {
            return Err(HeapError::NotGlobalAllocator);
        }
        let unwind = match self.unwind {
            Unwind::Auto if frame_pointers_work() => Unwind::FramePointers,
            Unwind::FramePointers if FP_WALK => Unwind::FramePointers,
            _ => Unwind::Dwarf,
        };
        let file = self.write.then(|| {
            self.file.unwrap_or_else(|| {
                std::env::var_os(FILE_ENV)
                    .map_or_else(|| PathBuf::from(DEFAULT_FILE), PathBuf::from)
            })
        });
        let _busy = Busy::enter();
        let mut state = lock();
        if state.is_some() {
            return Err(HeapError::AlreadyRunning);
        }
        *state = Some(Recorder::new(self.depth, unwind));
        CAPTURE_DEPTH.store(self.depth + OWN_FRAMES, Ordering::Relaxed);
        WALK_FRAME_POINTERS.store(unwind == Unwind::FramePointers, Ordering::Relaxed);
        RECORDING.store(true, Ordering::SeqCst);
        drop(state);
        tracking::force_slow_paths();
        Ok(Profiler {
            file,
            unwind,
            running: true,
        })
    }
}

/// A running heap profile: recording starts with [`Profiler::start`] and stops when the value
/// is dropped (writing the file) or [`finish`](Profiler::finish)ed.
#[derive(Debug)]
#[must_use = "the profile stops when the profiler is dropped"]
pub struct Profiler {
    file: Option<PathBuf>,
    unwind: Unwind,
    running: bool,
}

impl Profiler {
    /// Settings: output file, depth, unwinding.
    pub fn builder() -> ProfilerBuilder {
        ProfilerBuilder {
            file: None,
            write: true,
            depth: DEFAULT_DEPTH,
            unwind: Unwind::Auto,
        }
    }

    /// Starts recording with the default settings; dropping the profiler writes
    /// `dhat-heap.json` (or the file named by `PERFKIT_HEAP_FILE`).
    ///
    /// # Panics
    ///
    /// If another profiler is running or the tracking allocator is not the global
    /// allocator (see [`ProfilerBuilder::start`] for the `Result`).
    pub fn start() -> Self {
        match Self::builder().start() {
            Ok(p) => p,
            Err(e) => panic!("perfkit_memory::heap::Profiler::start: {e}"),
        }
    }

    /// How this profiler captures stacks ([`Unwind::Auto`] resolved at start).
    #[must_use]
    pub fn unwind(&self) -> Unwind {
        self.unwind
    }

    /// Stops recording, writes the file (unless built with
    /// [`no_file`](ProfilerBuilder::no_file)) and returns the profile.
    ///
    /// # Errors
    ///
    /// If the file cannot be written (the profile is lost with it; print it first with
    /// [`HeapProfile::to_json`] from a `no_file` profiler if that matters).
    pub fn finish(mut self) -> Result<HeapProfile, HeapError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<HeapProfile, HeapError> {
        self.running = false;
        let _busy = Busy::enter();
        let recorder = {
            let mut state = lock();
            RECORDING.store(false, Ordering::SeqCst);
            state.take()
        };
        let Some(recorder) = recorder else {
            return Err(HeapError::Write {
                path: self.file.clone().unwrap_or_default(),
                source: std::io::Error::other("the profile was already taken"),
            });
        };
        let mut profile = recorder.finish();
        if let Some(path) = &self.file {
            std::fs::write(path, profile.to_json()).map_err(|source| HeapError::Write {
                path: path.clone(),
                source,
            })?;
            profile.file = Some(path.clone());
        }
        Ok(profile)
    }
}

impl Drop for Profiler {
    fn drop(&mut self) {
        if !self.running {
            return;
        }
        match self.stop() {
            Ok(p) => {
                let where_ = p
                    .file()
                    .map_or_else(String::new, |f| format!("; written to {}", f.display()));
                eprintln!(
                    "perfkit heap: {} blocks, {} bytes allocated at {} sites; peak {} bytes in {} \
                     blocks{where_} (open it in valgrind's dh_view.html)",
                    p.total_blocks,
                    p.total_bytes,
                    p.sites.len(),
                    p.peak_bytes,
                    p.peak_blocks,
                );
            }
            Err(e) => eprintln!("perfkit heap: {e}"),
        }
    }
}

/// Marks this thread as inside the profiler until dropped.
struct Busy {
    was: bool,
}

impl Busy {
    fn enter() -> Self {
        Self {
            was: BUSY.with(|b| b.replace(true)),
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.with(|b| b.set(self.was));
    }
}

/// Records one allocator event (called by the tracking allocator's slow path while
/// [`recording`]).
#[cold]
#[inline(never)]
pub(crate) fn record(event: Event) {
    if !recording() || BUSY.with(Cell::get) {
        return;
    }
    let _busy = Busy::enter();
    match event {
        Event::Alloc { size, ptr, .. } => {
            let mut frames = [0usize; MAX_DEPTH + OWN_FRAMES];
            let n = capture(&mut frames);
            if let Some(r) = lock().as_mut() {
                r.alloc(ptr as usize, size as u64, &frames[..n]);
            }
        }
        Event::Dealloc { ptr, .. } => {
            if let Some(r) = lock().as_mut()
                && let Some(block) = r.take(ptr as usize)
            {
                r.free(block);
            }
        }
        Event::Realloc { new, new_ptr, .. } => {
            let mut frames = [0usize; MAX_DEPTH + OWN_FRAMES];
            let n = capture(&mut frames);
            let old = DETACHED.with(Cell::take);
            if let Some(r) = lock().as_mut() {
                if let Some(block) = old {
                    r.free(block);
                }
                r.alloc(new_ptr as usize, new as u64, &frames[..n]);
            }
        }
    }
}

/// Before a `realloc` while recording: takes `ptr`'s entry out of the live table, so that no
/// other thread's allocation reusing the address after the inner `realloc` frees it can be
/// confused with it; [`record`] (or [`reattach`], if the `realloc` failed) uses it.
#[cold]
#[inline(never)]
pub(crate) fn detach(ptr: *mut u8) {
    if BUSY.with(Cell::get) {
        return;
    }
    let _busy = Busy::enter();
    let block = lock().as_mut().and_then(|r| r.take(ptr as usize));
    DETACHED.with(|d| d.set(block));
}

/// After a failed `realloc`: `ptr` is still live; its entry goes back.
#[cold]
#[inline(never)]
pub(crate) fn reattach(ptr: *mut u8) {
    let Some(block) = DETACHED.with(Cell::take) else {
        return;
    };
    let _busy = Busy::enter();
    if let Some(r) = lock().as_mut() {
        r.put_back(ptr as usize, block);
    }
}
