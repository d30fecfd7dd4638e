//! `cargo xtask fuzz`: every cargo-fuzz target of the workspace, one after the other, and a
//! table of what each did.
//!
//! The targets are the `[[bin]]`s of `fuzz/Cargo.toml` at the workspace root (a cargo-fuzz
//! workspace of its own). They are built once (`cargo +nightly fuzz build`: release with debug
//! assertions, AddressSanitizer, in `target/perfkit/fuzz/target`), then each runs on its
//! corpus, `fuzz/corpus/TARGET` (where libFuzzer also keeps the new inputs it finds), for
//! `--runs N` executions (default 20,000: a smoke) or `--time S` seconds:
//!
//! ```text
//! cargo +nightly fuzz run TARGET fuzz/corpus/TARGET -- -runs=N   (or -max_total_time=S)
//! ```
//!
//! Each run's whole output goes to `target/perfkit/fuzz/TARGET.log`; the table gives the
//! executions (from libFuzzer's closing `Done N runs in S second(s)`, or its `#N DONE` line),
//! the seconds the run took (process start and corpus loading included), executions per
//! second, and the findings: the inputs libFuzzer saved under `fuzz/artifacts/TARGET/`
//! (crashes, leaks, timeouts, out-of-memory), from this run or an earlier one. Any finding
//! makes the command exit 1; a target that could not run at all, 2.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::flags::{self, Fuzz};
use crate::util::{self, Failure, Result, Workspace, progress};

/// What a smoke run does when neither `--runs` nor `--time` is given.
pub const DEFAULT_RUNS: u64 = 20_000;

const INSTALL_NIGHTLY: &str = "rustup toolchain install nightly --profile minimal";
const INSTALL_CARGO_FUZZ: &str = "cargo install cargo-fuzz --locked";

/// How long each target runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// libFuzzer's `-runs=N`.
    Runs(u64),
    /// libFuzzer's `-max_total_time=S`.
    Seconds(u64),
}

impl Budget {
    /// The libFuzzer flag.
    #[must_use]
    pub fn flag(self) -> String {
        match self {
            Budget::Runs(n) => format!("-runs={n}"),
            Budget::Seconds(s) => format!("-max_total_time={s}"),
        }
    }
}

/// What libFuzzer's output says about a finished run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Inputs executed: `Done N runs in ...`, else the last `#N DONE` line.
    pub executions: Option<u64>,
    /// libFuzzer's own whole seconds (`... in S second(s)`).
    pub seconds: Option<u64>,
    /// Whether libFuzzer reported a crash, a leak, a timeout or running out of memory.
    pub failed: bool,
}

/// Reads libFuzzer's output (stderr, as cargo-fuzz passes it on).
#[must_use]
pub fn parse_output(text: &str) -> Summary {
    let mut s = Summary::default();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Done ") {
            // `Done 20000 runs in 3 second(s)`
            let mut words = rest.split_whitespace();
            if let (Some(n), Some("runs"), Some("in"), Some(secs)) =
                (words.next(), words.next(), words.next(), words.next())
            {
                s.executions = n.parse().ok().or(s.executions);
                s.seconds = secs.parse().ok();
            }
        } else if let Some(rest) = line.strip_prefix('#') {
            // `#20000	DONE   cov: 341 ft: 1504 corp: 213/37Kb ...`
            let mut words = rest.split_whitespace();
            if let (Some(n), Some("DONE")) = (words.next(), words.next()) {
                s.executions = n.parse().ok();
            }
        } else if line.contains("ERROR: libFuzzer:")
            || line.contains("ERROR: AddressSanitizer:")
            || line.contains("ERROR: LeakSanitizer:")
            || line.starts_with("SUMMARY: libFuzzer:")
        {
            s.failed = true;
        }
    }
    s
}

/// The lines of a failed run worth showing: the panic or sanitizer report and where the input
/// went (at most `max`).
#[must_use]
pub fn finding_lines(text: &str, max: usize) -> Vec<&str> {
    let keep = |l: &str| {
        l.contains("panicked at")
            || l.contains("ERROR: ")
            || l.starts_with("SUMMARY:")
            || l.contains("Test unit written to")
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if keep(l) {
            out.push(*l);
            // A panic's message is on the next line.
            if l.contains("panicked at")
                && let Some(next) = lines.get(i + 1)
            {
                out.push(*next);
            }
        }
        if out.len() >= max {
            out.truncate(max);
            break;
        }
    }
    out
}

