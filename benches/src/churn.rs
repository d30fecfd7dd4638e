//! The allocation-churn workload, shared by the `memory_alloc_*` bench targets and the
//! `churn-worker-*` programs, each of which installs a different `#[global_allocator]`.
//!
//! 5M allocations of seeded sizes in 16..1024 bytes, each freeing the allocation made 4096
//! steps earlier (a ring of live buffers), then everything freed: 5M alloc + free pairs, on
//! one thread (`alloc_churn`) and split over two threads at once (`alloc_churn_2threads`).
//!
//! The one-thread pass is timed in the thread's CPU time (user + system, on Unix), not
//! wall-clock time: on a shared host a descheduling inflates wall-clock time by more than the
//! differences measured here, while CPU time still counts everything the thread executes (the
//! allocator, page faults, cache misses). The two-thread pass is timed in wall-clock time,
//! which is what its contention costs.
//!
//! A global allocator is chosen per program, so contenders are separate programs. Criterion
//! (the bench targets) measures each alone. The **paired** comparison (the `memory` bench's
//! `alloc_churn_paired` and `alloc_churn_2threads_paired`) instead starts one worker program
//! per allocator ([`serve`]) and asks each in turn, round after round, for one pass, so that
//! every round's ratio compares passes run within a fraction of a second of each other.

use std::hint::black_box;
use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use perfkit_testkit::{DEFAULT_SEED, Rng};

use crate::thread_cpu_time;

/// Allocation + free pairs per pass.
pub const OPS: usize = 5_000_000;
/// Live allocations at any time.
const RING: usize = 4096;
/// Threads in the two-thread pass.
pub const THREADS: usize = 2;
/// Samples per criterion group. Each sample is one or two whole passes (~0.1 s); the host is
/// noisy on a ~0.3 s scale, so the median needs many of them to land on quiet ones.
const SAMPLES: usize = 30;

/// The seeded allocation sizes (made outside the timed loop).
#[must_use]
pub fn sizes() -> Vec<u16> {
    let mut rng = Rng::new(DEFAULT_SEED);
    (0..OPS).map(|_| rng.range(16, 1024) as u16).collect()
}

/// A ring of `RING` empty buffers (no allocation yet).
fn ring() -> Vec<Vec<u8>> {
    (0..RING).map(|_| Vec::new()).collect()
}

/// One thread's churn: `sizes.len()` allocations through the global allocator, each freeing
/// the one made `RING` steps earlier, then the rest freed.
fn churn(sizes: &[u16], ring: &mut [Vec<u8>]) {
    for (i, &size) in sizes.iter().enumerate() {
        // Dropping the old buffer frees it; the new one is allocated at its size.
        let slot = &mut ring[i % RING];
        *slot = Vec::with_capacity(usize::from(size));
        black_box(slot.as_ptr());
    }
    for slot in ring.iter_mut() {
        *slot = Vec::new();
    }
}

/// `passes` one-thread passes over `sizes`; the thread CPU time they took.
fn one_thread(sizes: &[u16], ring: &mut [Vec<u8>], passes: u64) -> Duration {
    let start = thread_cpu_time();
    for _ in 0..passes {
        churn(black_box(sizes), ring);
    }
    thread_cpu_time() - start
}

