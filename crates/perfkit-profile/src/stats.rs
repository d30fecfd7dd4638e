//! What the scope timers measured, as data: one [`ScopeStats`] per scope name, gathered in
//! a [`Snapshot`] (made by [`snapshot`](crate::snapshot); printed by `report.rs`).

use std::time::Duration;

use crate::Histogram;

/// The measurements of one scope name, over every thread and call site.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScopeStats {
    /// The scope's name, as given to [`profile!`](crate::profile).
    pub name: &'static str,
    /// Every measured duration of the scope, in **nanoseconds** (never empty in a
    /// [`Snapshot`]). Count, total, min and max are exact; percentiles are within
    /// [`Histogram::relative_error`] (0.39%).
    pub histogram: Histogram,
}

impl ScopeStats {
    /// The scope's name (the `name` field; the struct is `#[non_exhaustive]`, so later
    /// releases can add fields without breaking callers).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Every measured duration of the scope, in nanoseconds (the `histogram` field).
    #[must_use]
    pub const fn histogram(&self) -> &Histogram {
        &self.histogram
    }

    /// How many times the scope ran.
    #[must_use]
    pub const fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// Total time spent in the scope, in nanoseconds.
    #[must_use]
    pub const fn total_nanos(&self) -> u128 {
        self.histogram.sum()
    }

    /// Total time spent in the scope.
    #[must_use]
    pub fn total(&self) -> Duration {
        let ns = self.total_nanos();
        let secs = u64::try_from(ns / 1_000_000_000).unwrap_or(u64::MAX);
        // The remainder is below 10^9, so it fits a u32.
        Duration::new(secs, (ns % 1_000_000_000) as u32)
    }

    /// Mean time per run, in nanoseconds.
    #[must_use]
    pub fn mean_nanos(&self) -> f64 {
        self.histogram.mean().unwrap_or(0.0)
    }

    /// The `p`-th percentile of the run times, in nanoseconds
    /// (see [`Histogram::percentile`]).
    #[must_use]
    pub fn percentile_nanos(&self, p: f64) -> u64 {
        self.histogram.percentile(p).unwrap_or(0)
    }

    /// The median run time, in nanoseconds.
    #[must_use]
    pub fn p50_nanos(&self) -> u64 {
        self.percentile_nanos(50.0)
    }

    /// The 99th-percentile run time, in nanoseconds.
    #[must_use]
    pub fn p99_nanos(&self) -> u64 {
        self.percentile_nanos(99.0)
    }

    /// The shortest run, in nanoseconds (exact).
    #[must_use]
    pub fn min_nanos(&self) -> u64 {
        self.histogram.min().unwrap_or(0)
    }

    /// The longest run, in nanoseconds (exact).
    #[must_use]
    pub fn max_nanos(&self) -> u64 {
        self.histogram.max().unwrap_or(0)
    }
}

/// Every scope's measurements at one moment, from [`snapshot`](crate::snapshot).
///
/// Scopes are ordered by total time, largest first (ties by name). [`Display`](std::fmt::Display)
/// prints the table [`report`](crate::report()) prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    scopes: Vec<ScopeStats>,
}

impl Snapshot {
    pub(crate) fn new(mut scopes: Vec<ScopeStats>) -> Self {
        scopes.sort_by(|a, b| {
            b.total_nanos()
                .cmp(&a.total_nanos())
                .then_with(|| a.name.cmp(b.name))
        });
        Self { scopes }
    }

    /// Every scope, largest total time first.
    #[must_use]
    pub fn scopes(&self) -> &[ScopeStats] {
        &self.scopes
    }

    /// The scope called `name`, if it recorded anything.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&ScopeStats> {
        self.scopes.iter().find(|s| s.name == name)
    }

    /// How many scopes recorded anything.
    #[must_use]
    pub fn len(&self) -> usize {
        self.scopes.len()
    }

    /// Whether no scope recorded anything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// The scopes, largest total time first.
    pub fn iter(&self) -> std::slice::Iter<'_, ScopeStats> {
        self.scopes.iter()
    }
}

impl<'a> IntoIterator for &'a Snapshot {
    type Item = &'a ScopeStats;
    type IntoIter = std::slice::Iter<'a, ScopeStats>;

    fn into_iter(self) -> Self::IntoIter {
        self.scopes.iter()
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use serde::ser::{Serialize, SerializeStruct, Serializer};

    use super::{ScopeStats, Snapshot};

    impl Serialize for ScopeStats {
        /// The summary figures (nanoseconds) and the full histogram.
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut s = serializer.serialize_struct("ScopeStats", 9)?;
            s.serialize_field("name", self.name)?;
            s.serialize_field("count", &self.count())?;
            s.serialize_field("total_nanos", &self.total_nanos())?;
            s.serialize_field("mean_nanos", &self.mean_nanos())?;
            s.serialize_field("min_nanos", &self.min_nanos())?;
            s.serialize_field("p50_nanos", &self.p50_nanos())?;
            s.serialize_field("p99_nanos", &self.p99_nanos())?;
            s.serialize_field("max_nanos", &self.max_nanos())?;
            s.serialize_field("histogram", &self.histogram)?;
            s.end()
        }
    }

    impl Serialize for Snapshot {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut s = serializer.serialize_struct("Snapshot", 1)?;
            s.serialize_field("scopes", &self.scopes)?;
            s.end()
        }
    }
}
