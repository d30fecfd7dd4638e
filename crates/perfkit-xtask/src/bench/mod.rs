//! `cargo xtask bench`: runs every `harness = false` bench target of the workspace one at a time
//! with progress, then turns the results into `target/perfkit/bench/{report.md,index.html,results.json}`,
//! optionally saving the run as a baseline or comparing with one.

mod baseline;
mod compare;
pub(crate) mod criterion;
mod icount;
mod paired;
pub(crate) mod render;
pub(crate) mod report;
mod roles;
mod targets;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::flags::{self, Bench};
use crate::machine::Machine;
use crate::util::{self, Failure, Result, Workspace, progress, warn};
use report::Results;

/// Criterion flags for `--quick` (the same shortening `perfkit_benches::criterion()` applies
/// under `PERFKIT_BENCH_QUICK=1`, passed explicitly so any criterion target honours it).
const QUICK_ARGS: [&str; 8] = [
    "--warm-up-time",
    "0.1",
    "--measurement-time",
    "0.5",
    "--sample-size",
    "10",
    "--nresamples",
    "10000",
];

/// The arguments given to criterion after `--`.
fn criterion_args(filter: Option<&str>, quick: bool) -> Vec<String> {
    let mut args: Vec<String> = filter.into_iter().map(String::from).collect();
    if quick {
        args.extend(QUICK_ARGS.iter().map(|s| (*s).to_string()));
    }
    args
}

fn baseline_path(dir: &Path, name: &str) -> Result<PathBuf> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || name.starts_with('.')
    {
        return Err(Failure::new(format!(
            "baseline name `{name}` must be letters, digits, `-`, `_` or `.` (see `cargo xtask bench --help`)"
        )));
    }
    Ok(dir.join("baselines").join(format!("{name}.json")))
}

