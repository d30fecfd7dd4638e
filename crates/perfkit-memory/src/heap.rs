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

use std::cell::{Cell, UnsafeCell};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use crate::tracking::{self, Event};

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
/// The running profiler's tables.
static STATE: SpinLock = SpinLock {
    locked: AtomicBool::new(false),
    recorder: UnsafeCell::new(None),
};

/// The lock around the running profile's tables: one atomic swap to take, a plain release
/// store to give back (a `Mutex` costs a second read-modify-write to release, and at one
/// lock per allocator call that showed as a fifth of the profiler's time). Contended, it
/// spins and then yields: the critical sections are table updates of tens of nanoseconds.
struct SpinLock {
    locked: AtomicBool,
    recorder: UnsafeCell<Option<Recorder>>,
}

// SAFETY: the recorder is only reached through `Guard`, of which at most one exists at a time
// (`lock` hands one out only after swapping `locked` from false to true, with acquire
// ordering, and its drop stores false with release ordering), so accesses from different
// threads are ordered one after the other.
unsafe impl Sync for SpinLock {}

/// Access to the running profile's tables while the lock is held.
struct Guard {
    _not_send: std::marker::PhantomData<*mut ()>,
}

impl std::ops::Deref for Guard {
    type Target = Option<Recorder>;
    fn deref(&self) -> &Option<Recorder> {
        // SAFETY: this guard holds the lock (see `SpinLock`), so no other reference to the
        // recorder exists while it lives.
        unsafe { &*STATE.recorder.get() }
    }
}

impl std::ops::DerefMut for Guard {
    fn deref_mut(&mut self) -> &mut Option<Recorder> {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference through the guard.
        unsafe { &mut *STATE.recorder.get() }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        STATE.locked.store(false, Ordering::Release);
    }
}

thread_local! {
    /// Set while this thread is inside the profiler, whose own allocations are then only
    /// counted (no recursion into the tables, no deadlock on [`STATE`]).
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

/// One allocation site of a [`HeapProfile`]: its stack and DHAT's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Site {
    /// The call stack, innermost first: `0xADDRESS: function (file:line:column)` per frame,
    /// the allocator's own frames trimmed.
    pub frames: Vec<String>,
    /// Blocks allocated here.
    pub total_blocks: u64,
    /// Bytes allocated here.
    pub total_bytes: u64,
    /// The sum of the lifetimes of the blocks allocated here, in microseconds (blocks still
    /// live at the end count up to the end).
    pub total_lifetime_us: u64,
    /// The most bytes from this site live at once.
    pub max_bytes: u64,
    /// The blocks from this site live when `max_bytes` was reached.
    pub max_blocks: u64,
    /// Bytes from this site live at the global peak (t-gmax).
    pub at_peak_bytes: u64,
    /// Blocks from this site live at the global peak.
    pub at_peak_blocks: u64,
    /// Bytes from this site still live at the end.
    pub at_end_bytes: u64,
    /// Blocks from this site still live at the end.
    pub at_end_blocks: u64,
}

impl Site {
    /// The innermost frame's function name (without address and location), if any.
    #[must_use]
    pub fn function(&self) -> Option<&str> {
        self.frames.first().map(|f| frame_function(f))
    }
}

/// The function name of a frame string `0xADDR: name (location)`.
fn frame_function(frame: &str) -> &str {
    let name = frame.split_once(": ").map_or(frame, |(_, rest)| rest);
    name.rsplit_once(" (").map_or(name, |(n, _)| n)
}

/// A finished heap profile: every site, sorted by bytes allocated (most first).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct HeapProfile {
    /// The sites, most bytes allocated first.
    pub sites: Vec<Site>,
    /// Blocks allocated while recording.
    pub total_blocks: u64,
    /// Bytes allocated while recording.
    pub total_bytes: u64,
    /// The most bytes live at once (tracked blocks only).
    pub peak_bytes: u64,
    /// The blocks live at that peak.
    pub peak_blocks: u64,
    /// When the peak was reached, microseconds from the start.
    pub peak_time_us: u64,
    /// The length of the profile, microseconds.
    pub end_time_us: u64,
    /// How stacks were captured.
    pub unwind: Unwind,
    file: Option<PathBuf>,
}

