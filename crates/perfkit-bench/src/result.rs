//! The figures of one paired comparison, from its per-round times, and their text and
//! Markdown forms.

use std::fmt::Write as _;

/// The outcome of one paired comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedResult {
    /// `group/size`.
    pub id: String,
    /// Number of rounds measured.
    pub rounds: usize,
    /// Per contender, in the order given: name, median time per call (ns), and the median,
    /// 10th and 90th percentile over rounds of its time divided by the first contender's.
    pub rows: Vec<PairedRow>,
}

/// One contender's figures in a [`PairedResult`].
#[derive(Debug, Clone, PartialEq)]
pub struct PairedRow {
    /// Contender name.
    pub name: String,
    /// Median time per call over all rounds, in nanoseconds.
    pub median_ns: f64,
    /// Median over rounds of (this contender's time / the reference's time in that round).
    pub ratio: f64,
    /// 10th percentile of that per-round ratio.
    pub ratio_p10: f64,
    /// 90th percentile of that per-round ratio.
    pub ratio_p90: f64,
}

impl PairedResult {
    /// The result of the comparison `id` from each contender's time per call (ns) in each
    /// round: `times[i][r]` is contender `i` (named `names[i]`) in round `r`, and contender 0
    /// is the reference. Every contender needs the same, non-zero number of rounds.
    pub(crate) fn from_round_times(id: String, names: &[&str], times: &[Vec<f64>]) -> Self {
        debug_assert_eq!(names.len(), times.len());
        debug_assert!(!times.is_empty() && !times[0].is_empty());
        debug_assert!(times.iter().all(|t| t.len() == times[0].len()));
        let rows = names
            .iter()
            .zip(times)
            .map(|(name, t)| {
                let ratios = sorted(t.iter().zip(&times[0]).map(|(a, r)| a / r).collect());
                PairedRow {
                    name: (*name).to_string(),
                    median_ns: percentile(&sorted(t.clone()), 0.5),
                    ratio: percentile(&ratios, 0.5),
                    ratio_p10: percentile(&ratios, 0.1),
                    ratio_p90: percentile(&ratios, 0.9),
                }
            })
            .collect();
        Self {
            id,
            rounds: times[0].len(),
            rows,
        }
    }

    /// Plain-text lines as printed by [`compare`](crate::compare): a header
    /// `paired <id> (<rounds> rounds)`, then one line per contender with its median time per
    /// call and its median ratio to the reference (with the 10th and 90th percentiles).
    ///
    /// # Panics
    ///
    /// If the result has no rows (a result from [`compare`](crate::compare) always has).
    #[must_use]
    pub fn text(&self) -> String {
        let mut s = format!("paired {} ({} rounds)\n", self.id, self.rounds);
        let reference = &self.rows[0].name;
        for r in &self.rows {
            let _ = writeln!(
                s,
                "    {:<24} median {:>12}   {:.3}× {reference} (p10 {:.3}, p90 {:.3})",
                r.name,
                human_ns(r.median_ns),
                r.ratio,
                r.ratio_p10,
                r.ratio_p90
            );
        }
        s
    }

    /// A Markdown section (a `###` heading and a table) with one table row per contender, as
    /// written to `$PERFKIT_PAIRED_DIR`.
    ///
    /// # Panics
    ///
    /// If the result has no rows (a result from [`compare`](crate::compare) always has).
    #[must_use]
    pub fn markdown(&self) -> String {
        let reference = &self.rows[0].name;
        let mut s = format!(
            "### `{}` (paired, {} rounds)\n\n| contender | median | time / {reference} (median of rounds) | p10 – p90 |\n| --- | ---: | ---: | ---: |\n",
            self.id, self.rounds
        );
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {:.3}× | {:.3} – {:.3} |",
                r.name,
                human_ns(r.median_ns),
                r.ratio,
                r.ratio_p10,
                r.ratio_p90
            );
        }
        s.push('\n');
        s
    }
}

