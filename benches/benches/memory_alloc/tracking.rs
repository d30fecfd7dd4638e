//! Allocation churn (see `churn.rs`) with perfkit's `TrackingAllocator<MiMalloc>` as the global allocator.

#[path = "churn.rs"]
mod churn;

#[global_allocator]
static GLOBAL: perfkit_memory::TrackingAllocator<mimalloc::MiMalloc> =
    perfkit_memory::TrackingAllocator::new(mimalloc::MiMalloc);

churn::churn_main!("perfkit");
