//! Paired comparisons: contenders timed in alternating short chunks, for ratios finer than the
//! drift of a shared machine.
//!
//! Criterion measures one contender after the other. On a host whose speed drifts over
//! fractions of a second (other tenants on the same physical cores), two contenders that run
//! the very same machine code can read 86 ns and 128 ns in one group, so a ratio target such as
//! "within 5%" cannot be judged from two criterion medians. A paired comparison runs every
//! contender for one short chunk (about 100 µs) per round (two contenders simply alternate;
//! with more, the order rotates each round so that none runs twice in a row), and takes the
//! median over rounds of each contender's time divided by the reference's time in the
//! **same** round: both sides of every ratio see the same machine state. The criterion groups
//! still give the absolute figures; the paired figures give the fine ratios.
//!
//! A paired comparison runs when its id (`group/size`, e.g. `sum_f32_paired/4096`) matches the
//! filter given to the bench binary (criterion's regex, the first positional argument), and
//! never under `--list`, `--test` or `--profile-time`. With `PERFKIT_PAIRED_DIR` set (as
//! `cargo xtask bench` does), each comparison also writes a Markdown table to
//! `$PERFKIT_PAIRED_DIR/<group>_<size>.md` for the report.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// One contender: its name (the same naming scheme as the criterion groups) and the work of
/// one call.
pub type Contender<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// The outcome of one paired comparison.
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
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

/// Criterion options that take a value, so the filter is not mistaken for one of them.
const VALUED: [&str; 14] = [
    "--warm-up-time",
    "--measurement-time",
    "--sample-size",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--save-baseline",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--plotting-backend",
    "--output-format",
    "--color",
];

/// Whether the binary was started to measure (not to list, test or profile).
fn measuring(args: &[String]) -> bool {
    !args
        .iter()
        .any(|a| matches!(a.as_str(), "--list" | "--test" | "--profile-time"))
}

/// The filter: the first positional argument after the program name.
fn filter(args: &[String]) -> Option<&str> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if VALUED.contains(&a.as_str()) {
            it.next();
        } else if !a.starts_with('-') {
            return Some(a);
        }
    }
    None
}

/// Whether the comparison `id` should run in this invocation of the bench binary.
#[must_use]
pub fn selected(id: &str) -> bool {
    let args: Vec<String> = std::env::args().collect();
    if !measuring(&args) {
        return false;
    }
    match filter(&args) {
        None => true,
        Some(f) => regex::Regex::new(f).map_or_else(|_| id.contains(f), |re| re.is_match(id)),
    }
}

