//! Allocation churn (`perfkit_benches::churn`) with the system allocator (the `naive`
//! baseline) as the global allocator.

// The system allocator: the baseline (no `#[global_allocator]`).

perfkit_benches::churn_main!("naive");
