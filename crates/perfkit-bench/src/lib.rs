//! perfkit-bench: paired benchmark comparisons, for ratios finer than the drift of a shared
//! machine. It runs in your own bench target, beside criterion.
//!
//! # Why paired
//!
//! Criterion measures one contender after the other. On a host whose speed drifts over
//! fractions of a second (other tenants on the same physical cores, frequency scaling), two
//! contenders that run the very same machine code can read 86 ns and 128 ns in one group, so
//! a ratio target such as "within 5%" cannot be judged from two criterion medians.
//!
//! A paired comparison ([`compare`]) runs every contender for one short chunk (about 100 µs)
//! per round — two contenders simply alternate; with more, the order rotates each round so
//! that none runs twice in a row — and takes the median over rounds of each contender's time
//! divided by the reference's time in the **same** round: both sides of every ratio see the
//! same machine state, and a round that another process interrupts is one outlier, which the
//! median discards. Criterion still gives the absolute figures; the paired comparison gives
//! the fine ratios. For work timed elsewhere, such as whole passes in other processes,
//! [`compare_timed`] pairs contenders that report their own times.
//!
//! # Example
//!
//! ```
//! use std::hint::black_box;
//! use std::time::Duration;
//!
//! use perfkit_bench::{Contender, Options, Selection, compare_with};
//!
//! let data: Vec<u64> = (0..1024).collect();
//! // The first contender is the reference every ratio is taken against.
//! let contenders: Vec<Contender<'_>> = vec![
//!     ("naive", Box::new(|| {
//!         let mut sum = 0u64;
//!         for &x in black_box(&data) {
//!             sum = sum.wrapping_add(x);
//!         }
//!         black_box(sum);
//!     })),
//!     ("hand/fold", Box::new(|| {
//!         black_box(black_box(&data).iter().fold(0u64, |a, &x| a.wrapping_add(x)));
//!     })),
//! ];
//!
//! // In a bench target, `compare("sum", data.len(), contenders)` is all it takes (about 2 s,
//! // for the comparisons the command line selects). Here: a short run, selected whatever the
//! // command line says, written to no Markdown file.
//! let options = Options::from_env()
//!     .budget(Duration::from_millis(20))
//!     .min_rounds(5)
//!     .selection(Selection::All)
//!     .markdown_dir(None);
//! let result = compare_with(&options, "sum", data.len(), contenders).expect("selected");
//!
//! assert_eq!(result.id, "sum/1024");
//! assert!(result.rounds >= 5);
//! assert_eq!(result.rows.len(), 2);
//! assert_eq!(result.rows[0].name, "naive");
//! assert_eq!(result.rows[0].ratio, 1.0); // the reference against itself, in every round
//! assert!(result.rows[1].ratio > 0.0);
//! ```
//!
//! It prints (the figures vary):
//!
//! ```text
//! paired sum/1024 (150 rounds)
//!     naive                    median    301.27 ns   1.000× naive (p10 1.000, p90 1.000)
//!     hand/fold                median    298.50 ns   0.991× naive (p10 0.962, p90 1.034)
//! ```
//!
//! # Beside criterion
//!
//! With `harness = false`, a bench target's `main` runs criterion's groups and then the
//! paired comparisons; both read the same command line, so `cargo bench -- <filter>` picks
//! from either (see [`selected`]):
//!
//! ```ignore
//! criterion_group!(benches, bench_sum);
//!
//! fn main() {
//!     benches();
//!     criterion::Criterion::default().configure_from_args().final_summary();
//!     perfkit_bench::compare("sum_paired", N, contenders());
//! }
//! ```
//!
//! # Environment
//!
//! - `PERFKIT_BENCH_QUICK=1` ([`QUICK_ENV`], read by [`quick`]): a quick run, 0.3 s per
//!   comparison instead of 2 s, and 3 rounds of [`compare_timed`].
//! - `PERFKIT_PAIRED_DIR=<dir>` ([`PAIRED_DIR_ENV`]): each comparison also writes its
//!   [Markdown table](PairedResult::markdown) to `<dir>/<group>_<size>.md`.
//!
//! # Features
//!
//! - `regex`: the bench binary's filter is a regular expression, exactly as criterion reads
//!   it; without it, the filter is a substring of the comparison's id. No feature is on by
//!   default, and without one the crate depends on nothing but std.
//!
//! # Contender names
//!
//! perfkit names contenders by role — `naive` for the baseline, `perfkit` or
//! `perfkit/<variant>` for perfkit itself, `hand/<what>` for hand-written code and the crate's
//! name for a peer — and [`roles`] reads a role back from a name. The harness itself treats
//! every name alike: the first contender is the reference.
// On docs.rs (and in .ci/run's nightly doc build), both built with `--cfg docsrs`, every
// feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod paired;
mod result;
pub mod roles;
mod select;

pub use paired::{
    Contender, Options, TimedContender, compare, compare_timed, compare_timed_with, compare_with,
};
pub use result::{PairedResult, PairedRow};
pub use select::{Selection, selected};

/// The environment variable that asks for a quick run (see [`quick`]).
pub const QUICK_ENV: &str = "PERFKIT_BENCH_QUICK";

/// The environment variable naming the directory each comparison writes its Markdown table to
/// (see [`Options::markdown_dir`]).
pub const PAIRED_DIR_ENV: &str = "PERFKIT_PAIRED_DIR";

/// Whether this is a quick run: `PERFKIT_BENCH_QUICK` set to anything but `0` (as
/// `cargo xtask bench --quick` sets it). A quick run shortens [`compare`] to 0.3 s and
/// [`compare_timed`] to 3 rounds; bench targets that tune criterion's sampling can skip that
/// in a quick run too.
#[must_use]
pub fn quick() -> bool {
    std::env::var_os(QUICK_ENV).is_some_and(|v| v != "0")
}

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