/// Entry point.
pub fn run(p: &Bench) -> Result<()> {
    let filter = p.filter.clone();
    if let Some(f) = &filter {
        // A filter criterion would refuse fails here, before anything is built.
        criterion::filter(f)?;
    }
    let quick = p.quick;
    let threshold = p
        .threshold
        .unwrap_or(perfkit_profile::RegressionDetector::DEFAULT_THRESHOLD_PCT);
    if !(threshold.is_finite() && threshold >= 0.0) {
        return Err(Failure::new(format!(
            "`--threshold` must be a percentage >= 0, got {threshold} (see `cargo xtask bench --help`)"
        )));
    }
    if p.threshold.is_some() && p.baseline.is_none() && p.compare.is_none() {
        warn("`--threshold` has no effect without `--baseline` or `--compare`");
    }
    let compare = p.compare.is_some();
    flags::exclusive(
        "bench",
        &[("--compare", compare), ("--baseline", p.baseline.is_some())],
    )?;
    flags::exclusive("bench", &[("--compare", compare), ("--no-run", p.no_run)])?;
    flags::exclusive(
        "bench",
        &[("--compare", compare), ("--save", p.save.is_some())],
    )?;

    let bmf = match p.format.as_deref() {
        None => false,
        Some("bmf") => true,
        Some(other) => {
            return Err(Failure::new(format!(
                "unknown --format `{other}`: the one format is `bmf` (see `cargo xtask bench --help`)"
            )));
        }
    };
    let ws = Workspace::load()?;
    let out = ws.out_dir("bench");
    if p.cache && !p.icount {
        return Err(Failure::new(
            "`--cache` goes with `--icount` (see `cargo xtask bench --help`)",
        ));
    }
    if p.icount {
        flags::exclusive("bench", &[("--icount", true), ("--compare", compare)])?;
        flags::exclusive("bench", &[("--icount", true), ("--no-run", p.no_run)])?;
        flags::exclusive("bench", &[("--icount", true), ("--quick", quick)])?;
        flags::exclusive("bench", &[("--icount", true), ("--format", bmf)])?;
        let icount_baseline = |name: &str| -> Result<PathBuf> {
            Ok(baseline_path(&out, name)?.with_extension("icount.json"))
        };
        let settings = icount::Settings {
            targets: targets::select(&ws, p.package.as_deref(), p.bench.as_deref())?,
            filter: filter.as_deref(),
            cache: p.cache,
            save: p.save.as_deref().map(icount_baseline).transpose()?,
            baseline: p
                .baseline
                .as_deref()
                .map(|n| icount_baseline(n).map(|path| (n.to_string(), path)))
                .transpose()?,
            threshold_pct: p.threshold.unwrap_or(icount::DEFAULT_THRESHOLD_PCT),
        };
        return icount::run(&ws, &out, &settings);
    }
    if let Some(rev) = p.compare.as_deref() {
        let targets = targets::select(&ws, p.package.as_deref(), p.bench.as_deref())?;
        let settings = compare::Settings {
            rev,
            targets,
            filter: filter.as_deref(),
            plan: if quick {
                compare::Plan::QUICK
            } else {
                compare::Plan::DEFAULT
            },
            threshold_pct: threshold,
            allow_dirty: p.allow_dirty,
        };
        return compare::run(&ws, &settings);
    }
    let criterion_dir = ws.target_directory.join("criterion");

    // Fail before measuring anything if the baseline is missing.
    let baseline = match p.baseline.as_deref() {
        Some(name) => {
            let path = baseline_path(&out, name)?;
            if !path.is_file() {
                return Err(Failure::missing(
                    format!("no baseline named `{name}` at {}", path.display()),
                    format!("cargo xtask bench --save {name}"),
                ));
            }
            let base = Results::from_json(&util::read(&path)?).map_err(|e| {
                Failure::new(format!("cannot read baseline {}: {e}", path.display()))
            })?;
            Some((name.to_string(), base))
        }
        None => None,
    };
    let save = p
        .save
        .as_deref()
        .map(|n| baseline_path(&out, n))
        .transpose()?;

    let ran: Option<Vec<String>> = if p.no_run {
        None
    } else {
        Some(run_targets(
            &ws,
            p.package.as_deref(),
            p.bench.as_deref(),
            filter.as_deref(),
            quick,
            &criterion_dir,
            &out,
        )?)
    };

    let mut measurements = criterion::read_all(&criterion_dir)?;
    if ran.is_none()
        && let Some(f) = &filter
    {
        // Nothing ran: the filter picks among the results already there.
        let f = criterion::filter(f)?;
        measurements.retain(|m| f.is_match(&m.id));
    }
    if let Some(ran) = &ran {
        measurements.retain(|m| ran.contains(&m.id));
        let found: HashSet<&str> = measurements.iter().map(|m| m.id.as_str()).collect();
        for id in ran.iter().filter(|id| !found.contains(id.as_str())) {
            warn(format!(
                "no results for `{id}` under {}",
                criterion_dir.display()
            ));
        }
    }
    if measurements.is_empty() && ran.is_some() {
        // Only paired comparisons matched: their tables are the report.
        let paired = paired_section(&out)?;
        if !paired.is_empty() {
            let path = out.join("report.md");
            util::write(&path, &format!("# perfkit benchmark report\n{paired}"))?;
            progress(format!(
                "paired comparisons only; report: {}",
                path.display()
            ));
            return Ok(());
        }
    }
    if measurements.is_empty() {
        return Err(Failure::new(match (&ran, &filter) {
            (Some(_), Some(f)) => format!("no benchmark matched the filter `{f}`"),
            (None, Some(f)) if criterion_dir.is_dir() => format!(
                "no result under {} matches the filter `{f}`",
                criterion_dir.display()
            ),
            (Some(_), None) => "the bench targets ran no benchmarks".to_string(),
            (None, _) => format!(
                "no criterion results under {} (run `cargo xtask bench` first)",
                criterion_dir.display()
            ),
        }));
    }

    progress("collecting machine facts");
    // In the order the run measured them (name order for --no-run), so "the first contender
    // of a group" means the first one measured.
    if let Some(order) = &ran {
        measurements.sort_by_key(|m| {
            order
                .iter()
                .position(|id| *id == m.id)
                .unwrap_or(usize::MAX)
        });
    }
    let roles = roles::Roles::of(&ws)?;
    let mut results = Results::new(
        Machine::detect(&ws.workspace_root)?,
        filter,
        quick,
        measurements,
        &roles,
    );
    let regressed = match &baseline {
        Some((name, base)) => {
            if base.machine.cpu != results.machine.cpu
                || base.machine.simd_level != results.machine.simd_level
            {
                warn(format!(
                    "baseline `{name}` was measured on another machine ({}, {}); changes may not mean much",
                    base.machine.cpu, base.machine.simd_level
                ));
            }
            let r = results.compare(name, base, threshold);
            let compared = results
                .benchmarks
                .iter()
                .filter(|e| e.change.is_some())
                .count();
            if compared == 0 {
                warn(format!(
                    "baseline `{name}` has none of this run's benchmarks"
                ));
            }
            r
        }
        None => Vec::new(),
    };

    let paired = paired_section(&out)?;
    results.paired = paired_tables(&out)?;
    util::write(
        &out.join("report.md"),
        &format!("{}{paired}", render::markdown::markdown(&results)),
    )?;
    util::write(&out.join("index.html"), &render::html::html(&results))?;
    util::write(&out.join("results.json"), &results.to_json())?;
    if bmf {
        let path = out.join("bmf.json");
        util::write(&path, &render::bmf::render(&results))?;
        progress(format!("Bencher Metric Format: {}", path.display()));
    }
    if let Some(path) = &save {
        util::write(path, &results.to_json())?;
        progress(format!("saved baseline {}", path.display()));
    }
    print_summary(&results);
    progress(format!(
        "{} benchmarks in {} groups; report: {}",
        results.benchmarks.len(),
        results.groups().len(),
        out.join("index.html").display()
    ));
    progress(format!(
        "also {} and {}",
        out.join("report.md").display(),
        out.join("results.json").display()
    ));
    if regressed.is_empty() {
        Ok(())
    } else {
        Err(Failure::found(format!(
            "{} regression(s) against baseline `{}` (threshold {threshold}%): {}",
            regressed.len(),
            baseline.as_ref().map_or("", |(n, _)| n.as_str()),
            regressed.join(", ")
        )))
    }
}

