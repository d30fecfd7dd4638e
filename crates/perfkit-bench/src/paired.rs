//! Running a paired comparison: calibration, rounds, and where the result goes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::{PAIRED_DIR_ENV, PairedResult, Selection, quick};

/// One contender of [`compare`]: its name (see [`roles`](crate::roles) for perfkit's naming
/// scheme) and the work of one call.
pub type Contender<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// One contender of [`compare_timed`]: its name and one call, which returns the time that
/// call measured itself (for work timed elsewhere, such as in another process).
pub type TimedContender<'a> = (&'a str, Box<dyn FnMut() -> Duration + 'a>);

/// Rounds [`compare`] records at least.
const MIN_ROUNDS: usize = 41;
/// Time [`compare`] runs for after its warm-up, and with `PERFKIT_BENCH_QUICK=1`.
const BUDGET: Duration = Duration::from_secs(2);
const QUICK_BUDGET: Duration = Duration::from_millis(300);
/// Time one chunk of a contender in [`compare`] lasts at least.
const CHUNK: Duration = Duration::from_micros(100);
/// Most calls in one chunk, however short a call.
const MAX_CALLS: u32 = 1 << 24;
/// Warm-up rounds of [`compare`] (short chunks) and of [`compare_timed`] (whole passes),
/// recorded nowhere.
const WARM_UP: usize = 3;
const TIMED_WARM_UP: usize = 1;
/// Rounds of [`compare_timed`] with `PERFKIT_BENCH_QUICK=1`.
const QUICK_TIMED_ROUNDS: usize = 3;

/// How a paired comparison runs and where its result goes: the settings of
/// [`compare_with`] and [`compare_timed_with`].
///
/// [`Options::from_env`] gives the settings [`compare`] uses; each method changes one:
///
/// ```
/// use std::time::Duration;
/// use perfkit_bench::{Options, Selection};
///
/// // A short run of every comparison, printed but written to no Markdown file.
/// let quick_look = Options::from_env()
///     .budget(Duration::from_millis(200))
///     .min_rounds(11)
///     .selection(Selection::All)
///     .markdown_dir(None);
/// # let _ = quick_look;
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    budget: Duration,
    min_rounds: usize,
    chunk: Duration,
    selection: Selection,
    markdown_dir: Option<PathBuf>,
    print: bool,
}

impl Options {
    /// The settings of [`compare`], some of them from the environment:
    ///
    /// - a [budget](Self::budget) of 2 s, or 0.3 s when [`quick`] (`PERFKIT_BENCH_QUICK=1`);
    /// - at least 41 [rounds](Self::min_rounds);
    /// - [chunks](Self::chunk) of at least 100 µs;
    /// - the comparisons the command line [selects](Selection::CommandLine);
    /// - the result printed to stdout, and written as Markdown to the directory named by
    ///   `PERFKIT_PAIRED_DIR` when that is set ([`markdown_dir`](Self::markdown_dir)).
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            budget: if quick() { QUICK_BUDGET } else { BUDGET },
            min_rounds: MIN_ROUNDS,
            chunk: CHUNK,
            selection: Selection::CommandLine,
            markdown_dir: std::env::var_os(PAIRED_DIR_ENV).map(PathBuf::from),
            print: true,
        }
    }

    /// How long [`compare_with`] keeps running rounds after its warm-up (it stops at the
    /// first round end past both this and [`min_rounds`](Self::min_rounds)). Not used by
    /// [`compare_timed_with`], which runs exactly `min_rounds` rounds.
    #[must_use]
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// The fewest rounds recorded, after the warm-up (at least 1).
    #[must_use]
    pub fn min_rounds(mut self, rounds: usize) -> Self {
        self.min_rounds = rounds.max(1);
        self
    }

    /// How long one chunk of a contender lasts at least in [`compare_with`]: before the
    /// rounds, each contender's calls per chunk are doubled from 1 until a chunk takes this
    /// long (up to 2²⁴ calls). Short enough that the machine's speed barely drifts within a
    /// round, long enough that reading the clock costs nothing in comparison. Not used by
    /// [`compare_timed_with`].
    #[must_use]
    pub fn chunk(mut self, chunk: Duration) -> Self {
        self.chunk = chunk;
        self
    }

    /// Which comparisons run; the others return `None` at once.
    #[must_use]
    pub fn selection(mut self, selection: Selection) -> Self {
        self.selection = selection;
        self
    }

    /// The directory each result is written to as Markdown, in `<group>_<size>.md` (created
    /// if missing; a write that fails is reported on stderr, and the comparison still returns
    /// its result), or `None` to write no file.
    #[must_use]
    pub fn markdown_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.markdown_dir = dir;
        self
    }

    /// Whether each result is printed to stdout ([`PairedResult::text`]).
    #[must_use]
    pub fn print(mut self, print: bool) -> Self {
        self.print = print;
        self
    }
}

