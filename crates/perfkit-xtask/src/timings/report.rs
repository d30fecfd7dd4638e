//! What cargo's `--timings` HTML report says: its summary table (fresh and dirty units, total
//! time) and the `UNIT_DATA` array its script draws from, one entry per compiled unit.
//!
//! The page is cargo's, not a documented format; every reader here returns `None` when the
//! page differs from what it expects, and the command then prints only the wall-clock time it
//! measured itself.

use serde::Deserialize;

/// One compiled unit (a crate's library, binary, build script or build-script run).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Unit {
    /// The package.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The target, as cargo prints it after the version: empty for a library,
    /// ` app "bin"`, ` build-script`, ` build-script (run)`.
    #[serde(default)]
    pub target: String,
    /// Seconds it took.
    pub duration: f64,
}

impl Unit {
    /// As cargo's own table names it: `app v0.1.0 app "bin"`.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{} v{}{}", self.name, self.version, self.target)
    }
}

/// The units of a report, from its `const UNIT_DATA = [...];` (a JSON array).
#[must_use]
pub fn units(html: &str) -> Option<Vec<Unit>> {
    const START: &str = "const UNIT_DATA = ";
    let from = html.find(START)? + START.len();
    let rest = &html[from..];
    // The array ends at the first `]` alone at the start of a line (cargo pretty-prints it).
    let end = rest.find("\n];").map(|i| i + 2)?;
    serde_json::from_str(&rest[..end]).ok()
}

/// A value of the summary table: the cell after `<td>LABEL</td>`.
#[must_use]
pub fn summary<'a>(html: &'a str, label: &str) -> Option<&'a str> {
    let key = format!("<td>{label}</td><td>");
    let from = html.find(&key)? + key.len();
    let rest = &html[from..];
    Some(rest[..rest.find("</td>")?].trim())
}

/// `Fresh units:` and `Dirty units:` of the summary, as numbers.
#[must_use]
pub fn fresh_and_dirty(html: &str) -> Option<(usize, usize)> {
    let n = |label| summary(html, label)?.parse().ok();
    Some((n("Fresh units:")?, n("Dirty units:")?))
}

/// The `n` slowest units, slowest first.
#[must_use]
pub fn slowest(mut units: Vec<Unit>, n: usize) -> Vec<Unit> {
    units.sort_by(|a, b| b.duration.total_cmp(&a.duration));
    units.truncate(n);
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of a report cargo 1.95 wrote for a binary with one path dependency that has
    /// a build script (cut down: the table, and the script's data).
    const REPORT: &str = r#"<html><body>
<table class="my-table summary-table">
<tr>
<td>Targets:</td><td>tw 0.1.0 (lib, "bin")</td>
</tr>
<tr>
<td>Profile:</td><td>dev</td>
</tr>
<tr>
<td>Fresh units:</td><td>0</td>
</tr>
<tr>
<td>Dirty units:</td><td>4</td>
</tr>
<tr>
<td>Total units:</td><td>4</td>
</tr>
<tr>
<td>Total time:</td><td>0.3s</td>
</tr>
</table>
<script>
DURATION = 1;
const UNIT_DATA = [
  {
    "i": 0,
    "name": "dep",
    "version": "0.2.0",
    "mode": "todo",
    "target": " build-script",
    "features": [],
    "start": 0.07,
    "duration": 0.11,
    "unblocked_units": [2],
    "unblocked_rmeta_units": [],
    "sections": null
  },
  {
    "i": 1,
    "name": "dep",
    "version": "0.2.0",
    "mode": "todo",
    "target": "",
    "features": [],
    "start": 0.18,
    "duration": 0.03,
    "unblocked_units": [],
    "unblocked_rmeta_units": [3],
    "sections": [["frontend", {"start": 0.0, "end": 0.02}]]
  },
  {
    "i": 2,
    "name": "dep",
    "version": "0.2.0",
    "mode": "run-custom-build",
    "target": " build-script (run)",
    "features": [],
    "start": 0.18,
    "duration": 0.0,
    "unblocked_units": [1],
    "unblocked_rmeta_units": [],
    "sections": null
  },
  {
    "i": 3,
    "name": "tw",
    "version": "0.1.0",
    "mode": "todo",
    "target": " tw \"bin\"",
    "features": [],
    "start": 0.2,
    "duration": 0.09,
    "unblocked_units": [],
    "unblocked_rmeta_units": [],
    "sections": null
  }
];
const CONCURRENCY_DATA = [
  {
    "t": 0.07,
    "active": 1,
    "waiting": 0,
    "inactive": 0
  }
];
</script></body></html>
"#;

    #[test]
    fn units_and_summary_are_read() {
        let units = units(REPORT).unwrap();
        assert_eq!(units.len(), 4);
        assert_eq!(units[3].label(), "tw v0.1.0 tw \"bin\"");
        assert_eq!(
            units[1].label(),
            "dep v0.2.0",
            "a library has no target text"
        );
        let top = slowest(units, 2);
        assert_eq!(
            top.iter().map(Unit::label).collect::<Vec<_>>(),
            ["dep v0.2.0 build-script", "tw v0.1.0 tw \"bin\""]
        );
        assert_eq!(top[0].duration, 0.11);
        assert_eq!(fresh_and_dirty(REPORT), Some((0, 4)));
        assert_eq!(summary(REPORT, "Total time:"), Some("0.3s"));
        assert_eq!(summary(REPORT, "Profile:"), Some("dev"));
    }

    #[test]
    fn another_layout_reads_as_none() {
        assert_eq!(units("<html>no data</html>"), None);
        assert_eq!(units("const UNIT_DATA = [{\"name\": 1}\n];"), None);
        assert_eq!(units("const UNIT_DATA = [\n];"), Some(Vec::new()));
        assert_eq!(fresh_and_dirty("<td>Fresh units:</td><td>x</td>"), None);
        assert_eq!(summary("", "Total time:"), None);
    }
}
