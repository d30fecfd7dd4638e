//! Shared conventions for perfkit's criterion benchmarks.
//!
//! Every bench target in this package (one per area: `simd`, `encoding`, `memory`,
//! `layout`, ...) follows the same naming scheme so that `cargo xtask bench` can build its
//! report without a per-bench table:
//!
//! - a criterion **group** is one task at one shape of input, e.g. `sum_f32`;
//! - the **function id** names the contender: `naive` for the plain-Rust baseline,
//!   `perfkit` (or `perfkit/<variant>`, e.g. `perfkit/avx2`) for ours, `hand/<what>` for
//!   hand-written reference code, and the peer crate's name (`simsimd`, `prost`, ...)
//!   for every other contender ([`perfkit_bench::roles`] documents the scheme and
//!   [`contender_kind`] reads it back);
//! - the **parameter** is the input size, e.g. `4096`;
//! - every group sets a [`criterion::Throughput`] so the report can show elements/s or bytes/s.
//!
//! Inputs come from [`perfkit_testkit`] with [`perfkit_testkit::DEFAULT_SEED`], so figures are
//! comparable across runs.
// The one exception is the thread-CPU clock (`clock_gettime`).
#![deny(unsafe_code)]

pub mod churn;
pub mod paired;

use std::time::Duration;

use criterion::Criterion;

/// How a contender's name classifies it in reports: perfkit-bench's
/// [`Role`](perfkit_bench::roles::Role) (`Baseline` for `naive`, `Ours` for `perfkit`, `Hand`,
/// `Peer`), where the naming scheme is documented once.
pub use perfkit_bench::roles::Role as ContenderKind;
/// Classifies a contender by its function id (see the crate docs and
/// [`perfkit_bench::roles`]).
pub use perfkit_bench::roles::role as contender_kind;

/// Whether this is a quick run (`PERFKIT_BENCH_QUICK=1`, set by `cargo xtask bench --quick`).
/// Bench targets that tune a group's sampling (sample count, measurement time) skip that in a
/// quick run, because a group's own settings take precedence over criterion's command line.
pub use perfkit_bench::quick;

/// CPU time the calling thread has used so far (user + system): unlike wall-clock time, not
/// inflated when the thread is descheduled. The one-thread allocation churn, whose passes
/// last about 0.1 s, is timed with it. Each reading is a system call, so it is not for short
/// intervals (see [`paired::compare`]).
#[cfg(unix)]
#[allow(unsafe_code)]
#[must_use]
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec`; `CLOCK_THREAD_CPUTIME_ID` is supported on
    // every Unix this builds for, and the call writes nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time the calling thread has used so far; elsewhere than on Unix, the wall-clock time
/// since the first call.
#[cfg(not(unix))]
#[must_use]
pub fn thread_cpu_time() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// The criterion configuration every bench target uses.
///
/// With `PERFKIT_BENCH_QUICK=1` in the environment (set by `cargo xtask bench --quick`)
/// warm-up and measurement are shortened so the whole suite runs in a few minutes.
#[must_use]
pub fn criterion() -> Criterion {
    let c = Criterion::default().noise_threshold(0.03);
    if quick() {
        c.warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(500))
            .sample_size(10)
            .nresamples(10_000)
    } else {
        c
    }
}
