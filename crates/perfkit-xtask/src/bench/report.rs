//! The report model: what `results.json` holds and every rendering (`render/`) reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::baseline::{Verdict, change_percent, verdict};
use super::criterion::Measurement;
use crate::machine::Machine;

/// `results.json`'s schema tag. Bump the number when a field changes meaning or goes away.
pub const SCHEMA: &str = "perfkit-bench/1";

/// How a contender's name classifies it: perfkit-bench's `roles::role`, the one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `naive`: the plain-Rust baseline.
    Naive,
    /// `perfkit` or `perfkit/<variant>`.
    Perfkit,
    /// `hand/<what>`: hand-written reference code.
    Hand,
    /// Any other name: a peer crate.
    Peer,
}

impl Kind {
    /// Classifies a contender by its function id: the first `/`-separated segment decides.
    #[must_use]
    pub fn of(contender: &str) -> Self {
        use perfkit_bench::roles::{Role, role};
        match role(contender) {
            Role::Baseline => Self::Naive,
            Role::Ours => Self::Perfkit,
            Role::Hand => Self::Hand,
            _ => Self::Peer,
        }
    }

    /// How reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Naive => "naive",
            Self::Perfkit => "perfkit",
            Self::Hand => "hand",
            Self::Peer => "peer",
        }
    }
}

/// A comparison with a saved baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The baseline's median, ns.
    pub baseline_median: f64,
    /// Change of the median, percent (positive = slower).
    pub percent: f64,
    /// The verdict (see `baseline`).
    pub verdict: Verdict,
}

/// One benchmark in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// What criterion measured.
    #[serde(flatten)]
    pub measurement: Measurement,
    /// The contender's kind.
    pub kind: Kind,
    /// Throughput at the median, units per second (unit in `throughput.unit`).
    pub throughput_per_second: Option<f64>,
    /// `naive`'s median / this median (2.0 = twice as fast as naive), same group and size.
    pub vs_naive: Option<f64>,
    /// The fastest peer's median / this median, same group and size.
    pub vs_best_peer: Option<f64>,
    /// The fastest peer's name, same group and size.
    pub best_peer: Option<String>,
    /// Against the baseline, when one was given and has this id.
    pub change: Option<Change>,
}

/// Everything a run produced: `results.json`, and the input of every rendering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`SCHEMA`].
    pub schema: String,
    /// The machine and toolchain.
    pub machine: Machine,
    /// The filter the run used, if any.
    pub filter: Option<String>,
    /// Whether `--quick` shortened the measurements.
    pub quick: bool,
    /// The baseline compared against, and the threshold used.
    pub baseline: Option<BaselineInfo>,
    /// Every benchmark, grouped by group, then size, then contender order.
    pub benchmarks: Vec<Entry>,
    /// The paired comparisons the run wrote (perfkit-bench groups), in id order.
    #[serde(default)]
    pub paired: Vec<super::paired::PairedTable>,
}

/// Which baseline a run was compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineInfo {
    /// Its name.
    pub name: String,
    /// The threshold, percent.
    pub threshold_percent: f64,
    /// When and where it was measured.
    pub machine: Machine,
}

fn param_key(p: Option<&str>) -> (u64, String) {
    let s = p.unwrap_or("");
    (s.parse().unwrap_or(u64::MAX), s.to_string())
}

impl Results {
    /// Builds the report: classifies (by `roles`, with `measurements` in the order they were
    /// measured), orders, and computes the ratios within each (group, size) case.
    pub fn new(
        machine: Machine,
        filter: Option<String>,
        quick: bool,
        measurements: Vec<Measurement>,
        roles: &super::roles::Roles,
    ) -> Self {
        let kinds = roles.classify_all(
            measurements
                .iter()
                .map(|m| (m.group.as_str(), m.contender.as_str())),
        );
        let kind = |m: &Measurement| {
            kinds
                .get(&(m.group.clone(), m.contender.clone()))
                .copied()
                .unwrap_or(Kind::Peer)
        };
        let mut cases: BTreeMap<(String, (u64, String)), Vec<Measurement>> = BTreeMap::new();
        for m in measurements {
            cases
                .entry((m.group.clone(), param_key(m.parameter.as_deref())))
                .or_default()
                .push(m);
        }
        let mut benchmarks = Vec::new();
        for (_, mut ms) in cases {
            ms.sort_by_key(|m| (kind(m), m.contender.clone()));
            let naive = ms
                .iter()
                .find(|m| kind(m) == Kind::Naive)
                .map(|m| m.median.point);
            let best_peer = ms
                .iter()
                .filter(|m| kind(m) == Kind::Peer)
                .min_by(|a, b| a.median.point.total_cmp(&b.median.point))
                .map(|m| (m.contender.clone(), m.median.point));
            for m in ms {
                let t = m.median.point;
                benchmarks.push(Entry {
                    kind: kind(&m),
                    throughput_per_second: m.throughput.map(|th| th.per_second(t)),
                    vs_naive: naive.map(|n| n / t),
                    vs_best_peer: best_peer.as_ref().map(|(_, p)| p / t),
                    best_peer: best_peer.as_ref().map(|(name, _)| name.clone()),
                    change: None,
                    measurement: m,
                });
            }
        }
        Self {
            schema: SCHEMA.into(),
            machine,
            filter,
            quick,
            baseline: None,
            benchmarks,
            paired: Vec::new(),
        }
    }

