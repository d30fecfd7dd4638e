//! Timing by hand, for the places a scope timer does not fit: per-batch latency into a
//! [`Histogram`](crate::Histogram), or one measured closure.
//!
//! Everything here measures with [`std::time::Instant`] (monotonic) and reports whole
//! **nanoseconds** as `u64`, the unit perfkit records time in everywhere.
//!
//! ```
//! use perfkit_profile::{Histogram, Stopwatch, time};
//!
//! let mut batch_latency = Histogram::new();
//! let mut watch = Stopwatch::start();
//! for batch in [[1u64, 2, 3], [4, 5, 6]] {
//!     let _sum: u64 = batch.iter().sum();
//!     batch_latency.record(watch.lap()); // ns since the last lap, one clock read
//! }
//! assert_eq!(batch_latency.len(), 2);
//!
//! let (value, took) = time(|| 6 * 7);
//! assert_eq!(value, 42);
//! assert!(took.as_secs() < 60);
//! ```

use std::time::{Duration, Instant};

/// A duration in whole nanoseconds, saturating at `u64::MAX` (about 584 years).
#[must_use]
#[inline]
pub fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// A running clock started at a known instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stopwatch {
    start: Instant,
}

impl Stopwatch {
    /// A stopwatch started now.
    #[must_use]
    #[inline]
    pub fn start() -> Self {
        Self {
            start: Instant::now(),
        }
    }

    /// The instant it was (re)started.
    #[must_use]
    pub const fn started_at(&self) -> Instant {
        self.start
    }

    /// Time since the start.
    #[must_use]
    #[inline]
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Time since the start, in nanoseconds.
    #[must_use]
    #[inline]
    pub fn elapsed_nanos(&self) -> u64 {
        nanos(self.elapsed())
    }

    /// Nanoseconds since the start, and restarts the stopwatch at the same clock reading:
    /// back-to-back laps cover time with no gap and cost one clock read each.
    #[inline]
    pub fn lap(&mut self) -> u64 {
        let now = Instant::now();
        let lap = nanos(now.saturating_duration_since(self.start));
        self.start = now;
        lap
    }
}

impl Default for Stopwatch {
    /// [`Stopwatch::start`].
    fn default() -> Self {
        Self::start()
    }
}

/// Runs `f` and returns its result with the time it took.
#[inline]
pub fn time<R>(f: impl FnOnce() -> R) -> (R, Duration) {
    let start = Instant::now();
    let r = f();
    (r, start.elapsed())
}
