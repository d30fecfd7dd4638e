//! Allocation-churn worker (`perfkit_benches::churn::serve`) with perfkit's
//! `TrackingAllocator<MiMalloc>` as the global allocator, for the `memory` bench's paired churn
//! comparison.

#[global_allocator]
static GLOBAL: perfkit_memory::TrackingAllocator<mimalloc::MiMalloc> =
    perfkit_memory::TrackingAllocator::new(mimalloc::MiMalloc);

fn main() {
    perfkit_benches::churn::serve();
}