impl HeapProfile {
    /// The file the profile was written to, if any.
    #[must_use]
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The profile in DHAT's JSON format (`dhatFileVersion` 2, mode `rust-heap`, block
    /// lifetimes, no access counts), as written to the file.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut ftbl: Vec<&str> = vec!["[root]"];
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut out = String::with_capacity(256 + self.sites.len() * 160);
        let cmd: Vec<String> = std::env::args().collect();
        let _ = write!(
            out,
            "{{\"dhatFileVersion\":2,\"mode\":\"rust-heap\",\"verb\":\"Allocated\",\
             \"bklt\":true,\"bkacc\":false,\"tu\":\"µs\",\"Mtu\":\"s\",\"tuth\":10,\
             \"cmd\":{},\"pid\":{},\"tg\":{},\"te\":{},\"pps\":[",
            json_string(&cmd.join(" ")),
            std::process::id(),
            self.peak_time_us,
            self.end_time_us
        );
        for (i, s) in self.sites.iter().enumerate() {
            let fs: Vec<String> = s
                .frames
                .iter()
                .map(|f| {
                    let n = *index.entry(f.as_str()).or_insert_with(|| {
                        ftbl.push(f);
                        ftbl.len() - 1
                    });
                    n.to_string()
                })
                .collect();
            let _ = write!(
                out,
                "{}\n{{\"tb\":{},\"tbk\":{},\"tl\":{},\"mb\":{},\"mbk\":{},\"gb\":{},\"gbk\":{},\
                 \"eb\":{},\"ebk\":{},\"fs\":[{}]}}",
                if i == 0 { "" } else { "," },
                s.total_bytes,
                s.total_blocks,
                s.total_lifetime_us,
                s.max_bytes,
                s.max_blocks,
                s.at_peak_bytes,
                s.at_peak_blocks,
                s.at_end_bytes,
                s.at_end_blocks,
                fs.join(",")
            );
        }
        out.push_str("\n],\"ftbl\":[");
        for (i, f) in ftbl.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
            } else {
                out.push('\n');
            }
            out.push_str(&json_string(f));
        }
        out.push_str("\n]}\n");
        out
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---- recording ----

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

