//! The allocation-churn workload shared by the `memory_alloc_*` bench targets, each of which
//! installs a different `#[global_allocator]` and reports under its own contender name.
//!
//! 5M allocations of seeded sizes in 16..1024 bytes, each freeing the allocation made 4096
//! steps earlier (a ring of live buffers), then everything freed: 5M alloc + free pairs.

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

/// Registers the `alloc_churn` group with `contender` as the function id.
pub fn bench(c: &mut Criterion, contender: &str) {
    let sizes = sizes();
    let mut ring: Vec<Vec<u8>> = (0..RING).map(|_| Vec::new()).collect();
    let mut g = c.benchmark_group("alloc_churn");
    g.throughput(Throughput::Elements(OPS as u64));
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    g.bench_function(BenchmarkId::new(contender, OPS), |b| {
        b.iter(|| {
            for (i, &size) in sizes.iter().enumerate() {
                // Dropping the old buffer frees it; the new one is allocated at its size.
                let slot = &mut ring[i % RING];
                *slot = Vec::with_capacity(usize::from(size));
                black_box(slot.as_ptr());
            }
            for slot in &mut ring {
                *slot = Vec::new();
            }
        });
    });
    g.finish();
}