/// Calls per chunk so that one chunk of `f` takes at least `target`.
fn calibrate(f: &mut dyn FnMut(), target: Duration) -> u32 {
    let mut calls = 1u32;
    loop {
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        if t.elapsed() >= target || calls >= 1 << 24 {
            return calls;
        }
        calls *= 2;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    // Nearest rank; `sorted` is never empty here.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Runs the paired comparison `group/size` of `contenders` (the first is the reference every
/// ratio is taken against) if [`selected`], prints it and returns it.
///
/// Each round runs one chunk of every contender: two contenders alternate, more start at a
/// different contender each round. The run lasts about 2 s after a short warm-up (0.3 s with
/// `PERFKIT_BENCH_QUICK=1`) and has at least 41 rounds. Chunks are timed in wall-clock time
/// (`Instant`, no system call). The thread's CPU time is no substitute here: on a virtual
/// machine it read 14% under the wall-clock time of a short stretch of pure computation, and
/// timing chunks with it moved paired ratios by up to a quarter against both the wall-clock
/// paired figures and criterion's. A chunk that another process interrupts is an outlier of
/// one round, which the median over rounds discards.
pub fn compare(
    group: &str,
    size: usize,
    mut contenders: Vec<Contender<'_>>,
) -> Option<PairedResult> {
    let id = format!("{group}/{size}");
    if contenders.is_empty() || !selected(&id) {
        return None;
    }
    let budget = if crate::quick() {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(2)
    };
    let chunk = Duration::from_micros(100);
    let calls: Vec<u32> = contenders
        .iter_mut()
        .map(|(_, f)| calibrate(f.as_mut(), chunk))
        .collect();
    let names: Vec<&str> = contenders.iter().map(|(name, _)| *name).collect();
    let times = rounds(contenders.len(), 41, budget, |i| {
        let f = &mut contenders[i].1;
        let t = Instant::now();
        for _ in 0..calls[i] {
            f();
        }
        t.elapsed().as_nanos() as f64 / f64::from(calls[i])
    });
    Some(finish(group, size, id, &names, &times))
}

/// One contender of [`compare_timed`]: its name and one call, which returns the time that
/// call measured itself (for work timed elsewhere, such as in another process).
pub type TimedContender<'a> = (&'a str, Box<dyn FnMut() -> Duration + 'a>);

/// Like [`compare`], for contenders that time themselves: each round makes one call of every
/// contender (in the same order as [`compare`]) and records the time the call returns. At
/// least `min_rounds` rounds after one warm-up round (3 with `PERFKIT_BENCH_QUICK=1`), and no time
/// budget beyond that: each call is expected to be a whole, long pass.
pub fn compare_timed(
    group: &str,
    size: usize,
    min_rounds: usize,
    mut contenders: Vec<TimedContender<'_>>,
) -> Option<PairedResult> {
    let id = format!("{group}/{size}");
    if contenders.is_empty() || !selected(&id) {
        return None;
    }
    let min_rounds = if crate::quick() { 3 } else { min_rounds.max(1) };
    let names: Vec<&str> = contenders.iter().map(|(name, _)| *name).collect();
    let times = rounds(contenders.len(), min_rounds, Duration::ZERO, |i| {
        (contenders[i].1)().as_nanos() as f64
    });
    Some(finish(group, size, id, &names, &times))
}

/// Warm-up rounds before [`rounds`] records anything.
const WARM_UP: usize = 3;

/// Runs rounds of `n` contenders (`run(i)` runs contender `i` once and returns its time per
/// call in ns), rotating the starting contender each round when there are more than two (so
/// no contender ever runs twice in a row), until at least `min_rounds` rounds are recorded
/// and `budget` has passed; the first [`WARM_UP`] rounds are not recorded
/// (one for a zero budget, whose calls are long). Returns each contender's times by round.
fn rounds(
    n: usize,
    min_rounds: usize,
    budget: Duration,
    mut run: impl FnMut(usize) -> f64,
) -> Vec<Vec<f64>> {
    let warm_up = if budget.is_zero() { 1 } else { WARM_UP };
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); n];
    let start = Instant::now();
    let mut round = 0usize;
    while round < warm_up + min_rounds || start.elapsed() < budget {
        for k in 0..n {
            // Rotating the order makes the last contender of one round the first of the next
            // when there are two, so one would run twice in a row, the second time on caches
            // it warmed itself, in every round: two contenders simply alternate.
            let i = if n == 2 { k } else { (round + k) % n };
            let ns = run(i);
            if round >= warm_up {
                times[i].push(ns);
            }
        }
        round += 1;
    }
    times
}

/// The result of a paired comparison from its per-round times: printed, written to
/// `$PERFKIT_PAIRED_DIR` when set, and returned.
fn finish(
    group: &str,
    size: usize,
    id: String,
    names: &[&str],
    times: &[Vec<f64>],
) -> PairedResult {
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
    let result = PairedResult {
        id,
        rounds: times[0].len(),
        rows,
    };
    print!("{}", result.text());
    if let Some(dir) = std::env::var_os("PERFKIT_PAIRED_DIR") {
        let dir = std::path::PathBuf::from(dir);
        let path = dir.join(format!("{group}_{size}.md"));
        if let Err(e) =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, result.markdown()))
        {
            eprintln!("paired: cannot write {}: {e}", path.display());
        }
    }
    result
}

impl PairedResult {
    /// Plain-text lines as printed by [`compare`].
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

    /// A Markdown section with one table row per contender.
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

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn the_filter_is_the_first_positional_argument() {
        assert_eq!(filter(&args(&["bin", "--bench"])), None);
        assert_eq!(
            filter(&args(&["bin", "--bench", "sum_f32"])),
            Some("sum_f32")
        );
        assert_eq!(
            filter(&args(&[
                "bin",
                "--measurement-time",
                "0.5",
                "--bench",
                "dot"
            ])),
            Some("dot")
        );
        assert_eq!(filter(&args(&["bin", "--sample-size", "10"])), None);
    }

    #[test]
    fn listing_and_testing_do_not_measure() {
        assert!(measuring(&args(&["bin", "--bench"])));
        assert!(!measuring(&args(&["bin", "--list"])));
        assert!(!measuring(&args(&["bin", "--bench", "--test"])));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = sorted(vec![5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!(percentile(&v, 0.5), 3.0);
        assert_eq!(percentile(&v, 0.1), 1.0);
        assert_eq!(percentile(&v, 0.9), 5.0);
        assert_eq!(percentile(&[7.0], 0.5), 7.0);
    }

    #[test]
    fn a_contender_against_itself_is_one() {
        let r = PairedResult {
            id: "g/1".into(),
            rounds: 3,
            rows: vec![PairedRow {
                name: "perfkit".into(),
                median_ns: 12.5,
                ratio: 1.0,
                ratio_p10: 1.0,
                ratio_p90: 1.0,
            }],
        };
        assert!(r.text().contains("1.000× perfkit"));
        assert!(r.markdown().contains("| perfkit | 12.50 ns | 1.000× |"));
    }
}