/// Runs the paired comparison `group/size` of `contenders` (the first is the reference every
/// ratio is taken against) if [`selected`](crate::selected), prints it and returns it; with
/// `PERFKIT_PAIRED_DIR` set, also writes it to `$PERFKIT_PAIRED_DIR/<group>_<size>.md`.
/// Returns `None`, having run nothing, when the comparison is not selected or there is no
/// contender. `size` is the input size, only part of the id.
///
/// Each round runs one chunk of every contender: two contenders alternate, more start at a
/// different contender each round. The run lasts about 2 s after a short warm-up (0.3 s with
/// `PERFKIT_BENCH_QUICK=1`) and has at least 41 rounds. Chunks are timed in wall-clock time
/// (`Instant`, no system call). The thread's CPU time is no substitute here: on a virtual
/// machine it read 14% under the wall-clock time of a short stretch of pure computation, and
/// timing chunks with it moved paired ratios by up to a quarter against both the wall-clock
/// paired figures and criterion's. A chunk that another process interrupts is an outlier of
/// one round, which the median over rounds discards.
///
/// [`compare_with`] takes other settings.
pub fn compare(group: &str, size: usize, contenders: Vec<Contender<'_>>) -> Option<PairedResult> {
    compare_with(&Options::from_env(), group, size, contenders)
}

/// [`compare`] with the settings of `options`.
pub fn compare_with(
    options: &Options,
    group: &str,
    size: usize,
    mut contenders: Vec<Contender<'_>>,
) -> Option<PairedResult> {
    let id = measured_id(options, group, size, contenders.is_empty())?;
    let calls: Vec<u32> = contenders
        .iter_mut()
        .map(|(_, f)| calibrate(f.as_mut(), options.chunk))
        .collect();
    let names: Vec<&str> = contenders.iter().map(|(name, _)| *name).collect();
    let times = rounds(
        contenders.len(),
        WARM_UP,
        options.min_rounds,
        options.budget,
        |i| {
            let f = &mut contenders[i].1;
            let t = Instant::now();
            for _ in 0..calls[i] {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(calls[i])
        },
    );
    Some(finish(options, group, size, id, &names, &times))
}

/// The comparison's id (`group/size`) when it is to be measured now: not when listing (then
/// it prints itself), not without contenders, not when the selection leaves it out.
fn measured_id(options: &Options, group: &str, size: usize, empty: bool) -> Option<String> {
    let id = format!("{group}/{size}");
    if crate::select::list_if_asked(&options.selection, &id)
        || empty
        || !options.selection.matches(&id)
    {
        return None;
    }
    Some(id)
}

/// Like [`compare`], for contenders that time themselves: each round makes one call of every
/// contender (in the same order as [`compare`]) and records the time the call returns. At
/// least `min_rounds` rounds after one warm-up round (3 with `PERFKIT_BENCH_QUICK=1`), and no
/// time budget beyond that: each call is expected to be a whole, long pass.
pub fn compare_timed(
    group: &str,
    size: usize,
    min_rounds: usize,
    contenders: Vec<TimedContender<'_>>,
) -> Option<PairedResult> {
    let min_rounds = if quick() {
        QUICK_TIMED_ROUNDS
    } else {
        min_rounds
    };
    let options = Options::from_env().min_rounds(min_rounds);
    compare_timed_with(&options, group, size, contenders)
}

/// [`compare_timed`] with the settings of `options`: exactly
/// [`min_rounds`](Options::min_rounds) rounds after one warm-up round (its budget and chunk
/// do not apply).
pub fn compare_timed_with(
    options: &Options,
    group: &str,
    size: usize,
    mut contenders: Vec<TimedContender<'_>>,
) -> Option<PairedResult> {
    let id = measured_id(options, group, size, contenders.is_empty())?;
    let names: Vec<&str> = contenders.iter().map(|(name, _)| *name).collect();
    let times = rounds(
        contenders.len(),
        TIMED_WARM_UP,
        options.min_rounds,
        Duration::ZERO,
        |i| (contenders[i].1)().as_nanos() as f64,
    );
    Some(finish(options, group, size, id, &names, &times))
}

/// Calls per chunk so that one chunk of `f` takes at least `target`.
fn calibrate(f: &mut dyn FnMut(), target: Duration) -> u32 {
    let mut calls = 1u32;
    loop {
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        if t.elapsed() >= target || calls >= MAX_CALLS {
            return calls;
        }
        calls *= 2;
    }
}

/// The order of the contenders in `round`: with more than two, the starting contender
/// rotates each round, so that no contender ever runs twice in a row. Rotating would make
/// the last contender of one round the first of the next when there are two, so one would
/// run twice in a row, the second time on caches it warmed itself, in every round: two
/// contenders simply alternate.
fn order(n: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..n).map(move |k| if n == 2 { k } else { (round + k) % n })
}

