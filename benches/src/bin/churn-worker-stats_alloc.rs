//! Allocation-churn worker (`perfkit_benches::churn::serve`) with stats_alloc's counting
//! allocator wrapping mimalloc as the global allocator, for the `memory` bench's paired churn
//! comparison.

#[global_allocator]
static GLOBAL: stats_alloc::StatsAlloc<mimalloc::MiMalloc> =
    stats_alloc::StatsAlloc::new(mimalloc::MiMalloc);

fn main() {
    perfkit_benches::churn::serve();
}