    /// Adds the change against `base` to every benchmark it also has; returns the ids that
    /// regressed.
    pub fn compare(&mut self, name: &str, base: &Self, threshold_pct: f64) -> Vec<String> {
        let old: BTreeMap<&str, &Entry> = base
            .benchmarks
            .iter()
            .map(|e| (e.measurement.id.as_str(), e))
            .collect();
        let mut regressed = Vec::new();
        for e in &mut self.benchmarks {
            if let Some(b) = old.get(e.measurement.id.as_str()) {
                let v = verdict(&b.measurement.median, &e.measurement.median, threshold_pct);
                if v == Verdict::Regressed {
                    regressed.push(e.measurement.id.clone());
                }
                e.change = Some(Change {
                    baseline_median: b.measurement.median.point,
                    percent: change_percent(&b.measurement.median, &e.measurement.median),
                    verdict: v,
                });
            }
        }
        self.baseline = Some(BaselineInfo {
            name: name.into(),
            threshold_percent: threshold_pct,
            machine: base.machine.clone(),
        });
        regressed
    }

    /// The benchmarks of each group, in order.
    pub fn groups(&self) -> Vec<(&str, Vec<&Entry>)> {
        let mut out: Vec<(&str, Vec<&Entry>)> = Vec::new();
        for e in &self.benchmarks {
            match out.last_mut() {
                Some((g, es)) if *g == e.measurement.group => es.push(e),
                _ => out.push((&e.measurement.group, vec![e])),
            }
        }
        out
    }

