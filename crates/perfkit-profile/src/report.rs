//! The scope timers' measurements as a table: [`report`], [`report_string`] and
//! `Snapshot`'s `Display` (the data itself is in `stats.rs`).
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

use crate::registry::snapshot;
use crate::stats::Snapshot;

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
            .scopes()
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
