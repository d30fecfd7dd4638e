//! `index.html`: one self-contained page (inline CSS and SVG; no scripts, no network).

use std::fmt::Write as _;

use super::{cells, columns, escape, explanation, svg};
use crate::bench::baseline::Verdict;
use crate::bench::report::{Entry, Results};

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;\
padding:0 1em;color:#222}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ddd;padding:.25em .6em;\
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}\
.naive{color:#666}.perfkit{color:#c2410c;font-weight:600}.hand{color:#1d4ed8}.peer{color:#15803d}\
.regressed{color:#b91c1c;font-weight:600}.improved{color:#15803d;font-weight:600}\
p.note{color:#555;max-width:70em}h3{font-size:1em;color:#444;margin:1em 0 0}svg{display:block;margin:.5em 0 1.5em}";

/// `index.html`: self-contained (inline CSS and SVG; no scripts, no network).
pub fn html(r: &Results) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>perfkit benchmark report</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
         <h1>perfkit benchmark report</h1>\n<table>\n"
    );
    for (k, v) in r.machine.rows() {
        let _ = writeln!(s, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(&v));
    }
    if let Some(f) = &r.filter {
        let _ = writeln!(
            s,
            "<tr><th>filter</th><td><code>{}</code></td></tr>",
            escape(f)
        );
    }
    let _ = write!(
        s,
        "</table>\n<p class=\"note\">{}</p>\n",
        escape(&explanation(r)).replace(['`', '*'], "")
    );
    let cols = columns(r);
    for (group, entries) in r.groups() {
        let _ = writeln!(s, "<h2 id=\"{0}\">{0}</h2>", escape(group));
        if let Some(line) = svg::size_chart(group, &entries) {
            s.push_str(&line);
        }
        // One bar chart per input size: each on its own axis.
        let mut sizes: Vec<Option<&str>> = Vec::new();
        for e in &entries {
            let p = e.measurement.parameter.as_deref();
            if !sizes.contains(&p) {
                sizes.push(p);
            }
        }
        for size in sizes {
            let of_size: Vec<&Entry> = entries
                .iter()
                .copied()
                .filter(|e| e.measurement.parameter.as_deref() == size)
                .collect();
            if let Some(size) = size {
                let _ = writeln!(s, "<h3>{} @ {}</h3>", escape(group), escape(size));
            }
            s.push_str(&svg::group_chart(group, &of_size));
        }
        s.push_str("<table>\n<tr>");
        for c in &cols {
            let _ = write!(s, "<th>{}</th>", escape(c));
        }
        s.push_str("</tr>\n");
        for e in entries {
            s.push_str("<tr>");
            for (i, cell) in cells(r, e).iter().enumerate() {
                let class = match cols[i] {
                    "contender" | "kind" => e.kind.as_str(),
                    "change" => match e.change.as_ref().map(|c| c.verdict) {
                        Some(Verdict::Regressed) => "regressed",
                        Some(Verdict::Improved) => "improved",
                        _ => "n",
                    },
                    "size" | "median [CI]" | "throughput" | "vs naive" | "vs best peer" => "n",
                    _ => "",
                };
                let _ = write!(s, "<td class=\"{class}\">{}</td>", escape(cell));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n");
    }
    if !r.paired.is_empty() {
        s.push_str(
            "<h2 id=\"paired\">Paired comparisons</h2>\n<p class=\"note\">Contenders timed in \
             alternating chunks of about 100 µs, the order rotated every round; a ratio is the \
             median over rounds of the contender's time over the reference's in the same \
             round, so drift of the machine cancels.</p>\n",
        );
    }
    for t in &r.paired {
        let _ = writeln!(
            s,
            "<h3>{} ({} rounds)</h3>\n<table>\n<tr><th>contender</th><th>median</th><th>time / {}</th><th>p10 – p90</th></tr>",
            escape(&t.id),
            t.rounds,
            escape(&t.reference)
        );
        for row in &t.rows {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.3}×</td><td class=\"n\">{:.3} – {:.3}</td></tr>",
                escape(&row.name),
                escape(&row.median),
                row.ratio,
                row.ratio_p10,
                row.ratio_p90
            );
        }
        s.push_str("</table>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::render::svg::tests::check_well_formed;
    use crate::bench::report::tests::fixture_results;

    /// The page has no broken markup, with one bar chart per group and size, a line chart
    /// where a group has several sizes, and a table per group.
    #[test]
    fn the_page_is_well_formed_with_a_chart_per_size() {
        let mut r = fixture_results();
        // A second size of every benchmark of one group.
        let more: Vec<_> = r
            .benchmarks
            .iter()
            .filter(|e| e.measurement.group == "sum_u64")
            .cloned()
            .map(|mut e| {
                e.measurement.parameter = Some("65536".into());
                e.measurement.id = e.measurement.id.replace("4096", "65536");
                e
            })
            .collect();
        r.benchmarks.extend(more);
        r.benchmarks
            .sort_by(|a, b| a.measurement.group.cmp(&b.measurement.group));
        r.paired = crate::bench::paired::parse(
            "### `g/8` (paired, 41 rounds)\n\n| contender | median | time / a (median of rounds) | p10 – p90 |\n| --- | ---: | ---: | ---: |\n| a | 1 ns | 1.000× | 1.000 – 1.000 |\n| b <x> | 2 ns | 2.000× | 1.900 – 2.100 |\n",
        )
        .unwrap();
        let page = html(&r);
        check_well_formed(&page);
        assert!(
            page.contains("<td>b &lt;x&gt;</td>"),
            "paired rows, escaped"
        );
        let groups = r.groups();
        let sizes: usize = groups
            .iter()
            .map(|(_, es)| {
                let mut p: Vec<_> = es.iter().map(|e| e.measurement.parameter.clone()).collect();
                p.sort();
                p.dedup();
                p.len()
            })
            .sum();
        assert!(page.contains("<polyline"), "a line chart for sum_u64");
        assert_eq!(
            page.matches("<svg").count(),
            sizes + 1,
            "one bar chart per group and size, one line chart"
        );
        assert_eq!(
            page.matches("<table>").count(),
            groups.len() + 2,
            "machine + groups + one paired table"
        );
        assert!(!page.contains("<script"));
    }
}
