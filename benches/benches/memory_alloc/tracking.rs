//! Allocation churn (see `churn.rs`) with perfkit's `TrackingAllocator<MiMalloc>` as the global allocator.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "churn.rs"]
mod churn;

#[global_allocator]
static GLOBAL: perfkit_memory::TrackingAllocator<mimalloc::MiMalloc> =
    perfkit_memory::TrackingAllocator::new(mimalloc::MiMalloc);

fn alloc_churn(c: &mut Criterion) {
    churn::bench(c, "perfkit");
}

criterion_group! {
    name = benches;
    config = perfkit_benches::criterion();
    targets = alloc_churn
}
criterion_main!(benches);