fn print_summary(r: &Results) {
    let out = std::io::stdout();
    let mut out = out.lock();
    for e in &r.benchmarks {
        let mut line = format!(
            "{:<48} {:>12}",
            e.measurement.id,
            util::human_ns(e.measurement.median.point)
        );
        if let Some(x) = e.vs_naive {
            line.push_str(&format!("  {x:>6.2}× naive"));
        }
        if let Some(c) = &e.change {
            line.push_str(&format!("  {:+.1}% {}", c.percent, c.verdict.as_str()));
        }
        let _ = writeln!(out, "{line}");
    }
}

/// Runs every selected bench target; returns the ids criterion reported benchmarking.
#[allow(clippy::too_many_arguments)] // The run's settings, each used once.
fn run_targets(
    ws: &Workspace,
    only_package: Option<&str>,
    only: Option<&str>,
    filter: Option<&str>,
    quick: bool,
    criterion_dir: &Path,
    out: &Path,
) -> Result<Vec<String>> {
    let targets = targets::select(ws, only_package, only)?;
    let logs = out.join("logs");
    util::create_dir(&logs)?;
    // Paired comparisons write their tables afresh in every run.
    let paired = out.join("paired");
    if paired.is_dir() {
        std::fs::remove_dir_all(&paired).map_err(|e| Failure::io("remove", &paired, &e))?;
    }
    let mut ran: Vec<String> = Vec::new();
    let n = targets.len();
    for (k, target) in targets.iter().enumerate() {
        progress(format!(
            "[{}/{n}] bench target `{target}`: building and running",
            k + 1
        ));
        let log_path = logs.join(format!("{}-{}.log", target.package, target.name));
        let ids = run_target(target, filter, quick, criterion_dir, &log_path, k + 1, n)?;
        progress(format!(
            "[{}/{n}] `{target}`: {} benchmarks (log: {})",
            k + 1,
            ids.len(),
            log_path.display()
        ));
        for id in ids {
            if !ran.contains(&id) {
                ran.push(id);
            }
        }
    }
    Ok(ran)
}

