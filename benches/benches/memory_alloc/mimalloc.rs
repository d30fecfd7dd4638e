//! Allocation churn (see `churn.rs`) with bare mimalloc as the global allocator.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "churn.rs"]
mod churn;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn alloc_churn(c: &mut Criterion) {
    churn::bench(c, "mimalloc");
}

criterion_group! {
    name = benches;
    config = perfkit_benches::criterion();
    targets = alloc_churn
}
criterion_main!(benches);
