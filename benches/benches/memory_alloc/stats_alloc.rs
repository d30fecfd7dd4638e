//! Allocation churn (see `churn.rs`) with stats_alloc's counting allocator wrapping mimalloc as the global allocator.

#[path = "churn.rs"]
mod churn;

#[global_allocator]
static GLOBAL: stats_alloc::StatsAlloc<mimalloc::MiMalloc> =
    stats_alloc::StatsAlloc::new(mimalloc::MiMalloc);

churn::churn_main!("stats_alloc");
