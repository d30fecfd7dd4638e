//! Allocation-churn worker (`perfkit_benches::churn::serve`) with bare mimalloc as the global
//! allocator, for the `memory` bench's paired churn comparison.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    perfkit_benches::churn::serve();
}
