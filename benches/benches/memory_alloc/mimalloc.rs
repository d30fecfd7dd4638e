//! Allocation churn (see `churn.rs`) with bare mimalloc as the global allocator.

#[path = "churn.rs"]
mod churn;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

churn::churn_main!("mimalloc");
