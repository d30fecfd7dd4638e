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
        escape(&explanation(r)).replace('`', "")
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
    s.push_str("</body>\n</html>\n");
    s
}
