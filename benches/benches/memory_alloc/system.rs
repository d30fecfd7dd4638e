//! Allocation churn (see `churn.rs`) with the system allocator (the `naive` baseline) as the global allocator.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "churn.rs"]
mod churn;

// The system allocator: the baseline (no `#[global_allocator]`).

fn alloc_churn(c: &mut Criterion) {
    churn::bench(c, "naive");
}

criterion_group! {
    name = benches;
    config = perfkit_benches::criterion();
    targets = alloc_churn
}
criterion_main!(benches);
