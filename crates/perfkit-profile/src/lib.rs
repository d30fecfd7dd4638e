//! perfkit-profile: measure where the time goes, summarise latencies without keeping every
//! sample, and tell a real regression from noise.
//!
//! Three tools, usable alone:
//!
//! - **Scope timers.** [`profile!`]`("name")` times the rest of a block and records it into
//!   the calling thread's own buffer — no lock, no allocation, no shared cache line on the
//!   hot path ([`snapshot`] explains how). [`snapshot`] gathers every thread's
//!   data on demand, including threads that have exited; [`report()`] prints it as a table of
//!   count / total / mean / p50 / p99 / max per scope. A [`Trace`] records the scopes as
//!   timed, nested events on demand (Chrome trace-event JSON for Perfetto, folded stacks for
//!   flame graphs); with none running, a scope pays one relaxed atomic load for it. Built
//!   with `--cfg perfkit_profile_disabled`, `profile!` compiles to nothing
//!   ([`profile!`] explains).
//! - **[`Histogram`].** Log-linear buckets (HdrHistogram's layout): constant memory, no
//!   allocation per [`record`](Histogram::record), and percentiles within a documented
//!   relative error (≤ 0.39% at the default precision; [`Histogram`] explains the layout).
//!   Use it directly for a latency distribution you own, e.g. per-batch latency. It reads
//!   and writes HdrHistogram's V2 encoding ([`Histogram::to_hdr_v2`]), bucket for bucket
//!   at the default precision, so it interoperates with every HdrHistogram implementation.
//! - **[`RegressionDetector`].** Compares a new median (with its confidence interval) to a
//!   baseline and says [`Improved`](Verdict::Improved), [`Regressed`](Verdict::Regressed) or
//!   [`NoChange`](Verdict::NoChange): a change counts only beyond the threshold (2% by
//!   default) *and* when the confidence intervals do not overlap — the rule
//!   `cargo xtask bench --compare` and `--baseline` apply.
//!
//! Time is always recorded in **nanoseconds** (`u64`), measured with
//! [`std::time::Instant`].
//!
//! ```
//! use perfkit_profile::{Histogram, Stopwatch, profile, snapshot};
//!
//! fn checksum(batch: &[u64]) -> u64 {
//!     profile!("checksum");
//!     batch.iter().fold(0, |a, &x| a.wrapping_mul(31).wrapping_add(x))
//! }
//!
//! let batches: Vec<Vec<u64>> = (0..100).map(|i| (0..1_000).map(|j| i * j).collect()).collect();
//! let mut batch_latency = Histogram::new(); // nanoseconds
//! let mut watch = Stopwatch::start();
//! for batch in &batches {
//!     std::hint::black_box(checksum(batch));
//!     batch_latency.record(watch.lap());
//! }
//!
//! assert_eq!(batch_latency.len(), 100);
//! let (p50, p99) = (batch_latency.percentile(50.0), batch_latency.percentile(99.0));
//! assert!(p50 <= p99);
//!
//! let stats = snapshot();
//! assert_eq!(stats.get("checksum").map(|s| s.count()), Some(100));
//! perfkit_profile::report(); // prints the table to stderr
//! ```
// On docs.rs (and in .ci/run's nightly doc build), both built with `--cfg docsrs`, every
// feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

// Private modules: each item has one public path, at the crate root.
mod hdr;
mod histogram;
mod registry;
mod regression;
mod report;
mod scope;
mod stats;
mod stopwatch;
mod sync;
mod trace;

pub use hdr::HdrError;
pub use histogram::{Bucket, DEFAULT_PRECISION, Histogram, HistogramError, MAX_PRECISION};
pub use registry::{reset, snapshot};
pub use regression::{
    Comparison, Direction, Estimate, RegressionDetector, RegressionError, Verdict,
};
pub use report::{format_nanos, report, report_string};
pub use scope::{ScopeGuard, record};
pub use stats::{ScopeStats, Snapshot};
pub use stopwatch::{Stopwatch, nanos, time};
pub use trace::{Trace, TraceData, TraceError, TraceEvent, TraceThread};

/// Retires the calling thread's scope slots as its exit would: for `tests/loom.rs` only
/// (`--cfg loom`). Not a public API.
#[cfg(loom)]
#[doc(hidden)]
pub use scope::loom_thread_exit as __loom_thread_exit;

/// Items the [`profile!`] macro expands to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::scope::{SiteSlot, enter_site};
}

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