/// `passes` two-thread passes: `OPS / THREADS` pairs on each thread at once, which is where
/// counters shared between threads (stats_alloc's) contend. The wall-clock time from both
/// threads starting to both finishing.
fn two_threads(sizes: &[u16], passes: u64) -> Duration {
    let barrier = std::sync::Barrier::new(THREADS + 1);
    std::thread::scope(|s| {
        for part in sizes.chunks(OPS / THREADS) {
            let barrier = &barrier;
            s.spawn(move || {
                let mut ring = ring();
                barrier.wait();
                for _ in 0..passes {
                    churn(part, &mut ring);
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        start.elapsed()
    })
}

/// Registers the `alloc_churn` and `alloc_churn_2threads` groups with `contender` as the
/// function id.
pub fn bench(c: &mut Criterion, contender: &str) {
    let sizes = sizes();
    let mut ring = ring();
    group(c, "alloc_churn", contender, |passes| {
        one_thread(&sizes, &mut ring, passes)
    });
    group(c, "alloc_churn_2threads", contender, |passes| {
        two_threads(&sizes, passes)
    });
}

/// One churn group: `OPS` operations per pass, flat sampling, `run(passes)` timing the passes.
fn group(c: &mut Criterion, name: &str, contender: &str, mut run: impl FnMut(u64) -> Duration) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(OPS as u64));
    g.sampling_mode(SamplingMode::Flat);
    if !crate::quick() {
        g.sample_size(SAMPLES);
    }
    g.bench_function(BenchmarkId::new(contender, OPS), |b| {
        b.iter_custom(&mut run);
    });
    g.finish();
}

/// The `main` of an allocation-churn bench target: `churn_main!("contender")` registers
/// [`bench()`] under that contender name.
#[macro_export]
macro_rules! churn_main {
    ($contender:literal) => {
        fn alloc_churn(c: &mut criterion::Criterion) {
            $crate::churn::bench(c, $contender);
        }

        criterion::criterion_group! {
            name = benches;
            config = $crate::criterion();
            targets = alloc_churn
        }
        criterion::criterion_main!(benches);
    };
}

/// One request to a worker: a one-thread or a two-thread pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// One pass on the calling thread, timed in thread CPU time.
    OneThread,
    /// One pass split over [`THREADS`] threads, timed in wall-clock time.
    TwoThreads,
}

impl Pass {
    fn request(self) -> &'static str {
        match self {
            Self::OneThread => "1",
            Self::TwoThreads => "2",
        }
    }
}

/// The worker loop of a `churn-worker-*` program: reads one request per line from stdin
/// (`1`: a one-thread pass, `2`: a two-thread pass) and answers each with the pass's time in
/// nanoseconds on its own line; returns at end of input. Anything else is answered with an
/// `error:` line.
pub fn serve() {
    let sizes = sizes();
    let mut ring = ring();
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { return };
        let reply = match line.trim() {
            "1" => one_thread(&sizes, &mut ring, 1).as_nanos().to_string(),
            "2" => two_threads(&sizes, 1).as_nanos().to_string(),
            other => format!("error: unknown request {other:?} (expected 1 or 2)"),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

/// The worker loop of a worker that cannot time its allocator: answers every request with
/// an `error: {why}` line, until end of input.
pub fn refuse(why: &str) {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        if line.is_err()
            || writeln!(out, "error: {why}")
                .and_then(|()| out.flush())
                .is_err()
        {
            return;
        }
    }
}

/// A running worker program (see [`serve`]), stopped when dropped.
#[derive(Debug)]
pub struct Worker {
    program: String,
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Worker {
    /// Starts the worker program at `program`.
    ///
    /// # Errors
    /// If it cannot be started.
    pub fn start(program: &str) -> std::io::Result<Self> {
        use std::process::{Command, Stdio};
        let mut child = Command::new(program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout is piped"));
        Ok(Self {
            program: program.to_string(),
            child,
            stdin,
            stdout,
        })
    }

    /// Runs one pass in the worker and returns the time it reported.
    ///
    /// # Errors
    /// If the worker cannot be reached or its answer is not a time.
    pub fn run(&mut self, pass: Pass) -> std::io::Result<Duration> {
        writeln!(self.stdin, "{}", pass.request())?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        line.trim()
            .parse::<u64>()
            .map(Duration::from_nanos)
            .map_err(|_| {
                std::io::Error::other(format!(
                    "{}: answered {:?} instead of a time in ns",
                    self.program,
                    line.trim()
                ))
            })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // The worker holds nothing worth a clean exit.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
