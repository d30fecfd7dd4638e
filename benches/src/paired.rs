//! Paired comparisons: contenders timed in alternating short chunks, for ratios finer than the
//! drift of a shared machine.
//!
//! The harness is the published crate [`perfkit_bench`] (its crate docs explain the method);
//! this module re-exports it so the bench targets keep writing
//! `perfkit_benches::paired::{Contender, compare}`.
//!
//! A paired comparison runs when its id (`group/size`, e.g. `sum_f32_paired/4096`) matches the
//! filter given to the bench binary (criterion's regex, the first positional argument), and
//! never under `--list`, `--test` or `--profile-time`. With `PERFKIT_PAIRED_DIR` set (as
//! `cargo xtask bench` does), each comparison also writes a Markdown table to
//! `$PERFKIT_PAIRED_DIR/<group>_<size>.md` for the report.

pub use perfkit_bench::{
    Contender, Options, PairedResult, PairedRow, Selection, TimedContender, compare, compare_timed,
    compare_timed_with, compare_with, selected,
};