/// Calls `f` with each line of `r`, splitting on `\n` and on `\r` (criterion redraws its
/// progress line with `\r` when it thinks it writes to a terminal).
fn for_each_line(mut r: impl BufRead, mut f: impl FnMut(String)) {
    let mut line = Vec::new();
    loop {
        let (done, used) = match r.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(buf) => match buf.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) => {
                    line.extend_from_slice(&buf[..i]);
                    (true, i + 1)
                }
                None => {
                    line.extend_from_slice(buf);
                    (false, buf.len())
                }
            },
        };
        r.consume(used);
        if done {
            f(String::from_utf8_lossy(&line).into_owned());
            line.clear();
        }
    }
    if !line.is_empty() {
        f(String::from_utf8_lossy(&line).into_owned());
    }
}

/// Where the bench binaries write their paired comparisons (`perfkit_benches::paired`):
/// `paired/` next to the `logs/` directory that holds `log_path`.
fn paired_dir(log_path: &Path) -> PathBuf {
    log_path
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."))
        .join("paired")
}

/// The paired comparison tables under `out/paired`, in name order, as one Markdown section
/// (empty when there are none).
/// The paired comparisons of this run, parsed.
fn paired_tables(out: &Path) -> Result<Vec<paired::PairedTable>> {
    let mut tables = Vec::new();
    for f in paired_files(out) {
        let text = util::read(&f)?;
        tables.extend(
            paired::parse(&text).map_err(|e| Failure::new(format!("{}: {e}", f.display())))?,
        );
    }
    Ok(tables)
}

