//! Allocation churn (see `churn.rs`) with the system allocator (the `naive` baseline) as the global allocator.

#[path = "churn.rs"]
mod churn;

// The system allocator: the baseline (no `#[global_allocator]`).

churn::churn_main!("naive");
