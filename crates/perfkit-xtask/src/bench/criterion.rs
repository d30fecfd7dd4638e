//! Reading what criterion 0.8 leaves behind: `<criterion>/<group>/<function>/<param>/new/`
//! `{benchmark.json, estimates.json}`, and the `Benchmarking <id>` progress lines it prints.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::util::{Failure, Result, read};

/// A point estimate with its confidence interval, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate.
    pub point: f64,
    /// Lower bound of the confidence interval.
    pub lower: f64,
    /// Upper bound of the confidence interval.
    pub upper: f64,
    /// The interval's confidence level (0.95 by default).
    pub confidence: f64,
}

/// What one iteration processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Elements (values, records, ...).
    Elements,
    /// Bytes.
    Bytes,
}

/// The throughput a group declared: `amount` of `unit` per iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throughput {
    /// Units per iteration.
    pub per_iteration: u64,
    /// Elements or bytes.
    pub unit: Unit,
}

impl Throughput {
    /// Units per second at `ns` nanoseconds per iteration.
    pub fn per_second(&self, ns: f64) -> f64 {
        self.per_iteration as f64 * 1e9 / ns
    }

    /// `per_second` for people: `1.95 Gelem/s`, `2.00 GiB/s`.
    pub fn human(&self, ns: f64) -> String {
        let v = self.per_second(ns);
        match self.unit {
            Unit::Elements => {
                let (d, p) = [(1e9, "G"), (1e6, "M"), (1e3, "K")]
                    .into_iter()
                    .find(|(d, _)| v >= *d)
                    .unwrap_or((1.0, ""));
                format!("{:.3} {p}elem/s", v / d)
            }
            Unit::Bytes => {
                let (d, p) = [(1u64 << 30, "Gi"), (1 << 20, "Mi"), (1 << 10, "Ki")]
                    .into_iter()
                    .find(|(d, _)| v >= *d as f64)
                    .unwrap_or((1, ""));
                format!("{:.3} {p}B/s", v / d as f64)
            }
        }
    }
}

/// One benchmark's result as criterion recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// `group/function/parameter`, criterion's full id.
    pub id: String,
    /// The group (the task).
    pub group: String,
    /// The function id (the contender).
    pub contender: String,
    /// The parameter (input size), if any.
    pub parameter: Option<String>,
    /// Median time per iteration, ns.
    pub median: Estimate,
    /// The declared throughput, if any.
    pub throughput: Option<Throughput>,
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    throughput: Option<serde_json::Value>,
    full_id: String,
}

#[derive(Deserialize)]
struct Interval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct EstimateJson {
    confidence_interval: Interval,
    point_estimate: f64,
}

#[derive(Deserialize)]
struct EstimatesJson {
    median: EstimateJson,
}

/// Reads criterion's `Throughput` enum as serialized (`{"Elements": 4096}`, `{"Bytes": n}`,
/// `{"BytesDecimal": n}`, `{"Bits": n}`, `{"ElementsAndBytes": {"elements": n, ..}}`).
fn throughput(v: &serde_json::Value) -> Option<Throughput> {
    let (kind, amount) = v.as_object()?.iter().next()?;
    let (unit, per_iteration) = match kind.as_str() {
        "Elements" => (Unit::Elements, amount.as_u64()?),
        "Bytes" | "BytesDecimal" => (Unit::Bytes, amount.as_u64()?),
        "Bits" => (Unit::Bytes, amount.as_u64()? / 8),
        "ElementsAndBytes" => (Unit::Elements, amount.get("elements")?.as_u64()?),
        _ => return None,
    };
    Some(Throughput {
        per_iteration,
        unit,
    })
}

/// Builds a [`Measurement`] from the two files' contents.
pub fn parse(
    benchmark_json: &str,
    estimates_json: &str,
) -> std::result::Result<Measurement, String> {
    let b: BenchmarkJson =
        serde_json::from_str(benchmark_json).map_err(|e| format!("benchmark.json: {e}"))?;
    let e: EstimatesJson =
        serde_json::from_str(estimates_json).map_err(|e| format!("estimates.json: {e}"))?;
    let m = e.median;
    if !(m.point_estimate.is_finite() && m.point_estimate > 0.0) {
        return Err(format!(
            "estimates.json: median {} is not a positive time",
            m.point_estimate
        ));
    }
    Ok(Measurement {
        id: b.full_id,
        group: b.group_id,
        contender: b.function_id.unwrap_or_else(|| "(unnamed)".into()),
        parameter: b.value_str,
        median: Estimate {
            point: m.point_estimate,
            lower: m.confidence_interval.lower_bound,
            upper: m.confidence_interval.upper_bound,
            confidence: m.confidence_interval.confidence_level,
        },
        throughput: b.throughput.as_ref().and_then(throughput),
    })
}

/// Every `new/` result under `root` (criterion's output directory), sorted by id.
pub fn read_all(root: &Path) -> Result<Vec<Measurement>> {
    let mut dirs = Vec::new();
    find_new_dirs(root, &mut dirs)?;
    let mut out = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let b = read(&dir.join("benchmark.json"))?;
        let e = read(&dir.join("estimates.json"))?;
        out.push(parse(&b, &e).map_err(|msg| {
            Failure::new(format!(
                "cannot read criterion results in {}: {msg}",
                dir.display()
            ))
        })?);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn find_new_dirs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Failure::io("read", dir, &e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| Failure::io("read", dir, &e))?.path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "new" {
            if path.join("benchmark.json").is_file() && path.join("estimates.json").is_file() {
                out.push(path);
            }
        } else if name != "report" && name != "base" && name != "change" {
            find_new_dirs(&path, out)?;
        }
    }
    Ok(())
}

