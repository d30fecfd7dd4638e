//! Allocation churn (see `churn.rs`) with stats_alloc's counting allocator wrapping mimalloc as the global allocator.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "churn.rs"]
mod churn;

#[global_allocator]
static GLOBAL: stats_alloc::StatsAlloc<mimalloc::MiMalloc> =
    stats_alloc::StatsAlloc::new(mimalloc::MiMalloc);

fn alloc_churn(c: &mut Criterion) {
    churn::bench(c, "stats_alloc");
}

criterion_group! {
    name = benches;
    config = perfkit_benches::criterion();
    targets = alloc_churn
}
criterion_main!(benches);
