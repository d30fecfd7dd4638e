//! Inline SVG charts: per group and input size a bar chart (a horizontal bar per contender,
//! coloured by kind, with the confidence interval as a whisker; one axis per size, so sizes
//! 1000× apart never share a scale), and per group with several sizes a line chart of
//! throughput against input size per contender (both axes logarithmic, as criterion draws
//! it). Plain SVG 1.1: no scripts, no fonts to fetch, nothing external.

use std::fmt::Write as _;

use super::escape;
use crate::bench::criterion::Unit;
use crate::bench::report::{Entry, Kind};
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

/// Distinct colours for the lines of a line chart (kind colours repeat within a group).
const LINE_COLOURS: [&str; 8] = [
    "#ea580c", "#2563eb", "#16a34a", "#9333ea", "#6b7280", "#db2777", "#0891b2", "#ca8a04",
];

/// The line chart of one group: throughput (or, without one, iterations per second) against
/// the numeric input size, one line per contender; `None` when fewer than two numeric sizes.
pub fn size_chart(group: &str, entries: &[&Entry]) -> Option<String> {
    // (contender, [(size, per second)]) in report order.
    let mut lines: Vec<(&str, Vec<(f64, f64)>)> = Vec::new();
    // Each line's kind: a kind that only one line has keeps its bar-chart colour.
    let mut kinds: Vec<Kind> = Vec::new();
    for e in entries {
        let Some(size) = e
            .measurement
            .parameter
            .as_deref()
            .and_then(|p| p.parse::<f64>().ok())
        else {
            continue;
        };
        let m = e.measurement.median.point;
        let y = e
            .measurement
            .throughput
            .map_or(1e9 / m, |t| t.per_second(m));
        if !(size > 0.0 && y.is_finite() && y > 0.0) {
            continue;
        }
        match lines.iter_mut().find(|l| l.0 == e.measurement.contender) {
            Some(l) => l.1.push((size, y)),
            None => {
                lines.push((&e.measurement.contender, vec![(size, y)]));
                kinds.push(e.kind);
            }
        }
    }
    let mut sizes: Vec<f64> = lines.iter().flat_map(|l| l.1.iter().map(|p| p.0)).collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    if sizes.len() < 2 {
        return None;
    }
    let unit = entries
        .iter()
        .find_map(|e| e.measurement.throughput.map(|t| t.unit));
    let ylabel = match unit {
        Some(Unit::Elements) => "elements/s",
        Some(Unit::Bytes) => "bytes/s",
        None => "iterations/s",
    };
    let (w, h, left, right, top, bottom) = (WIDTH, 300.0, 70.0, 170.0, 30.0, 40.0);
    let (x0, x1) = (sizes[0].log10(), sizes[sizes.len() - 1].log10());
    let ys: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.1.iter().map(|p| p.1.log10()))
        .collect();
    let (mut y0, mut y1) = ys
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &y| (a.min(y), b.max(y)));
    if y1 - y0 < 1e-9 {
        (y0, y1) = (y0 - 0.5, y1 + 0.5);
    }
    let px = |x: f64| left + (x.log10() - x0) / (x1 - x0) * (w - left - right);
    let py = |y: f64| top + (y1 - y.log10()) / (y1 - y0) * (h - top - bottom);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" \
         viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" aria-label=\"{} by input size\" \
         font-family=\"system-ui,sans-serif\" font-size=\"12\">\n",
        escape(group)
    );
    let _ = writeln!(
        s,
        "<text x=\"0\" y=\"16\" fill=\"#555\">{} against input size (both axes logarithmic; higher is faster)</text>",
        escape(ylabel)
    );
    // Axes.
    let _ = writeln!(
        s,
        "<line x1=\"{left:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>",
        h - bottom,
        w - right,
        h - bottom
    );
    let _ = writeln!(
        s,
        "<line x1=\"{left:.1}\" y1=\"{top:.1}\" x2=\"{left:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>",
        h - bottom
    );
    for &size in &sizes {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{size}</text>",
            px(size),
            h - bottom + 16.0
        );
    }
    for (v, anchor) in [(10f64.powf(y0), h - bottom), (10f64.powf(y1), top + 10.0)] {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{anchor:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            left - 6.0,
            escape(&si(v))
        );
    }
    for (i, (name, points)) in lines.iter().enumerate() {
        let alone = kinds.iter().filter(|k| **k == kinds[i]).count() == 1;
        let colour = if alone {
            colour(kinds[i])
        } else {
            LINE_COLOURS[i % LINE_COLOURS.len()]
        };
        let mut pts = points.clone();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let path: Vec<String> = pts
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
            path.join(" ")
        );
        for &(x, y) in &pts {
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"/>",
                px(x),
                py(y)
            );
        }
        let ly = top + 16.0 * i as f64;
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10.0\" height=\"10.0\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            w - right + 12.0,
            ly,
            w - right + 26.0,
            ly + 9.0,
            escape(name)
        );
    }
    s.push_str("</svg>\n");
    Some(s)
}

