//! One inline SVG bar chart per group: a horizontal bar per contender and size, coloured by
//! kind, with the confidence interval drawn as a whisker. Plain SVG 1.1: no scripts, no fonts
//! to fetch, nothing external.

use std::fmt::Write as _;

use super::criterion::Unit;
use super::report::{Entry, Kind, escape};
use crate::util::human_ns;

const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 230.0;
const VALUE_W: f64 = 120.0;
const BAR_H: f64 = 16.0;
const ROW_H: f64 = 22.0;
const TOP: f64 = 46.0;

fn colour(kind: Kind) -> &'static str {
    match kind {
        Kind::Naive => "#9ca3af",
        Kind::Perfkit => "#ea580c",
        Kind::Hand => "#3b82f6",
        Kind::Peer => "#22c55e",
    }
}

/// What the bars show.
struct Scale {
    /// Per entry: (value, whisker low, whisker high, label).
    bars: Vec<(f64, f64, f64, String)>,
    caption: String,
}

fn scale(entries: &[&Entry]) -> Scale {
    let units: Vec<Option<Unit>> = entries
        .iter()
        .map(|e| e.measurement.throughput.map(|t| t.unit))
        .collect();
    let same_unit = units
        .first()
        .copied()
        .flatten()
        .filter(|u| units.iter().all(|x| *x == Some(*u)));
    match same_unit {
        Some(unit) => Scale {
            bars: entries
                .iter()
                .map(|e| {
                    let t = e.measurement.throughput.expect("checked above");
                    let m = &e.measurement.median;
                    (
                        t.per_second(m.point),
                        t.per_second(m.upper),
                        t.per_second(m.lower),
                        t.human(m.point),
                    )
                })
                .collect(),
            caption: format!(
                "throughput at the median ({}/s, longer is faster; whisker = confidence interval)",
                match unit {
                    Unit::Elements => "elements",
                    Unit::Bytes => "bytes",
                }
            ),
        },
        None => Scale {
            bars: entries
                .iter()
                .map(|e| {
                    let m = &e.measurement.median;
                    (m.point, m.lower, m.upper, human_ns(m.point))
                })
                .collect(),
            caption: "median time per iteration (shorter is faster; whisker = confidence interval)"
                .into(),
        },
    }
}

