//! Allocation churn (`perfkit_benches::churn`) with stats_alloc's counting allocator wrapping
//! mimalloc as the global allocator.

#[global_allocator]
static GLOBAL: stats_alloc::StatsAlloc<mimalloc::MiMalloc> =
    stats_alloc::StatsAlloc::new(mimalloc::MiMalloc);

perfkit_benches::churn_main!("stats_alloc");