/// Runs rounds of `n` contenders (`run(i)` runs contender `i` once and returns its time per
/// call in ns) in [`order`], until at least `min_rounds` rounds are recorded and `budget` has
/// passed; the first `warm_up` rounds are not recorded. Returns each contender's times by
/// round.
fn rounds(
    n: usize,
    warm_up: usize,
    min_rounds: usize,
    budget: Duration,
    mut run: impl FnMut(usize) -> f64,
) -> Vec<Vec<f64>> {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); n];
    let start = Instant::now();
    let mut round = 0usize;
    while round < warm_up + min_rounds || start.elapsed() < budget {
        for i in order(n, round) {
            let ns = run(i);
            if round >= warm_up {
                times[i].push(ns);
            }
        }
        round += 1;
    }
    times
}

/// The result of a paired comparison from its per-round times: printed and written as
/// `options` say, and returned.
fn finish(
    options: &Options,
    group: &str,
    size: usize,
    id: String,
    names: &[&str],
    times: &[Vec<f64>],
) -> PairedResult {
    let result = PairedResult::from_round_times(id, names, times);
    if options.print {
        print!("{}", result.text());
    }
    if let Some(dir) = &options.markdown_dir {
        let path = dir.join(format!("{group}_{size}.md"));
        if let Err(e) =
            std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, result.markdown()))
        {
            eprintln!("paired: cannot write {}: {e}", path.display());
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders(n: usize, rounds: usize) -> Vec<Vec<usize>> {
        (0..rounds).map(|r| order(n, r).collect()).collect()
    }

    #[test]
    fn two_contenders_alternate() {
        assert_eq!(orders(2, 3), [[0, 1], [0, 1], [0, 1]]);
        assert_eq!(orders(1, 2), [[0], [0]]);
    }

    #[test]
    fn more_contenders_rotate_and_none_runs_twice_in_a_row() {
        assert_eq!(orders(3, 4), [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 1, 2]]);
        for n in [2, 3, 4, 5] {
            let flat: Vec<usize> = orders(n, 2 * n + 1).concat();
            assert!(flat.windows(2).all(|w| w[0] != w[1]), "{n} contenders");
        }
    }

    #[test]
    fn warm_up_rounds_are_not_recorded() {
        let mut calls = vec![0usize; 3];
        let times = rounds(3, 2, 5, Duration::ZERO, |i| {
            calls[i] += 1;
            calls[i] as f64
        });
        assert_eq!(calls, [7, 7, 7]);
        for t in &times {
            assert_eq!(t, &[3.0, 4.0, 5.0, 6.0, 7.0]);
        }
    }

    #[test]
    fn rounds_go_on_until_the_budget_has_passed() {
        let budget = Duration::from_millis(5);
        let start = Instant::now();
        let times = rounds(2, 1, 1, budget, |_| 1.0);
        assert!(start.elapsed() >= budget);
        assert!(!times[0].is_empty());
        assert_eq!(times[0].len(), times[1].len());
    }

    #[test]
    fn calibration_doubles_until_a_chunk_is_long_enough() {
        let mut n = 0u32;
        assert_eq!(calibrate(&mut || n += 1, Duration::ZERO), 1);
        let calls = calibrate(
            &mut || std::thread::sleep(Duration::from_micros(50)),
            Duration::from_micros(300),
        );
        assert!(
            calls.is_power_of_two() && (1..=8).contains(&calls),
            "{calls}"
        );
    }

    fn tiny() -> Options {
        Options::from_env()
            .budget(Duration::ZERO)
            .min_rounds(3)
            .chunk(Duration::from_micros(10))
            .selection(Selection::All)
            .markdown_dir(None)
            .print(false)
    }

    #[test]
    fn a_comparison_has_one_row_per_contender_in_order() {
        let data: Vec<u64> = (0..256).collect();
        let contenders: Vec<Contender<'_>> = vec![
            (
                "naive",
                Box::new(|| {
                    std::hint::black_box(std::hint::black_box(&data).iter().sum::<u64>());
                }),
            ),
            (
                "perfkit",
                Box::new(|| {
                    std::hint::black_box(std::hint::black_box(&data).iter().max());
                }),
            ),
            ("hand/nothing", Box::new(|| {})),
        ];
        let r = compare_with(&tiny(), "g", data.len(), contenders).unwrap();
        assert_eq!(r.id, "g/256");
        assert_eq!(r.rounds, 3);
        let names: Vec<&str> = r.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["naive", "perfkit", "hand/nothing"]);
        assert_eq!(r.rows[0].ratio, 1.0);
        assert!(r.rows.iter().all(|r| r.median_ns >= 0.0));
    }

    #[test]
    fn an_unselected_or_empty_comparison_runs_nothing() {
        let mut ran = false;
        let contenders: Vec<Contender<'_>> = vec![("naive", Box::new(|| ran = true))];
        let options = tiny().selection(Selection::Filter("other".into()));
        assert!(compare_with(&options, "g", 1, contenders).is_none());
        assert!(!ran);
        assert!(compare_with(&tiny(), "g", 1, Vec::new()).is_none());
        assert!(compare_timed_with(&tiny(), "g", 1, Vec::new()).is_none());
    }

    #[test]
    fn timed_contenders_report_their_own_times() {
        let mut calls = 0u32;
        let contenders: Vec<TimedContender<'_>> = vec![
            ("naive", Box::new(|| Duration::from_micros(10))),
            (
                "perfkit",
                Box::new(|| {
                    calls += 1;
                    Duration::from_micros(5)
                }),
            ),
        ];
        let options = tiny().min_rounds(4).budget(Duration::from_secs(60));
        let r = compare_timed_with(&options, "churn", 7, contenders).unwrap();
        assert_eq!(r.rounds, 4);
        assert_eq!(r.rows[1].ratio, 0.5);
        assert_eq!(r.rows[0].median_ns, 10_000.0);
        assert_eq!(calls, 5); // one warm-up round, then four, whatever the budget
    }

    #[test]
    fn the_markdown_file_is_named_after_group_and_size() {
        let dir = std::env::temp_dir().join(format!("perfkit-bench-test-{}", std::process::id()));
        let contenders: Vec<TimedContender<'_>> =
            vec![("naive", Box::new(|| Duration::from_nanos(3)))];
        let options = tiny().markdown_dir(Some(dir.clone()));
        let r = compare_timed_with(&options, "g", 42, contenders).unwrap();
        let written = std::fs::read_to_string(dir.join("g_42.md")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(written, r.markdown());
    }

    #[test]
    fn min_rounds_is_at_least_one() {
        assert_eq!(tiny().min_rounds(0).min_rounds, 1);
    }
}