/// The chart for one group's entries (already in report order).
pub fn group_chart(group: &str, entries: &[&Entry]) -> String {
    let sc = scale(entries);
    let max = sc
        .bars
        .iter()
        .map(|b| b.0.max(b.2))
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let bar_w = WIDTH - LABEL_W - VALUE_W;
    let x = |v: f64| LABEL_W + (v / max * bar_w).clamp(0.0, bar_w);
    let height = TOP + ROW_H * entries.len() as f64 + 10.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {WIDTH:.0} {height:.0}\" role=\"img\" aria-label=\"{}\" \
         font-family=\"system-ui,sans-serif\" font-size=\"12\">\n",
        escape(group)
    );
    let _ = writeln!(
        s,
        "<text x=\"0\" y=\"16\" fill=\"#555\">{}</text>",
        escape(&sc.caption)
    );
    // Legend: one swatch per kind present, on the row under the caption.
    let mut kinds: Vec<Kind> = entries.iter().map(|e| e.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut lx = 0.0;
    for k in kinds {
        let _ = writeln!(
            s,
            "<rect x=\"{lx:.1}\" y=\"24.0\" width=\"10.0\" height=\"10.0\" fill=\"{}\"/><text x=\"{:.1}\" y=\"33.0\">{}</text>",
            colour(k),
            lx + 14.0,
            k.as_str()
        );
        lx += 80.0;
    }
    for (i, (e, (v, lo, hi, label))) in entries.iter().zip(&sc.bars).enumerate() {
        let y = TOP + ROW_H * i as f64;
        let name = match &e.measurement.parameter {
            Some(p) => format!("{} @ {p}", e.measurement.contender),
            None => e.measurement.contender.clone(),
        };
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 8.0,
            y + BAR_H - 4.0,
            escape(&name)
        );
        let _ = writeln!(
            s,
            "<rect x=\"{LABEL_W:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{BAR_H:.1}\" fill=\"{}\"/>",
            x(*v) - LABEL_W,
            colour(e.kind)
        );
        let wy = y + BAR_H / 2.0;
        let _ = writeln!(
            s,
            "<line x1=\"{:.1}\" y1=\"{wy:.1}\" x2=\"{:.1}\" y2=\"{wy:.1}\" stroke=\"#111\" stroke-width=\"1\"/>",
            x(*lo),
            x(*hi)
        );
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x(v.max(*hi).max(*lo)) + 6.0,
            y + BAR_H - 4.0,
            escape(label)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::report::tests::fixture_results;

    /// A minimal XML well-formedness check: tags balance, attributes are quoted, and the
    /// geometric attributes are finite, non-negative numbers.
    fn check_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("unclosed tag") + start;
            let tag = &rest[start + 1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
                continue;
            }
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let mut parts = body.splitn(2, ' ');
            let name = parts.next().unwrap().to_string();
            let mut attrs = parts.next().unwrap_or("").trim();
            while !attrs.is_empty() {
                let eq = attrs.find("=\"").expect("attribute without quoted value");
                let key = attrs[..eq].trim();
                let close = attrs[eq + 2..].find('"').expect("unterminated attribute") + eq + 2;
                let value = &attrs[eq + 2..close];
                assert!(
                    !value.contains('<') && !value.contains('>'),
                    "{key}={value}"
                );
                if ["x", "y", "width", "height", "x1", "x2", "y1", "y2"].contains(&key) {
                    let n: f64 = value
                        .parse()
                        .unwrap_or_else(|_| panic!("{key}=\"{value}\""));
                    assert!(n.is_finite() && n >= 0.0, "{key}=\"{value}\"");
                }
                attrs = attrs[close + 1..].trim_start();
            }
            if !self_closing {
                stack.push(name);
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    #[test]
    fn charts_are_well_formed_svg() {
        let r = fixture_results();
        for (group, entries) in r.groups() {
            let svg = group_chart(group, &entries);
            check_well_formed(&svg);
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            let mut kinds: Vec<Kind> = entries.iter().map(|e| e.kind).collect();
            kinds.sort_unstable();
            kinds.dedup();
            // One bar per entry plus one legend swatch per kind.
            assert_eq!(svg.matches("<rect").count(), entries.len() + kinds.len());
            assert!(!svg.contains("<script"));
        }
    }

    #[test]
    fn bars_are_proportional_to_throughput() {
        let r = fixture_results();
        let (_, entries) = r
            .groups()
            .into_iter()
            .find(|(g, _)| *g == "sum_u64")
            .unwrap();
        let svg = group_chart("sum_u64", &entries);
        let widths: Vec<f64> = svg
            .lines()
            .filter(|l| l.starts_with("<rect x=\"230.0\""))
            .map(|l| {
                let w = l.split("width=\"").nth(1).unwrap();
                w[..w.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        let tp: Vec<f64> = entries
            .iter()
            .map(|e| e.throughput_per_second.unwrap())
            .collect();
        // Width ratios follow throughput ratios (to the 0.1 px rounding).
        let k = widths[0] / tp[0];
        for (w, t) in widths.iter().zip(&tp) {
            assert!((w - t * k).abs() < 0.2, "{widths:?} vs {tp:?}");
        }
        assert!(svg.contains("elements/s"));
    }

    #[test]
    fn checker_rejects_broken_svg() {
        let bad = std::panic::catch_unwind(|| check_well_formed("<svg><rect x=\"1\"></svg>"));
        assert!(bad.is_err());
        let bad = std::panic::catch_unwind(|| check_well_formed("<svg><rect x=\"NaN\"/></svg>"));
        assert!(bad.is_err());
        check_well_formed("<svg><rect x=\"1\" y=\"2\"/><text>a &lt; b</text></svg>");
    }
}
