//! `report.md`: the tables in Markdown, for pull requests.

use std::fmt::Write as _;

use super::{cells, columns, explanation};
use crate::bench::report::Results;

/// `report.md`.
pub fn markdown(r: &Results) -> String {
    let mut s = String::from("# perfkit benchmark report\n\n| machine | |\n| --- | --- |\n");
    for (k, v) in r.machine.rows() {
        let _ = writeln!(s, "| {k} | {} |", v.replace('|', "\\|"));
    }
    if let Some(f) = &r.filter {
        let _ = writeln!(s, "| filter | `{f}` |");
    }
    let _ = write!(s, "\n{}\n", explanation(r));
    let cols = columns(r);
    for (group, entries) in r.groups() {
        let _ = write!(s, "\n## {group}\n\n| {} |\n|", cols.join(" | "));
        for _ in &cols {
            s.push_str(" --- |");
        }
        s.push('\n');
        for e in entries {
            let _ = writeln!(s, "| {} |", cells(r, e).join(" | ").replace('\n', " "));
        }
    }
    s
}
