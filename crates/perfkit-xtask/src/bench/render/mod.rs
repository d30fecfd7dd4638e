//! The renderings of a [`Results`]: one file per format (`report.md`, `index.html` with its
//! SVG charts, Bencher Metric Format JSON), sharing the table cells defined here.

use std::fmt::Write as _;

use super::report::{Entry, Results};
use crate::util::human_ns;

pub mod bmf;
pub mod html;
pub mod markdown;
pub mod svg;

/// `2.41×`, or `—`.
pub(crate) fn ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{r:.2}×"))
}

pub(crate) fn median_ci(e: &Entry) -> String {
    let m = &e.measurement.median;
    format!(
        "{} [{} – {}]",
        human_ns(m.point),
        human_ns(m.lower),
        human_ns(m.upper)
    )
}

pub(crate) fn throughput(e: &Entry) -> String {
    e.measurement
        .throughput
        .map_or_else(|| "—".into(), |t| t.human(e.measurement.median.point))
}

pub(crate) fn change(e: &Entry) -> String {
    e.change.as_ref().map_or_else(
        || "—".into(),
        |c| format!("{:+.1}% {}", c.percent, c.verdict.as_str()),
    )
}

/// The table columns, shared by Markdown and HTML.
pub(crate) fn columns(r: &Results) -> Vec<&'static str> {
    let mut cols = vec![
        "size",
        "contender",
        "kind",
        "median [CI]",
        "throughput",
        "vs naive",
        "vs best peer",
    ];
    if r.baseline.is_some() {
        cols.push("change");
    }
    cols
}

pub(crate) fn cells(r: &Results, e: &Entry) -> Vec<String> {
    let mut c = vec![
        e.measurement
            .parameter
            .clone()
            .unwrap_or_else(|| "—".into()),
        e.measurement.contender.clone(),
        e.kind.as_str().into(),
        median_ci(e),
        throughput(e),
        ratio(e.vs_naive),
        ratio(e.vs_best_peer),
    ];
    if r.baseline.is_some() {
        c.push(change(e));
    }
    c
}

pub(crate) fn explanation(r: &Results) -> String {
    let confidence = r
        .benchmarks
        .first()
        .map_or(95.0, |e| e.measurement.median.confidence * 100.0);
    let mut s = format!(
        "Medians per iteration with their {confidence:.0}% confidence interval, from criterion. \
         Ratios are speed multiples within one group and size, measured in this run: \
         `2.00×` under *vs naive* means twice as fast as the `naive` baseline; *vs best peer* \
         compares with the fastest peer crate in the group."
    );
    if let Some(b) = &r.baseline {
        let _ = write!(
            s,
            " *change* compares with baseline `{}` (measured {} at {}): a benchmark regressed \
             (or improved) when its median moved by more than {}% and the confidence intervals \
             do not overlap.",
            b.name, b.machine.date, b.machine.git_commit, b.threshold_percent
        );
    }
    if r.quick {
        s.push_str(" This was a `--quick` run: short measurements, wider intervals.");
    }
    s
}

/// Escapes text for HTML and XML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