fn lock() -> Guard {
    let mut spins = 0_u32;
    while STATE.locked.swap(true, Ordering::Acquire) {
        while STATE.locked.load(Ordering::Relaxed) {
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
    Guard {
        _not_send: std::marker::PhantomData,
    }
}

/// A block allocated while recording.
#[derive(Debug, Clone, Copy)]
struct Live {
    site: u32,
    size: u64,
    /// Ticks of [`clock::ticks`] from the start.
    at: u64,
}

/// DHAT's figures for one raw stack.
#[derive(Debug, Clone, Copy, Default)]
struct SiteStats {
    total_blocks: u64,
    total_bytes: u64,
    /// In ticks of [`clock::ticks`].
    lifetimes: u64,
    max_bytes: u64,
    max_blocks: u64,
    at_peak_bytes: u64,
    at_peak_blocks: u64,
    bytes: u64,
    blocks: u64,
    /// Changed since its `at_peak_*` were last set (and listed in `Recorder::dirty`).
    dirty: bool,
}

/// A multiply-rotate hasher for the tables' integer keys (addresses and return addresses).
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits of an aligned address's product zero, and the
        // table indexes by the low bits: fold the high half in.
        self.0 ^ (self.0 >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        // A slice of integers (a stack) arrives here as its bytes: eight at a time.
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0; 8];
            word.copy_from_slice(w);
            self.write_u64(u64::from_ne_bytes(word));
        }
        for &b in words.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type Fast = BuildHasherDefault<WordHasher>;

/// A 64-bit hash of a raw stack, the key of its site: two stacks are taken for the same site
/// only if their hashes are equal, which for distinct stacks has a chance of about 2^-64 per
/// pair (and then merges two sites' figures), and saves comparing whole stacks on every call.
fn stack_hash(stack: &[usize]) -> u64 {
    // Each frame multiplied and rotated by its position, then summed: the multiplies are
    // independent (a chain of rotate-xor-multiply steps over twenty frames cost more than
    // the rest of the bookkeeping), and a frame's position changes its contribution.
    let mut h = (stack.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for (i, &ip) in stack.iter().enumerate() {
        h = h.wrapping_add(
            (ip as u64)
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
                .rotate_left(i as u32 * 7),
        );
    }
    // A final mix, so the table's index bits depend on every frame.
    let x = (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^ (x >> 32)
}

/// The running profile's tables.
struct Recorder {
    depth: usize,
    unwind: Unwind,
    start: Instant,
    start_ticks: u64,
    /// Site index by the hash of its raw stack ([`stack_hash`]).
    sites: HashMap<u64, u32, Fast>,
    stats: Vec<SiteStats>,
    stacks: Vec<Box<[usize]>>,
    live: HashMap<usize, Live, Fast>,
    /// Sites whose live figures changed since the last snapshot at a peak.
    dirty: Vec<u32>,
    bytes: u64,
    blocks: u64,
    total_bytes: u64,
    total_blocks: u64,
    peak_bytes: u64,
    peak_blocks: u64,
    peak_at: u64,
    /// A new peak was reached and not yet left (its per-site figures not yet taken).
    at_peak: bool,
}

impl Recorder {
    fn new(depth: usize, unwind: Unwind) -> Self {
        Self {
            depth,
            unwind,
            start: Instant::now(),
            start_ticks: clock::ticks(),
            sites: HashMap::default(),
            stats: Vec::new(),
            stacks: Vec::new(),
            live: HashMap::default(),
            dirty: Vec::new(),
            bytes: 0,
            blocks: 0,
            total_bytes: 0,
            total_blocks: 0,
            peak_bytes: 0,
            peak_blocks: 0,
            peak_at: 0,
            at_peak: false,
        }
    }

    /// Ticks of [`clock::ticks`] since the start.
    fn now(&self) -> u64 {
        clock::ticks().wrapping_sub(self.start_ticks)
    }

    fn site(&mut self, stack: &[usize]) -> u32 {
        let hash = stack_hash(stack);
        if let Some(&s) = self.sites.get(&hash) {
            return s;
        }
        let s = u32::try_from(self.stats.len()).unwrap_or(u32::MAX);
        self.sites.insert(hash, s);
        self.stacks.push(stack.into());
        self.stats.push(SiteStats::default());
        s
    }

    fn touch(&mut self, site: u32) {
        let st = &mut self.stats[site as usize];
        if !st.dirty {
            st.dirty = true;
            self.dirty.push(site);
        }
    }

    /// Takes every changed site's figures at the peak, before the heap first shrinks below
    /// it: nothing but allocations (each raising the peak) happened since it was reached.
    fn leave_peak(&mut self) {
        if !self.at_peak {
            return;
        }
        self.at_peak = false;
        for site in self.dirty.drain(..) {
            let st = &mut self.stats[site as usize];
            st.at_peak_bytes = st.bytes;
            st.at_peak_blocks = st.blocks;
            st.dirty = false;
        }
    }

    fn alloc(&mut self, ptr: usize, size: u64, stack: &[usize]) {
        let at = self.now();
        let site = self.site(stack);
        self.touch(site);
        let st = &mut self.stats[site as usize];
        st.total_blocks += 1;
        st.total_bytes += size;
        st.blocks += 1;
        st.bytes += size;
        if st.bytes > st.max_bytes {
            st.max_bytes = st.bytes;
            st.max_blocks = st.blocks;
        }
        self.total_blocks += 1;
        self.total_bytes += size;
        self.blocks += 1;
        self.bytes += size;
        if self.bytes > self.peak_bytes {
            self.peak_bytes = self.bytes;
            self.peak_blocks = self.blocks;
            self.peak_at = at;
            self.at_peak = true;
        }
        self.live.insert(ptr, Live { site, size, at });
    }

    fn free(&mut self, block: Live) {
        self.leave_peak();
        let now = self.now();
        self.touch(block.site);
        let st = &mut self.stats[block.site as usize];
        st.blocks -= 1;
        st.bytes -= block.size;
        st.lifetimes += now.saturating_sub(block.at);
        self.blocks -= 1;
        self.bytes -= block.size;
    }

    fn finish(mut self) -> HeapProfile {
        self.leave_peak();
        let end = self.now();
        // Ticks to microseconds, from the profile's length in both.
        let elapsed_us = self.start.elapsed().as_secs_f64() * 1e6;
        let us = |ticks: u64| {
            if end == 0 {
                0
            } else {
                (ticks as f64 * elapsed_us / end as f64) as u64
            }
        };
        for block in self.live.values() {
            self.stats[block.site as usize].lifetimes += end.saturating_sub(block.at);
        }
        let names = symbolize(&self.stacks);
        let mut merged: HashMap<Vec<String>, Site> = HashMap::new();
        for (stack, st) in self.stacks.iter().zip(&self.stats) {
            let frames = trimmed(stack, &names, self.depth);
            let site = merged.entry(frames.clone()).or_insert_with(|| Site {
                frames,
                ..Site::default()
            });
            site.total_blocks += st.total_blocks;
            site.total_bytes += st.total_bytes;
            site.total_lifetime_us += us(st.lifetimes);
            site.max_bytes += st.max_bytes;
            site.max_blocks += st.max_blocks;
            site.at_peak_bytes += st.at_peak_bytes;
            site.at_peak_blocks += st.at_peak_blocks;
            site.at_end_bytes += st.bytes;
            site.at_end_blocks += st.blocks;
        }
        let mut sites: Vec<Site> = merged.into_values().collect();
        sites.sort_by(|a, b| {
            b.total_bytes
                .cmp(&a.total_bytes)
                .then(b.total_blocks.cmp(&a.total_blocks))
                .then_with(|| a.frames.cmp(&b.frames))
        });
        HeapProfile {
            sites,
            total_blocks: self.total_blocks,
            total_bytes: self.total_bytes,
            peak_bytes: self.peak_bytes,
            peak_blocks: self.peak_blocks,
            peak_time_us: us(self.peak_at),
            end_time_us: us(end),
            unwind: self.unwind,
            file: None,
        }
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
                && let Some(block) = r.live.remove(&(ptr as usize))
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
    let block = lock().as_mut().and_then(|r| r.live.remove(&(ptr as usize)));
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
        r.live.insert(ptr as usize, block);
    }
}

/// Captures the calling thread's stack (return addresses, innermost first) into `out`, to the
/// running profile's depth plus the allocator's own frames.
fn capture(out: &mut [usize]) -> usize {
    let want = CAPTURE_DEPTH.load(Ordering::Relaxed).min(out.len());
    let out = &mut out[..want];
    if WALK_FRAME_POINTERS.load(Ordering::Relaxed) {
        fp::walk(out)
    } else {
        dwarf_walk(out)
    }
}

fn dwarf_walk(out: &mut [usize]) -> usize {
    let mut n = 0;
    backtrace::trace(|frame| {
        out[n] = frame.ip() as usize;
        n += 1;
        n < out.len()
    });
    n
}

/// Whether the frame-pointer walk finds this function's caller: the program was built with
/// frame pointers (`-C force-frame-pointers=yes`).
#[inline(never)]
fn frame_pointers_work() -> bool {
    if !FP_WALK {
        return false;
    }
    let mut out = [0usize; 1];
    let n = std::hint::black_box(fp::walk(&mut out));
    let here = frame_pointers_work as fn() -> bool as usize;
    // The return address into this function lies within its (short) body.
    n == 1 && out[0] > here && out[0] < here + 1024
}

/// A cheap monotonic tick count for the blocks' lifetimes, converted to microseconds once at
/// the end (by the profile's length in ticks and in `Instant` time): the time-stamp counter on
/// x86-64 (invariant on the CPUs that run this: constant rate, not stopped when idle), a
/// reading of `Instant` elsewhere. Reading `Instant` on every allocator call cost more than
/// the rest of the bookkeeping here.
mod clock {
    #[cfg(target_arch = "x86_64")]
    #[inline]
    pub(super) fn ticks() -> u64 {
        // SAFETY: `rdtsc` exists on every x86-64 CPU and only reads the time-stamp counter.
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::x86_64::_rdtsc()
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[inline]
    pub(super) fn ticks() -> u64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let start = *START.get_or_init(std::time::Instant::now);
        u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

// ---- symbols ----

/// One symbolized return address: its frames, innermost (inlined) first.
fn describe(ip: usize) -> Vec<String> {
    let mut frames = Vec::new();
    backtrace::resolve(ip as *mut std::ffi::c_void, |sym| {
        let name = sym
            .name()
            .map_or_else(|| "???".to_string(), |n| format!("{n:#}"));
        let location = match (sym.filename(), sym.lineno()) {
            (Some(file), Some(line)) => {
                format!(" ({}:{line}:{})", file.display(), sym.colno().unwrap_or(0))
            }
            _ => String::new(),
        };
        frames.push(format!("{ip:#x}: {name}{location}"));
    });
    if frames.is_empty() {
        frames.push(format!("{ip:#x}: ???"));
    }
    frames
}

/// Every distinct address of `stacks`, symbolized once.
fn symbolize(stacks: &[Box<[usize]>]) -> HashMap<usize, Vec<String>> {
    let mut names = HashMap::new();
    for &ip in stacks.iter().flat_map(|s| s.iter()) {
        names.entry(ip).or_insert_with(|| describe(ip));
    }
    names
}

/// Whether a frame belongs to the allocator (the `GlobalAlloc` shims, the tracking
/// allocator, this profiler, the unwinder): by its function's path, or, for inlined frames,
/// whose names debug info gives without their path, by its source file.
fn is_allocator_frame(frame: &str) -> bool {
    let file = frame.rsplit_once(" (").map_or("", |(_, location)| {
        location.rsplit_once(':').map_or(location, |(f, _)| f)
    });
    let file = file.rsplit_once(':').map_or(file, |(f, _)| f);
    let allocator_files = [
        "perfkit-memory/src/tracking/",
        "perfkit-memory/src/heap.rs",
        "/library/alloc/src/alloc.rs",
        "/library/std/src/alloc.rs",
        "/library/core/src/alloc/global.rs",
        "/library/std/src/thread/local.rs",
        "/src/backtrace/",
    ];
    if allocator_files.iter().any(|a| file.contains(a)) {
        return true;
    }
    let f = frame_function(frame);
    let f = f.strip_prefix('<').unwrap_or(f);
    [
        "perfkit_memory::tracking",
        "perfkit_memory::heap",
        "backtrace::",
        "__rust_alloc",
        "__rust_dealloc",
        "__rust_realloc",
        "__rust_alloc_zeroed",
        "__rustc::__rust",
        "__rg_",
        "__rdl_",
        "alloc::alloc::",
        "std::alloc::",
        "std::thread::local::LocalKey",
        "mimalloc::",
    ]
    .iter()
    .any(|p| f.starts_with(p))
}

/// A raw stack's frames without the allocator's own (the innermost run of them), cut to
/// `depth`.
fn trimmed(stack: &[usize], names: &HashMap<usize, Vec<String>>, depth: usize) -> Vec<String> {
    let all: Vec<&String> = stack.iter().flat_map(|ip| &names[ip]).collect();
    let first_user = all
        .iter()
        .position(|f| !is_allocator_frame(f))
        .unwrap_or(all.len());
    let mut frames: Vec<String> = all[first_user..]
        .iter()
        .take(depth)
        .map(|f| (*f).clone())
        .collect();
    if frames.is_empty() {
        frames.push("[allocator]".to_string());
    }
    frames
}

// ---- the frame-pointer walk ----

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod fp {
    use std::cell::Cell;

    /// This thread's stack as `(low, high)` addresses, from pthreads (cached per thread).
    fn bounds() -> (usize, usize) {
        let cached = super::STACK.with(Cell::get);
        if cached.1 != 0 {
            return cached;
        }
        let mut found = (0, 0);
        // SAFETY: `attr` is written by `pthread_getattr_np` before any read, and destroyed
        // once after a successful call; `addr` and `size` are valid out-pointers.
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) == 0 {
                let mut addr: *mut libc::c_void = std::ptr::null_mut();
                let mut size: libc::size_t = 0;
                if libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0 {
                    found = (addr as usize, addr as usize + size);
                }
                libc::pthread_attr_destroy(&mut attr);
            }
        }
        super::STACK.with(|s| s.set(found));
        found
    }

    /// The frame pointer of the calling function (this one is inlined into it).
    #[inline(always)]
    fn frame_pointer() -> usize {
        let fp: usize;
        // SAFETY: copies the frame-pointer register; no memory is touched.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            std::arch::asm!("mov {}, rbp", out(reg) fp, options(nomem, nostack, preserves_flags));
            #[cfg(target_arch = "aarch64")]
            std::arch::asm!("mov {}, x29", out(reg) fp, options(nomem, nostack, preserves_flags));
        }
        fp
    }

    /// Walks the frame-pointer chain from the caller: each frame record is
    /// `[saved frame pointer, return address]` at the frame pointer (x86-64 `push rbp; mov
    /// rbp, rsp`; AArch64 `stp x29, x30`). Writes return addresses, innermost first; stops
    /// at the first record outside this thread's stack, out of order or misaligned.
    #[inline(never)]
    pub(super) fn walk(out: &mut [usize]) -> usize {
        let (low, high) = bounds();
        let mut fp = frame_pointer();
        let mut n = 0;
        while n < out.len() {
            if fp < low
                || !fp.is_multiple_of(std::mem::align_of::<usize>())
                || fp > high.saturating_sub(16)
            {
                break;
            }
            // SAFETY: `fp..fp + 16` lies inside this thread's stack (checked just above), which
            // is mapped and readable for the thread's whole life, and is aligned for `usize`;
            // volatile reads, since these words belong to other frames.
            let (next, ret) = unsafe {
                let p = std::ptr::with_exposed_provenance::<usize>(fp);
                (p.read_volatile(), p.add(1).read_volatile())
            };
            if ret == 0 {
                break;
            }
            out[n] = ret;
            n += 1;
            if next <= fp {
                break;
            }
            fp = next;
        }
        n
    }
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod fp {
    /// No frame-pointer walk on this target: nothing is captured this way.
    pub(super) fn walk(_out: &mut [usize]) -> usize {
        0
    }
}