/// A benchmark id from one line of criterion's progress output: `Benchmarking <id>` or
/// `Benchmarking <id>: <phase>`. Criterion overwrites its progress line with `\r` on a
/// terminal; callers split on `\r` as well as `\n`.
pub fn progress_id(line: &str) -> Option<&str> {
    const PHASES: [&str; 5] = [
        "Warming up",
        "Collecting",
        "Analyzing",
        "Profiling",
        "Complete",
    ];
    let rest = line.trim().strip_prefix("Benchmarking ")?;
    let mut id = rest;
    let mut search = rest;
    while let Some(pos) = search.rfind(": ") {
        if PHASES.iter().any(|p| search[pos + 2..].starts_with(p)) {
            id = &rest[..pos];
            break;
        }
        search = &search[..pos];
    }
    (!id.is_empty()).then_some(id)
}

/// A benchmark filter as criterion reads it: a regular expression searched for in the id.
/// A filter that is not one is a one-line failure, before anything is built or run.
pub fn filter(f: &str) -> Result<regex::Regex> {
    regex::Regex::new(f).map_err(|e| {
        let why = e.to_string();
        let last = why
            .lines()
            .last()
            .unwrap_or("not a regular expression")
            .trim();
        Failure::new(format!(
            "the filter `{f}` is not a regular expression criterion can read ({last})"
        ))
    })
}

/// The group of a criterion id (`group/function/param`): its first segment.
pub fn group_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The fixture tree copied from a real criterion 0.8.2 run.
    pub fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
    }

    #[test]
    fn reads_the_fixture_tree() {
        let all = read_all(&fixtures().join("criterion")).unwrap();
        let ids: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "count_byte/iter_filter/32768",
                "count_byte/naive/32768",
                "sum_u64/hand/unroll4/4096",
                "sum_u64/naive/4096",
                "sum_u64/perfkit/4096",
            ]
        );
        let hand = &all[2];
        assert_eq!(hand.group, "sum_u64");
        assert_eq!(hand.contender, "hand/unroll4");
        assert_eq!(hand.parameter.as_deref(), Some("4096"));
        assert_eq!(
            hand.throughput,
            Some(Throughput {
                per_iteration: 4096,
                unit: Unit::Elements
            })
        );
        assert!((hand.median.point - 338.381_157_439_666_4).abs() < 1e-9);
        assert!(hand.median.lower <= hand.median.point && hand.median.point <= hand.median.upper);
        assert_eq!(hand.median.confidence, 0.95);
        assert_eq!(all[0].throughput.unwrap().unit, Unit::Bytes);
        assert_eq!(all[0].throughput.unwrap().per_iteration, 32768);
        assert!(
            read_all(&fixtures().join("no-such-dir"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn throughput_variants() {
        let t = |s: &str| throughput(&serde_json::from_str(s).unwrap());
        assert_eq!(t(r#"{"Bits": 64}"#).unwrap().per_iteration, 8);
        assert_eq!(t(r#"{"BytesDecimal": 10}"#).unwrap().unit, Unit::Bytes);
        assert_eq!(
            t(r#"{"ElementsAndBytes": {"elements": 3, "bytes": 24}}"#).unwrap(),
            Throughput {
                per_iteration: 3,
                unit: Unit::Elements
            }
        );
        assert_eq!(t(r#"{"Furlongs": 1}"#), None);
        let e = Throughput {
            per_iteration: 4096,
            unit: Unit::Elements,
        };
        assert_eq!(e.human(2105.8), "1.945 Gelem/s");
        let b = Throughput {
            per_iteration: 32768,
            unit: Unit::Bytes,
        };
        assert_eq!(b.human(15_251.0), "2.001 GiB/s");
    }

    #[test]
    fn bad_files_are_named() {
        assert!(parse("{}", "{}").unwrap_err().starts_with("benchmark.json"));
        let b = r#"{"group_id":"g","function_id":"f","value_str":null,"throughput":null,"full_id":"g/f"}"#;
        assert!(parse(b, "{}").unwrap_err().starts_with("estimates.json"));
        let e = r#"{"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0,"upper_bound":0},"point_estimate":0}}"#;
        assert!(parse(b, e).unwrap_err().contains("not a positive time"));
    }

    #[test]
    fn progress_lines_from_a_real_run() {
        let stderr = std::fs::read_to_string(fixtures().join("criterion-stderr.txt")).unwrap();
        let mut seen: Vec<&str> = Vec::new();
        for id in stderr.split(['\n', '\r']).filter_map(progress_id) {
            if seen.last() != Some(&id) {
                seen.push(id);
            }
        }
        assert_eq!(
            seen,
            [
                "sum_u64/naive/4096",
                "sum_u64/perfkit/4096",
                "sum_u64/hand/unroll4/4096",
                "count_byte/naive/32768",
                "count_byte/iter_filter/32768",
            ]
        );
        assert_eq!(
            progress_id("Benchmarking a: b/c: Analyzing"),
            Some("a: b/c")
        );
        assert_eq!(progress_id("Gnuplot not found"), None);
        assert_eq!(group_of("sum_u64/hand/unroll4/4096"), "sum_u64");
    }
}