/// The fuzz targets (`[[bin]]` names, in file order) of a cargo-fuzz `Cargo.toml`.
///
/// # Errors
///
/// When it is not TOML or declares no target.
pub fn targets(manifest: &str) -> std::result::Result<Vec<String>, String> {
    let doc: toml::Table = manifest
        .parse()
        .map_err(|e: toml::de::Error| e.to_string())?;
    let names: Vec<String> = doc
        .get("bin")
        .and_then(toml::Value::as_array)
        .map(|bins| {
            bins.iter()
                .filter_map(|b| b.get("name")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        return Err("no [[bin]] targets".into());
    }
    Ok(names)
}

/// One target's result, for the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The target.
    pub target: String,
    /// What libFuzzer reported.
    pub summary: Summary,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    /// The saved inputs under `fuzz/artifacts/TARGET/`.
    pub findings: Vec<PathBuf>,
}

/// The closing table.
#[must_use]
pub fn table(rows: &[Row]) -> String {
    let width = rows
        .iter()
        .map(|r| r.target.len())
        .chain(["target".len()])
        .max()
        .unwrap_or(6);
    let mut out = format!(
        "{:<width$}  {:>12}  {:>8}  {:>9}  findings\n",
        "target", "executions", "seconds", "exec/s"
    );
    for r in rows {
        let (runs, rate) = match r.summary.executions {
            Some(n) => (
                n.to_string(),
                format!("{:.0}", n as f64 / r.seconds.max(1e-3)),
            ),
            None => ("?".into(), "?".into()),
        };
        let findings = if r.findings.is_empty() {
            "0".to_string()
        } else {
            format!("{} (fuzz/artifacts/{}/)", r.findings.len(), r.target)
        };
        let _ = writeln!(
            out,
            "{:<width$}  {runs:>12}  {:>8.1}  {rate:>9}  {findings}",
            r.target, r.seconds
        );
    }
    out
}

/// The files libFuzzer saved for `target` (sorted).
fn artifacts(fuzz_dir: &Path, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir.join("artifacts").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(std::result::Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Files and bytes in a corpus directory.
fn corpus_size(dir: &Path) -> (usize, u64) {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(std::result::Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .fold((0, 0), |(n, b), m| (n + 1, b + m.len()))
        })
        .unwrap_or((0, 0))
}

/// `cargo +nightly ARGS`. The rustup proxy on `PATH` is what understands `+nightly` (the
/// `CARGO` the tools otherwise use is the pinned toolchain's own binary).
pub(crate) fn nightly_cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly");
    // The outer `cargo run` names its toolchain here; `+nightly` must win.
    cmd.env_remove("RUSTUP_TOOLCHAIN");
    cmd
}

/// Fails with the install command when nightly or cargo-fuzz is missing.
fn check_tools() -> Result<String> {
    if util::probe(nightly_cargo().arg("--version")).is_none() {
        return Err(Failure::missing(
            "cargo-fuzz needs a nightly toolchain, and `cargo +nightly` does not run here",
            INSTALL_NIGHTLY,
        ));
    }
    util::probe(nightly_cargo().args(["fuzz", "--version"]))
        .map(|v| v.trim().to_string())
        .ok_or_else(|| Failure::missing("cargo-fuzz is not installed", INSTALL_CARGO_FUZZ))
}

/// The `cargo +nightly fuzz SUBCOMMAND` arguments shared by build and run.
fn fuzz_args(subcommand: &str, fuzz_dir: &Path, target_dir: &Path) -> Vec<String> {
    vec![
        "fuzz".into(),
        subcommand.into(),
        "--fuzz-dir".into(),
        fuzz_dir.display().to_string(),
        "--target-dir".into(),
        target_dir.display().to_string(),
    ]
}

/// Entry point.
pub fn run(f: &Fuzz) -> Result<()> {
    flags::exclusive(
        "fuzz",
        &[("--time", f.time.is_some()), ("--runs", f.runs.is_some())],
    )?;
    let budget = match (f.time, f.runs) {
        (Some(0), _) | (_, Some(0)) => {
            return Err(Failure::new(
                "`--time` and `--runs` must be at least 1 (see `cargo xtask fuzz --help`)",
            ));
        }
        (Some(s), _) => Budget::Seconds(s),
        (_, Some(n)) => Budget::Runs(n),
        _ => Budget::Runs(DEFAULT_RUNS),
    };
    let ws = Workspace::load()?;
    let fuzz_dir = ws.workspace_root.join("fuzz");
    let manifest = fuzz_dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(Failure::missing(
            format!(
                "no cargo-fuzz workspace here: {} does not exist",
                manifest.display()
            ),
            "cargo +nightly fuzz init",
        ));
    }
    let all = targets(&util::read(&manifest)?)
        .map_err(|e| Failure::new(format!("{}: {e}", manifest.display())))?;
    if f.list {
        for t in &all {
            let (files, bytes) = corpus_size(&fuzz_dir.join("corpus").join(t));
            println!(
                "{t:<24} corpus: {files} files, {}",
                util::human_bytes(bytes)
            );
        }
        return Ok(());
    }
    let chosen: Vec<String> = match &f.target {
        Some(t) if all.contains(t) => vec![t.clone()],
        Some(t) => {
            return Err(Failure::new(format!(
                "no fuzz target `{t}` in {} (targets: {})",
                manifest.display(),
                all.join(", ")
            )));
        }
        None => all,
    };
    let version = check_tools()?;
    let out = ws.out_dir("fuzz");
    let target_dir = out.join("target");
    util::create_dir(&out)?;
    let started = Instant::now();

    progress(format!(
        "building {} fuzz target(s) with {version}, AddressSanitizer, in {}",
        chosen.len(),
        target_dir.display()
    ));
    let mut build = nightly_cargo();
    build
        .args(fuzz_args("build", &fuzz_dir, &target_dir))
        .current_dir(&ws.workspace_root);
    if let [one] = chosen.as_slice() {
        build.arg(one);
    }
    util::run(&mut build)?;

    let mut rows = Vec::new();
    let mut broken = Vec::new();
    for (i, t) in chosen.iter().enumerate() {
        let corpus = fuzz_dir.join("corpus").join(t);
        util::create_dir(&corpus)?;
        let log_path = out.join(format!("{t}.log"));
        let log = File::create(&log_path).map_err(|e| Failure::io("create", &log_path, &e))?;
        let log2 = log
            .try_clone()
            .map_err(|e| Failure::io("open", &log_path, &e))?;
        let mut cmd = nightly_cargo();
        cmd.args(fuzz_args("run", &fuzz_dir, &target_dir))
            .arg(t)
            .arg(&corpus)
            .arg("--")
            .arg(budget.flag())
            .current_dir(&ws.workspace_root)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let what = match budget {
            Budget::Runs(n) => format!("{n} runs"),
            Budget::Seconds(s) => format!("{s} s"),
        };
        progress(format!("[{}/{}] {t}: {what} ...", i + 1, chosen.len()));
        let t0 = Instant::now();
        let status = cmd
            .status()
            .map_err(|e| Failure::new(format!("cannot run `{}`: {e}", util::display(&cmd))))?;
        let seconds = t0.elapsed().as_secs_f64();
        let text = util::read(&log_path)?;
        let summary = parse_output(&text);
        let findings = artifacts(&fuzz_dir, t);
        let rate = summary.executions.map_or_else(
            || "?".into(),
            |n| format!("{:.0}", n as f64 / seconds.max(1e-3)),
        );
        progress(format!(
            "[{}/{}] {t}: {} executions in {seconds:.1} s ({rate}/s), {} finding(s)",
            i + 1,
            chosen.len(),
            summary
                .executions
                .map_or_else(|| "?".into(), |n| n.to_string()),
            findings.len()
        ));
        if !status.success() || summary.failed {
            for l in finding_lines(&text, 12) {
                eprintln!("    | {l}");
            }
            eprintln!("    | (whole output: {})", log_path.display());
            if findings.is_empty() {
                broken.push(format!("{t} ({status}; see {})", log_path.display()));
            }
        }
        rows.push(Row {
            target: t.clone(),
            summary,
            seconds,
            findings,
        });
    }
    println!();
    print!("{}", table(&rows));
    println!(
        "{} target(s) in {:.0} s (build included); logs in {}",
        rows.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    let found: Vec<String> = rows
        .iter()
        .filter(|r| !r.findings.is_empty())
        .map(|r| {
            let shown: Vec<String> = r.findings.iter().map(|p| p.display().to_string()).collect();
            format!("{}: {}", r.target, shown.join(", "))
        })
        .collect();
    if !broken.is_empty() {
        return Err(Failure::new(format!(
            "fuzz target(s) failed without saving an input: {}",
            broken.join("; ")
        )));
    }
    if !found.is_empty() {
        return Err(Failure::found(format!(
            "{} target(s) have findings (reproduce with `cargo +nightly fuzz run --fuzz-dir fuzz TARGET FILE`): {}",
            found.len(),
            found.join("; ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DONE: &str = "\
INFO: Running with entropic power schedule (0xFF, 100).
INFO: Seed: 1234
INFO:      213 files found in fuzz/corpus/frame_round_trip
#214	INITED cov: 330 ft: 1480 corp: 213/37Kb exec/s: 0 rss: 60Mb
#4096	pulse  cov: 330 ft: 1490 corp: 213/37Kb lim: 859 exec/s: 2048 rss: 90Mb
#20000	DONE   cov: 341 ft: 1504 corp: 220/38Kb lim: 859 exec/s: 6666 rss: 120Mb
Done 20000 runs in 3 second(s)
";

    const CRASH: &str = "\
#1024	pulse  cov: 99 ft: 120 corp: 8/64b lim: 4 exec/s: 512 rss: 40Mb

thread '<unnamed>' panicked at fuzz_targets/slab_ops.rs:120:9:
assertion `left == right` failed: a removed handle is stale
==4242== ERROR: libFuzzer: deadly signal
    #0 0x55d in __sanitizer_print_stack_trace
NOTE: libFuzzer has rudimentary signal handlers.
SUMMARY: libFuzzer: deadly signal
MS: 2 ChangeBit-InsertByte-; base unit: 0000
artifact_prefix='fuzz/artifacts/slab_ops/'; Test unit written to fuzz/artifacts/slab_ops/crash-da39a3ee
Base64: AAE=
";

    #[test]
    fn reads_libfuzzer_output() {
        assert_eq!(
            parse_output(DONE),
            Summary {
                executions: Some(20_000),
                seconds: Some(3),
                failed: false
            }
        );
        // Without the closing `Done` line (an older libFuzzer, a cut log): the DONE line.
        let cut = DONE.replace("Done 20000 runs in 3 second(s)\n", "");
        assert_eq!(parse_output(&cut).executions, Some(20_000));
        assert_eq!(parse_output(&cut).seconds, None);
        // A crash: no executions to report, the failure seen.
        let s = parse_output(CRASH);
        assert_eq!((s.executions, s.failed), (None, true));
        assert_eq!(
            finding_lines(CRASH, 10),
            [
                "thread '<unnamed>' panicked at fuzz_targets/slab_ops.rs:120:9:",
                "assertion `left == right` failed: a removed handle is stale",
                "==4242== ERROR: libFuzzer: deadly signal",
                "SUMMARY: libFuzzer: deadly signal",
                "artifact_prefix='fuzz/artifacts/slab_ops/'; Test unit written to fuzz/artifacts/slab_ops/crash-da39a3ee",
            ]
        );
        assert_eq!(finding_lines(CRASH, 2).len(), 2);
        assert_eq!(parse_output("").executions, None);
        let asan = "==1== ERROR: AddressSanitizer: heap-use-after-free on address 0x6020";
        assert!(parse_output(asan).failed);
    }

    #[test]
    fn targets_come_from_the_bins_in_order() {
        let manifest = r#"
[package]
name = "x-fuzz"
[package.metadata]
cargo-fuzz = true
[[bin]]
name = "zeta"
path = "fuzz_targets/zeta.rs"
[[bin]]
name = "alpha"
path = "fuzz_targets/alpha.rs"
"#;
        assert_eq!(targets(manifest).unwrap(), ["zeta", "alpha"]);
        assert!(targets("[package]\nname = \"x\"").is_err());
        assert!(targets("not toml [").is_err());
    }

    #[test]
    fn table_and_flags() {
        let rows = [
            Row {
                target: "varint_decode".into(),
                summary: parse_output(DONE),
                seconds: 2.5,
                findings: vec![],
            },
            Row {
                target: "slab_ops".into(),
                summary: parse_output(CRASH),
                seconds: 0.4,
                findings: vec!["fuzz/artifacts/slab_ops/crash-da39a3ee".into()],
            },
        ];
        assert_eq!(
            table(&rows),
            "\
target           executions   seconds     exec/s  findings
varint_decode         20000       2.5       8000  0
slab_ops                  ?       0.4          ?  1 (fuzz/artifacts/slab_ops/)
"
        );
        assert_eq!(Budget::Runs(20_000).flag(), "-runs=20000");
        assert_eq!(Budget::Seconds(60).flag(), "-max_total_time=60");
        let Some(flags::PerfkitCmd::Fuzz(f)) =
            flags::parse_command("fuzz", &["--target", "slab_ops", "--runs", "5"]).unwrap()
        else {
            panic!("fuzz")
        };
        assert_eq!(
            (f.target.as_deref(), f.runs, f.time, f.list),
            (Some("slab_ops"), Some(5), None, false)
        );
        let Some(flags::PerfkitCmd::Fuzz(f)) =
            flags::parse_command("fuzz", &["--time", "3", "--runs", "5"]).unwrap()
        else {
            panic!("fuzz")
        };
        let e = run(&f).unwrap_err();
        assert!(
            e.message.contains("--time and --runs cannot be combined"),
            "{e}"
        );
        assert!(
            flags::parse_command("fuzz", &["--runs", "many"])
                .unwrap_err()
                .message
                .contains("--runs")
        );
    }
}