/// The nearest-rank `p` quantile (`0 < p <= 1`) of `sorted`, which is sorted and not empty.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// A time in nanoseconds, in ns, µs or ms.
fn human_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.3} µs", ns / 1e3)
    } else {
        format!("{ns:.2} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = sorted(vec![5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!(percentile(&v, 0.5), 3.0);
        assert_eq!(percentile(&v, 0.1), 1.0);
        assert_eq!(percentile(&v, 0.9), 5.0);
        assert_eq!(percentile(&[7.0], 0.5), 7.0);
        assert_eq!(percentile(&[1.0, 2.0], 0.5), 1.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.0);
    }

    #[test]
    fn ratios_are_taken_within_each_round() {
        // The machine halves its speed in the last two rounds; both contenders see it, so
        // every per-round ratio is exactly 2 although the times spread by 2x.
        let times = vec![
            vec![10.0, 10.0, 10.0, 20.0, 20.0],
            vec![20.0, 20.0, 20.0, 40.0, 40.0],
        ];
        let r = PairedResult::from_round_times("g/8".into(), &["naive", "perfkit"], &times);
        assert_eq!(r.id, "g/8");
        assert_eq!(r.rounds, 5);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].name, "naive");
        assert_eq!(r.rows[0].median_ns, 10.0);
        assert_eq!(
            (r.rows[0].ratio, r.rows[0].ratio_p10, r.rows[0].ratio_p90),
            (1.0, 1.0, 1.0)
        );
        assert_eq!(r.rows[1].name, "perfkit");
        assert_eq!(r.rows[1].median_ns, 20.0);
        assert_eq!(
            (r.rows[1].ratio, r.rows[1].ratio_p10, r.rows[1].ratio_p90),
            (2.0, 2.0, 2.0)
        );
    }

    #[test]
    fn an_outlier_round_moves_only_the_tail() {
        // Round 2 of the second contender was interrupted (10x): the median ratio ignores it.
        let times = vec![
            vec![100.0, 100.0, 100.0, 100.0, 100.0],
            vec![50.0, 60.0, 500.0, 50.0, 40.0],
        ];
        let r = PairedResult::from_round_times("g/1".into(), &["naive", "hand/x"], &times);
        let row = &r.rows[1];
        assert_eq!(row.ratio, 0.5);
        assert_eq!(row.ratio_p10, 0.4);
        assert_eq!(row.ratio_p90, 5.0);
        assert_eq!(row.median_ns, 50.0);
    }

    #[test]
    fn times_read_in_ns_us_or_ms() {
        assert_eq!(human_ns(12.5), "12.50 ns");
        assert_eq!(human_ns(999.0), "999.00 ns");
        assert_eq!(human_ns(1_500.0), "1.500 µs");
        assert_eq!(human_ns(2_345_678.0), "2.346 ms");
    }

    fn one_row() -> PairedResult {
        PairedResult {
            id: "g/1".into(),
            rounds: 3,
            rows: vec![PairedRow {
                name: "perfkit".into(),
                median_ns: 12.5,
                ratio: 1.0,
                ratio_p10: 1.0,
                ratio_p90: 1.0,
            }],
        }
    }

    #[test]
    fn a_contender_against_itself_is_one() {
        let r = one_row();
        assert!(r.text().contains("1.000× perfkit"));
        assert!(r.markdown().contains("| perfkit | 12.50 ns | 1.000× |"));
    }

    #[test]
    fn the_text_and_markdown_formats_are_stable() {
        // `cargo xtask bench` reads both; a change here must be made there too.
        let mut r = one_row();
        r.rows.push(PairedRow {
            name: "simsimd".into(),
            median_ns: 1_500.0,
            ratio: 1.25,
            ratio_p10: 1.1,
            ratio_p90: 1.4,
        });
        assert_eq!(
            r.text(),
            "paired g/1 (3 rounds)\n    perfkit                  median     12.50 ns   1.000× perfkit (p10 1.000, p90 1.000)\n    simsimd                  median     1.500 µs   1.250× perfkit (p10 1.100, p90 1.400)\n"
        );
        assert_eq!(
            r.markdown(),
            "### `g/1` (paired, 3 rounds)\n\n| contender | median | time / perfkit (median of rounds) | p10 – p90 |\n| --- | ---: | ---: | ---: |\n| perfkit | 12.50 ns | 1.000× | 1.000 – 1.000 |\n| simsimd | 1.500 µs | 1.250× | 1.100 – 1.400 |\n\n"
        );
    }
}
