//! Allocation churn (`perfkit_benches::churn`) with perfkit's `TrackingAllocator<MiMalloc>` as
//! the global allocator.

#[global_allocator]
static GLOBAL: perfkit_memory::TrackingAllocator<mimalloc::MiMalloc> =
    perfkit_memory::TrackingAllocator::new(mimalloc::MiMalloc);

perfkit_benches::churn_main!("perfkit");