    /// `results.json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report model always serializes")
    }

    /// Reads a `results.json` (or a saved baseline).
    pub fn from_json(text: &str) -> Result<Self, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        match v.get("schema").and_then(|s| s.as_str()) {
            Some(SCHEMA) => serde_json::from_value(v).map_err(|e| e.to_string()),
            Some(other) => Err(format!("schema `{other}`, expected `{SCHEMA}`")),
            None => Err("no `schema` field: not a perfkit results file".into()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bench::criterion::{self, tests::fixtures};
    use crate::bench::render::{
        escape, html::html, markdown::markdown, median_ci, ratio, throughput,
    };

    pub fn machine() -> Machine {
        Machine {
            cpu: "AMD EPYC".into(),
            simd_level: "avx2".into(),
            simd_source: "read from CPU flags".into(),
            cores: 2,
            rustc: "1.95.0".into(),
            llvm: "22.1.2".into(),
            host: "x86_64-unknown-linux-gnu".into(),
            git_commit: "abc123".into(),
            date: "2026-11-22 00:31:18 UTC".into(),
            load: Some("0.41 0.49 0.22".into()),
        }
    }

    pub fn fixture_results() -> Results {
        let ms = criterion::read_all(&fixtures().join("criterion")).unwrap();
        Results::new(
            machine(),
            None,
            true,
            ms,
            &crate::bench::roles::Roles::default(),
        )
    }

    fn entry<'a>(r: &'a Results, id: &str) -> &'a Entry {
        r.benchmarks
            .iter()
            .find(|e| e.measurement.id == id)
            .unwrap()
    }

    #[test]
    fn kinds_follow_the_bench_naming_rule() {
        assert_eq!(Kind::of("naive"), Kind::Naive);
        assert_eq!(Kind::of("perfkit"), Kind::Perfkit);
        assert_eq!(Kind::of("perfkit/avx512"), Kind::Perfkit);
        assert_eq!(Kind::of("hand/avx512x4"), Kind::Hand);
        assert_eq!(Kind::of("simsimd"), Kind::Peer);
        assert_eq!(Kind::of("naive-ish"), Kind::Peer);
    }

    #[test]
    fn ratios_and_order() {
        let r = fixture_results();
        let order: Vec<&str> = r
            .benchmarks
            .iter()
            .map(|e| e.measurement.id.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "count_byte/naive/32768",
                "count_byte/iter_filter/32768",
                "sum_u64/naive/4096",
                "sum_u64/perfkit/4096",
                "sum_u64/hand/unroll4/4096",
            ]
        );
        let naive = entry(&r, "sum_u64/naive/4096");
        let hand = entry(&r, "sum_u64/hand/unroll4/4096");
        assert_eq!(naive.vs_naive, Some(1.0));
        let expected = naive.measurement.median.point / hand.measurement.median.point;
        assert!((hand.vs_naive.unwrap() - expected).abs() < 1e-12);
        // No peer in sum_u64.
        assert_eq!(hand.vs_best_peer, None);
        let peer = entry(&r, "count_byte/iter_filter/32768");
        assert_eq!(peer.kind, Kind::Peer);
        assert_eq!(peer.vs_best_peer, Some(1.0));
        assert_eq!(peer.best_peer.as_deref(), Some("iter_filter"));
        let cb_naive = entry(&r, "count_byte/naive/32768");
        assert!(
            cb_naive.vs_best_peer.unwrap() < 1.0,
            "naive is slower than the peer here"
        );
        let tp = hand.throughput_per_second.unwrap();
        assert!((tp - 4096.0 * 1e9 / hand.measurement.median.point).abs() < 1e-3);
        assert_eq!(r.groups().len(), 2);
    }

    #[test]
    fn json_round_trips_and_checks_schema() {
        let r = fixture_results();
        let back = Results::from_json(&r.to_json()).unwrap();
        assert_eq!(back, r);
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(v["benchmarks"][0]["id"], "count_byte/naive/32768");
        assert_eq!(v["benchmarks"][0]["kind"], "naive");
        assert_eq!(v["benchmarks"][0]["throughput"]["unit"], "bytes");
        let wrong = r.to_json().replace(SCHEMA, "perfkit-bench/0");
        assert!(Results::from_json(&wrong).unwrap_err().contains("expected"));
        assert!(
            Results::from_json("{}")
                .unwrap_err()
                .contains("no `schema`")
        );
    }

    #[test]
    fn baseline_comparison_names_regressions() {
        let base = fixture_results();
        let mut slower = base.clone();
        for e in &mut slower.benchmarks {
            if e.measurement.id == "sum_u64/perfkit/4096" {
                let m = &mut e.measurement.median;
                // Twice as slow, interval scaled with it: clearly apart.
                m.point *= 2.0;
                m.lower *= 2.0;
                m.upper *= 2.0;
            }
        }
        let mut current = Results::new(
            machine(),
            None,
            false,
            slower
                .benchmarks
                .iter()
                .map(|e| e.measurement.clone())
                .collect(),
            &crate::bench::roles::Roles::default(),
        );
        let regressed = current.compare("main", &base, 10.0);
        assert_eq!(regressed, ["sum_u64/perfkit/4096"]);
        let c = entry(&current, "sum_u64/perfkit/4096")
            .change
            .as_ref()
            .unwrap();
        assert!((c.percent - 100.0).abs() < 1e-9);
        assert_eq!(c.verdict, Verdict::Regressed);
        let same = entry(&current, "sum_u64/naive/4096")
            .change
            .as_ref()
            .unwrap();
        assert_eq!(same.verdict, Verdict::NoChange);
        assert_eq!(same.percent, 0.0);
        let md = markdown(&current);
        assert!(md.contains("| change |"));
        assert!(md.contains("+100.0% regressed"));
        assert!(html(&current).contains("<td class=\"regressed\">+100.0% regressed</td>"));
        // The baseline direction: the old run against the slower one improves.
        let mut back = base.clone();
        let regressed = back.compare("slow", &current, 10.0);
        assert!(regressed.is_empty());
        let c = entry(&back, "sum_u64/perfkit/4096")
            .change
            .as_ref()
            .unwrap();
        assert_eq!(c.verdict, Verdict::Improved);
    }

    #[test]
    fn markdown_tables() {
        let r = fixture_results();
        let md = markdown(&r);
        assert!(md.starts_with("# perfkit benchmark report\n"));
        assert!(md.contains("| CPU | AMD EPYC |"));
        assert!(md.contains("## sum_u64\n\n| size | contender | kind | median [CI] | throughput | vs naive | vs best peer |\n| --- | --- | --- | --- | --- | --- | --- |\n"));
        assert!(!md.contains("| change |"));
        let hand = entry(&r, "sum_u64/hand/unroll4/4096");
        let row = format!(
            "| 4096 | hand/unroll4 | hand | {} | {} | {} | — |",
            median_ci(hand),
            throughput(hand),
            ratio(hand.vs_naive)
        );
        assert!(md.contains(&row), "{md}");
        assert!(
            md.contains("| 4096 | naive | naive | 2.")
                || md.contains("| 4096 | naive | naive | 1.")
        );
        // Every table row has the same number of cells as its header.
        for line in md
            .lines()
            .filter(|l| l.starts_with("| ") && !l.contains("machine"))
        {
            if line.contains("| --- |") {
                continue;
            }
            let n = line.matches(" | ").count();
            assert!(n == 6 || n == 1, "{line}");
        }
    }

    #[test]
    fn html_is_self_contained() {
        let r = fixture_results();
        let h = html(&r);
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(h.ends_with("</html>\n"));
        for forbidden in [
            "<script", "<link", "src=", "href=", "url(", "@import", "https:",
        ] {
            assert!(!h.contains(forbidden), "{forbidden}");
        }
        // The only URL is the SVG namespace name, which is never fetched.
        assert_eq!(
            h.matches("http://").count(),
            h.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        );
        assert_eq!(h.matches("<svg").count(), 2);
        assert_eq!(h.matches("<table>").count(), 3);
        assert_eq!(h.matches("<tr>").count(), h.matches("</tr>").count());
        assert!(h.contains("<td class=\"hand\">hand/unroll4</td>"));
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
