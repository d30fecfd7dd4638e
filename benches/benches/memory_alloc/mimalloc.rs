//! Allocation churn (`perfkit_benches::churn`) with bare mimalloc as the global allocator.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

perfkit_benches::churn_main!("mimalloc");