/// The Markdown files the run's paired comparisons wrote, sorted.
fn paired_files(out: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(out.join("paired")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files
}

fn paired_section(out: &Path) -> Result<String> {
    let files = paired_files(out);
    if files.is_empty() {
        return Ok(String::new());
    }
    let mut s = String::from(
        "\n## Paired comparisons\n\nContenders timed in alternating chunks of about 100 µs, \
         the order rotated every round; a ratio is the median over rounds of the contender's \
         time over the reference's in the same round, so drift of the machine cancels.\n\n",
    );
    for f in files {
        s.push_str(&util::read(&f)?);
    }
    Ok(s)
}

fn run_target(
    target: &targets::BenchTarget,
    filter: Option<&str>,
    quick: bool,
    criterion_dir: &Path,
    log_path: &Path,
    k: usize,
    n: usize,
) -> Result<Vec<String>> {
    let mut cmd = util::cargo();
    cmd.args([
        "bench",
        "-p",
        &target.package,
        "--bench",
        &target.name,
        "--",
    ])
    .args(criterion_args(filter, quick))
    .env("CRITERION_HOME", criterion_dir)
    .env("PERFKIT_PAIRED_DIR", paired_dir(log_path))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if quick {
        cmd.env("PERFKIT_BENCH_QUICK", "1");
    }
    let shown = util::display(&cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| Failure::new(format!("cannot run `{shown}`: {e}")))?;
    let mut log =
        std::fs::File::create(log_path).map_err(|e| Failure::io("create", log_path, &e))?;
    let _ = writeln!(log, "$ {shown}");

    // Criterion prints results on stdout and progress on stderr: read stdout on a thread,
    // echo its result lines, and keep both in the log.
    let stdout = child.stdout.take().expect("piped");
    let echo = std::thread::spawn(move || {
        let mut kept = Vec::new();
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
        {
            let t = line.trim_start();
            let noise = t.is_empty()
                || t.starts_with("Found ")
                || t.contains("%) high ")
                || t.contains("%) low ");
            if !noise {
                println!("    {line}");
            }
            kept.push(line);
        }
        kept
    });

    let mut ids: Vec<String> = Vec::new();
    let mut stderr_lines = Vec::new();
    let stderr = BufReader::new(child.stderr.take().expect("piped"));
    for_each_line(stderr, |line| {
        if let Some(id) = criterion::progress_id(&line) {
            if ids.last().map(String::as_str) != Some(id) {
                progress(format!(
                    "[{k}/{n} {target}] group `{}`: {id}",
                    criterion::group_of(id)
                ));
                ids.push(id.to_string());
            }
        } else {
            let t = line.trim_start();
            if t.starts_with("Compiling ") || t.starts_with("error") || t.starts_with("Finished ") {
                eprintln!("    {t}");
            }
        }
        stderr_lines.push(line);
    });
    let status = child
        .wait()
        .map_err(|e| Failure::new(format!("cannot wait for `{shown}`: {e}")))?;
    let stdout_lines = echo.join().unwrap_or_default();
    for l in stderr_lines.iter().chain(&stdout_lines) {
        let _ = writeln!(log, "{l}");
    }
    if !status.success() {
        for l in stderr_lines.iter().rev().take(15).rev() {
            eprintln!("    | {l}");
        }
        return Err(Failure::new(format!(
            "`{shown}` failed ({status}); full output in {}",
            log_path.display()
        )));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criterion_arguments() {
        assert!(criterion_args(None, false).is_empty());
        assert_eq!(criterion_args(Some("sum_f32"), false), ["sum_f32"]);
        assert_eq!(
            criterion_args(Some("^dot"), true),
            [
                "^dot",
                "--warm-up-time",
                "0.1",
                "--measurement-time",
                "0.5",
                "--sample-size",
                "10",
                "--nresamples",
                "10000"
            ]
        );
    }

    #[test]
    fn lines_split_on_cr_and_lf() {
        let mut lines = Vec::new();
        let input: &[u8] = b"Benchmarking a\rBenchmarking a: Analyzing\nx\r\ntail";
        for_each_line(BufReader::with_capacity(3, input), |l| lines.push(l));
        assert_eq!(
            lines,
            [
                "Benchmarking a",
                "Benchmarking a: Analyzing",
                "x",
                "",
                "tail"
            ]
        );
    }

    #[test]
    fn baseline_names_are_file_names() {
        let dir = Path::new("/t");
        assert_eq!(
            baseline_path(dir, "main").unwrap(),
            Path::new("/t/baselines/main.json")
        );
        assert!(baseline_path(dir, "v1.2_rc-3").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "a b"] {
            assert!(baseline_path(dir, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flag_errors() {
        let run_with = |a: &[&str]| match crate::flags::parse_command("bench", a)? {
            Some(crate::flags::PerfkitCmd::Bench(b)) => run(&b),
            _ => Ok(()),
        };
        let e = run_with(&["--threshold", "lots"]).unwrap_err();
        assert!(e.message.contains("--threshold"), "{}", e.message);
        assert_eq!(e.code, 2);
        let e = run_with(&["--threshold", "-3"]).unwrap_err();
        assert!(
            e.message
                .starts_with("`--threshold` must be a percentage >= 0")
        );
        let e = run_with(&["--compare", "HEAD", "--baseline", "x"]).unwrap_err();
        assert!(
            e.message
                .starts_with("--compare and --baseline cannot be combined"),
            "{}",
            e.message
        );
        let e = run_with(&["--format", "csv"]).unwrap_err();
        assert!(e.message.starts_with("unknown --format `csv`"));
        assert!(run_with(&["a", "b"]).unwrap_err().message.contains('b'));
        assert!(run_with(&["--help"]).is_ok());
    }
}
