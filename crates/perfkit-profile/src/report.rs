//! What the scope timers measured: [`Snapshot`] as data, [`report`] and [`report_string`]
//! as a table.
//!
//! ```
//! use perfkit_profile::{profile, report_string, snapshot};
//!
//! for _ in 0..3 {
//!     profile!("doc/report");
//! }
//! let stats = snapshot();
//! let s = stats.get("doc/report").unwrap();
//! assert!(s.count() >= 3);
//! assert!(s.p50_nanos() <= s.p99_nanos() && s.p99_nanos() <= s.max_nanos());
//!
//! let table = report_string();
//! assert!(table.lines().next().unwrap().starts_with("scope"));
//! assert!(table.contains("doc/report"));
//! ```

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::Duration;

use crate::Histogram;
use crate::registry::snapshot;

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

/// Every scope's measurements at one moment, from [`snapshot`].
///
/// Scopes are ordered by total time, largest first (ties by name). [`Display`](fmt::Display)
/// prints the table [`report`] prints.
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

/// A duration in nanoseconds with three significant digits and a unit:
/// `"812 ns"`, `"1.25 µs"`, `"12.5 ms"`, `"125 s"`.
#[must_use]
pub fn format_nanos(ns: f64) -> String {
    if !ns.is_finite() || ns < 0.0 {
        return "-".to_owned();
    }
    if ns < 999.5 {
        return format!("{ns:.0} ns");
    }
    let (value, unit) = if ns < 999_500.0 {
        (ns / 1e3, "µs")
    } else if ns < 999_500_000.0 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let decimals = if value < 9.995 {
        2
    } else if value < 99.95 {
        1
    } else {
        0
    };
    format!("{value:.decimals$} {unit}")
}

const HEADER: [&str; 7] = ["scope", "count", "total", "mean", "p50", "p99", "max"];

impl fmt::Display for Snapshot {
    /// A table with one row per scope: count, total, mean, p50, p99 and max time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 7]> = self
            .scopes
            .iter()
            .map(|s| {
                [
                    s.name.to_owned(),
                    s.count().to_string(),
                    format_nanos(s.total_nanos() as f64),
                    format_nanos(s.mean_nanos()),
                    format_nanos(s.p50_nanos() as f64),
                    format_nanos(s.p99_nanos() as f64),
                    format_nanos(s.max_nanos() as f64),
                ]
            })
            .collect();
        let mut widths = HEADER.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut line = String::new();
        let header = HEADER.map(str::to_owned);
        for row in std::iter::once(&header).chain(&rows) {
            line.clear();
            for (i, (cell, &w)) in row.iter().zip(&widths).enumerate() {
                if i == 0 {
                    write!(line, "{cell:<w$}")?;
                } else {
                    write!(line, "  {cell:>w$}")?;
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        if rows.is_empty() {
            writeln!(f, "(no scopes recorded)")?;
        }
        Ok(())
    }
}

/// The report table (see [`report`]) as a string.
#[must_use]
pub fn report_string() -> String {
    snapshot().to_string()
}

/// Prints the report table to standard error: one row per scope with its count, total,
/// mean, p50, p99 and max time, largest total first. A failed write is ignored.
pub fn report() {
    let table = report_string();
    let _ = std::io::stderr().lock().write_all(table.as_bytes());
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

#[cfg(test)]
mod tests {
    use super::format_nanos;

    #[test]
    fn durations_have_three_significant_digits_and_a_unit() {
        let cases = [
            (0.0, "0 ns"),
            (812.0, "812 ns"),
            (999.4, "999 ns"),
            (999.6, "1.00 µs"),
            (1_250.0, "1.25 µs"),
            (12_500.0, "12.5 µs"),
            (125_000.0, "125 µs"),
            (999_600.0, "1.00 ms"),
            (12_345_678.0, "12.3 ms"),
            (2.5e9, "2.50 s"),
            (125e9, "125 s"),
            (f64::NAN, "-"),
        ];
        for (ns, want) in cases {
            assert_eq!(format_nanos(ns), want, "{ns}");
        }
    }
}
