//! The allocation-churn workload shared by the `memory_alloc_*` bench targets, each of which
//! installs a different `#[global_allocator]` and reports under its own contender name.
//!
//! 5M allocations of seeded sizes in 16..1024 bytes, each freeing the allocation made 4096
//! steps earlier (a ring of live buffers), then everything freed: 5M alloc + free pairs, on
//! one thread (`alloc_churn`) and split over two threads at once (`alloc_churn_2threads`).
//!
//! The one-thread group is timed in the thread's CPU time (user + system, on Unix), not
//! wall-clock time: the allocators are compared in separate processes, so they cannot be
//! interleaved, and on a shared host the wall-clock median of the same binary moved by more
//! than the differences measured here whenever another process took the core. CPU time still
//! counts everything the thread executes (the allocator, page faults, cache misses). The
//! two-thread group stays in wall-clock time, which is what its contention costs.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use perfkit_testkit::{DEFAULT_SEED, Rng};

/// Allocation + free pairs per iteration.
pub const OPS: usize = 5_000_000;
/// Live allocations at any time.
const RING: usize = 4096;

/// The seeded allocation sizes (made outside the timed loop).
fn sizes() -> Vec<u16> {
    let mut rng = Rng::new(DEFAULT_SEED);
    (0..OPS).map(|_| rng.range(16, 1024) as u16).collect()
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

/// CPU time the calling thread has used so far (user + system).
#[cfg(unix)]
fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec`; `CLOCK_THREAD_CPUTIME_ID` is supported on
    // every Unix this builds for, and the call writes nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Elsewhere: time since the first call (wall-clock time).
#[cfg(not(unix))]
fn thread_cpu_time() -> std::time::Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// Threads in the `alloc_churn_2threads` group.
const THREADS: usize = 2;

/// Samples per group. Each sample is one or two whole churn passes (~0.1 s); the host is
/// noisy on a ~0.3 s scale, so the median needs many of them to land on quiet ones.
const SAMPLES: usize = 30;

/// Registers the `alloc_churn` and `alloc_churn_2threads` groups with `contender` as the
/// function id. The threaded group runs `OPS / THREADS` pairs on each thread at once, which is
/// where counters shared between threads (stats_alloc's) contend.
pub fn bench(c: &mut Criterion, contender: &str) {
    let sizes = sizes();
    let mut ring: Vec<Vec<u8>> = (0..RING).map(|_| Vec::new()).collect();
    let mut g = c.benchmark_group("alloc_churn");
    g.throughput(Throughput::Elements(OPS as u64));
    g.sampling_mode(SamplingMode::Flat);
    if !perfkit_benches::quick() {
        g.sample_size(SAMPLES);
    }
    g.bench_function(BenchmarkId::new(contender, OPS), |b| {
        b.iter_custom(|iters| {
            let start = thread_cpu_time();
            for _ in 0..iters {
                churn(black_box(&sizes), &mut ring);
            }
            thread_cpu_time() - start
        });
    });
    g.finish();

    let mut g = c.benchmark_group("alloc_churn_2threads");
    g.throughput(Throughput::Elements(OPS as u64));
    g.sampling_mode(SamplingMode::Flat);
    if !perfkit_benches::quick() {
        g.sample_size(SAMPLES);
    }
    g.bench_function(BenchmarkId::new(contender, OPS), |b| {
        b.iter_custom(|iters| {
            let barrier = std::sync::Barrier::new(THREADS + 1);
            std::thread::scope(|s| {
                for part in sizes.chunks(OPS / THREADS) {
                    let barrier = &barrier;
                    s.spawn(move || {
                        let mut ring: Vec<Vec<u8>> = (0..RING).map(|_| Vec::new()).collect();
                        barrier.wait();
                        for _ in 0..iters {
                            churn(part, &mut ring);
                        }
                        barrier.wait();
                    });
                }
                barrier.wait();
                let start = std::time::Instant::now();
                barrier.wait();
                start.elapsed()
            })
        });
    });
    g.finish();
}

/// The `main` of an allocation-churn bench target: `churn_main!("contender")`.
macro_rules! churn_main {
    ($contender:literal) => {
        fn alloc_churn(c: &mut criterion::Criterion) {
            churn::bench(c, $contender);
        }

        criterion::criterion_group! {
            name = benches;
            config = perfkit_benches::criterion();
            targets = alloc_churn
        }
        criterion::criterion_main!(benches);
    };
}
pub(crate) use churn_main;