/// `1.95G`, `230M`, `12.5K`: an axis label.
fn si(v: f64) -> String {
    let (d, p) = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")]
        .into_iter()
        .find(|(d, _)| v >= *d)
        .unwrap_or((1.0, ""));
    let n = format!("{:.3}", v / d);
    let n = if n.contains('.') {
        n.trim_end_matches('0').trim_end_matches('.')
    } else {
        &n
    };
    format!("{n}{p}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bench::report::tests::fixture_results;

    /// A minimal XML well-formedness check: tags balance, attributes are quoted, and the
    /// geometric attributes are finite, non-negative numbers. HTML's void elements (`meta`,
    /// `br`) and the doctype are allowed unclosed.
    pub(crate) fn check_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("unclosed tag") + start;
            let tag = &rest[start + 1..end];
            rest = &rest[end + 1..];
            if tag.starts_with("!DOCTYPE") {
                continue;
            }
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
                if [
                    "x", "y", "width", "height", "x1", "x2", "y1", "y2", "cx", "cy", "r",
                ]
                .contains(&key)
                {
                    let n: f64 = value
                        .parse()
                        .unwrap_or_else(|_| panic!("{key}=\"{value}\""));
                    assert!(n.is_finite() && n >= 0.0, "{key}=\"{value}\"");
                }
                attrs = attrs[close + 1..].trim_start();
            }
            if !self_closing && !["meta", "br"].contains(&name.as_str()) {
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
    fn size_chart_draws_a_line_per_contender_only_with_several_sizes() {
        let r = fixture_results();
        for (group, entries) in r.groups() {
            // The fixture has one size per group: no line chart.
            assert!(size_chart(group, &entries).is_none());
        }
        // Two sizes of every contender of one group.
        let (group, entries) = r
            .groups()
            .into_iter()
            .find(|(g, _)| *g == "sum_u64")
            .unwrap();
        let mut bigger: Vec<Entry> = entries.iter().map(|e| (*e).clone()).collect();
        for e in &mut bigger {
            e.measurement.parameter = Some("65536".into());
            e.measurement.median.point *= 16.0;
            if let Some(t) = &mut e.measurement.throughput {
                t.per_iteration *= 16;
            }
        }
        let all: Vec<&Entry> = entries.iter().copied().chain(bigger.iter()).collect();
        let svg = size_chart(group, &all).expect("two sizes");
        check_well_formed(&svg);
        assert_eq!(svg.matches("<polyline").count(), entries.len());
        assert_eq!(svg.matches("<circle").count(), 2 * entries.len());
        assert!(svg.contains(">4096<") && svg.contains(">65536<"));
        assert_eq!(si(1.95e9), "1.95G");
        assert_eq!(si(230e6), "230M");
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
