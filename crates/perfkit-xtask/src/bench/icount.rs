//! `cargo xtask bench --icount`: instructions per iteration of every criterion benchmark,
//! counted by valgrind's callgrind, which the drift of a shared host cannot move.
//!
//! How: each bench executable runs once under callgrind in criterion's test mode (`--bench
//! --test`: every benchmark's routine exactly once, no warm-up, no analysis), with collection
//! on only inside criterion's `Bencher::iter` family (`--collect-atstart=no
//! --toggle-collect=...`) and a profile dumped as each call returns (`--dump-after=...`). The
//! n-th dump is the n-th benchmark criterion names in its `Testing <id>` lines. From each dump,
//! the measurement criterion makes around the routine (direct calls from `Bencher::iter*` to
//! its `Measurement` and to `Instant`/`Timespec`/`clock_gettime`) is taken out, so what remains
//! is the routine and criterion's own few instructions around it in `Bencher::iter` (its loop
//! step, `black_box`, moving the result: a constant of a few tens of instructions, the same in
//! every run). With `iter_batched`, the batch's setup is counted too.
//!
//! The counts are exact and repeatable, so a baseline compares them exactly, with a threshold
//! (default 1%) for changes worth naming. Valgrind does not emulate AVX-512: under it, runtime
//! dispatch picks at most AVX2, which the report says. Optional cache simulation (`--cache`)
//! adds simulated L1 and last-level misses.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::targets::BenchTarget;
use crate::util::{self, Failure, Result, Workspace, progress};

/// criterion's `Bencher` methods that run a routine and call no other of them. Names as
/// callgrind demangles them (legacy mangling, the default of stable Rust for crates outside
/// the standard library); `--dump-after` takes exact names.
const ITER_FUNCTIONS: [&str; 4] = [
    "criterion::bencher::Bencher<M>::iter",
    "criterion::bencher::Bencher<M>::iter_custom",
    "criterion::bencher::Bencher<M>::iter_batched",
    "criterion::bencher::Bencher<M>::iter_batched_ref",
];

/// The default change (percent) an instruction count must exceed to be a regression.
pub const DEFAULT_THRESHOLD_PCT: f64 = 1.0;

/// One benchmark's counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Count {
    /// criterion's `group/contender/size`.
    pub id: String,
    /// Instructions executed by one iteration.
    pub instructions: u64,
    /// Simulated L1 misses (instruction and data), with `--cache`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1_misses: Option<u64>,
    /// Simulated last-level misses (instruction and data), with `--cache`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ll_misses: Option<u64>,
}

/// A whole `--icount` run, as written to `icount.json` and kept as a baseline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// The valgrind version (`valgrind-3.19.0`).
    pub valgrind: String,
    /// Every benchmark counted, in run order.
    pub benchmarks: Vec<Count>,
}

/// What the callgrind dump of one call holds, per event.
///
/// `harness` is criterion's measurement inside the call (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dump {
    /// The event names (`Ir`, and with cache simulation `I1mr`, `D1mr`, ...).
    pub events: Vec<String>,
    /// The dump's totals, per event.
    pub totals: Vec<u64>,
    /// What criterion's measurement executed in the call.
    pub harness: Vec<u64>,
}

impl Dump {
    /// The routine's count of `event` (totals minus criterion's part).
    #[must_use]
    pub fn routine(&self, event: &str) -> Option<u64> {
        let i = self.events.iter().position(|e| e == event)?;
        Some(self.totals[i].saturating_sub(self.harness[i]))
    }

    fn sum(&self, events: &[&str]) -> Option<u64> {
        events.iter().map(|e| self.routine(e)).sum()
    }
}

/// Whether a function name is one of criterion's `Bencher::iter*` (either demangling).
fn is_iter_function(name: &str) -> bool {
    name.contains("criterion::bencher::Bencher") && name.contains("::iter")
}

/// Whether a callee of `Bencher::iter*` is criterion's measurement (its `Measurement`
/// methods, or a clock read).
fn is_measurement(name: &str) -> bool {
    [
        "criterion::measurement::",
        "Instant",
        "Timespec",
        "clock_gettime",
        "SystemTime",
    ]
    .iter()
    .any(|c| name.contains(c))
}

fn costs(fields: &str, n: usize) -> Vec<u64> {
    let mut v: Vec<u64> = fields
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    v.resize(n, 0);
    v
}

/// Reads one callgrind profile (written with `--compress-strings=no --compress-pos=no`).
///
/// # Errors
///
/// If it has no `events:` or `totals:`/`summary:` line.
pub fn parse_dump(text: &str) -> std::result::Result<Dump, String> {
    let mut dump = Dump::default();
    let mut function = String::new();
    let mut callee = String::new();
    let mut after_calls = false;
    let mut totals = None;
    for line in text.lines() {
        if let Some(e) = line.strip_prefix("events:") {
            dump.events = e.split_whitespace().map(String::from).collect();
            dump.harness = vec![0; dump.events.len()];
            continue;
        }
        if let Some(t) = line
            .strip_prefix("totals:")
            .or_else(|| line.strip_prefix("summary:"))
        {
            totals = Some(
                t.split_whitespace()
                    .map(|x| x.parse().unwrap_or(0))
                    .collect(),
            );
            continue;
        }
        if let Some(f) = line.strip_prefix("fn=") {
            function = f.to_string();
            after_calls = false;
            continue;
        }
        if let Some(f) = line.strip_prefix("cfn=") {
            callee = f.to_string();
            continue;
        }
        if line.starts_with("calls=") {
            after_calls = true;
            continue;
        }
        let is_cost = line
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '+' || c == '-' || c == '*');
        if !is_cost || !is_iter_function(&function) {
            after_calls = false;
            continue;
        }
        let n = dump.events.len();
        // After `calls=`: the inclusive cost of the call just named.
        let harness = after_calls && is_measurement(&callee);
        after_calls = false;
        if harness {
            for (h, c) in dump.harness.iter_mut().zip(costs(line, n)) {
                *h += c;
            }
        }
    }
    if dump.events.is_empty() {
        return Err("no `events:` line".into());
    }
    dump.totals = totals.ok_or("no `totals:` line")?;
    dump.totals.resize(dump.events.len(), 0);
    Ok(dump)
}

/// criterion's benchmark ids in the order its test mode ran them.
#[must_use]
pub fn tested_ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Testing "))
        .map(|id| id.trim().to_string())
        .collect()
}

/// The dumps of one run, in order: `<prefix>.<n>` for n = 1, 2, ...
fn dumps_in_order(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>> {
    let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| Failure::io("read", dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let n = name.strip_prefix(prefix)?.strip_prefix('.')?.parse().ok()?;
            Some((n, p))
        })
        .collect();
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// The installed valgrind's version line, or the install command.
fn valgrind() -> Result<String> {
    util::probe(Command::new("valgrind").arg("--version")).ok_or_else(|| {
        Failure::missing(
            "`bench --icount` needs valgrind, which is not installed",
            "sudo apt-get install valgrind",
        )
    })
}

/// Counts every benchmark of one bench executable matching `filter`.
fn count_executable(
    exe: &Path,
    cwd: &Path,
    dir: &Path,
    filter: Option<&str>,
    cache: bool,
) -> Result<Vec<Count>> {
    util::create_dir(dir)?;
    // Fresh dumps for this executable.
    for old in std::fs::read_dir(dir).map_err(|e| Failure::io("read", dir, &e))? {
        let path = old.map_err(|e| Failure::io("read", dir, &e))?.path();
        std::fs::remove_file(&path).map_err(|e| Failure::io("remove", &path, &e))?;
    }
    let mut cmd = Command::new("valgrind");
    cmd.args(["--tool=callgrind", "-q", "--collect-atstart=no"])
        .arg(format!("--callgrind-out-file={}/cg", dir.display()))
        .args(["--compress-strings=no", "--compress-pos=no"])
        .arg("--toggle-collect=*criterion::bencher::Bencher*::iter*")
        .arg(format!("--cache-sim={}", if cache { "yes" } else { "no" }));
    for f in ITER_FUNCTIONS {
        cmd.arg(format!("--dump-after={f}"));
    }
    cmd.arg(exe).args(["--bench", "--test"]);
    cmd.args(filter);
    cmd.current_dir(cwd).stderr(Stdio::inherit());
    let stdout = util::output(&mut cmd)?;
    let ids = tested_ids(&stdout);
    let dumps = dumps_in_order(dir, "cg")?;
    if dumps.len() != ids.len() {
        return Err(Failure::new(format!(
            "{}: criterion tested {} benchmarks but callgrind wrote {} profiles (one per call of \
             criterion's Bencher::iter family is expected; async benchmarks are not counted)",
            exe.display(),
            ids.len(),
            dumps.len()
        )));
    }
    let mut counts = Vec::new();
    for (id, path) in ids.into_iter().zip(dumps) {
        let dump = parse_dump(&util::read(&path)?)
            .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
        let instructions = dump
            .routine("Ir")
            .ok_or_else(|| Failure::new(format!("{}: no `Ir` event", path.display())))?;
        counts.push(Count {
            id,
            instructions,
            l1_misses: dump.sum(&["I1mr", "D1mr", "D1mw"]),
            ll_misses: dump.sum(&["ILmr", "DLmr", "DLmw"]),
        });
    }
    Ok(counts)
}

/// One count's change against a baseline, in percent (`None`: not in the baseline).
#[must_use]
pub fn change_pct(now: u64, before: u64) -> f64 {
    if before == 0 {
        if now == 0 { 0.0 } else { f64::INFINITY }
    } else {
        (now as f64 - before as f64) / before as f64 * 100.0
    }
}

/// The run's table (Markdown), with the baseline's changes if there is one.
#[must_use]
pub fn markdown(counts: &Counts, base: Option<(&str, &Counts)>, threshold_pct: f64) -> String {
    let cache = counts.benchmarks.iter().any(|c| c.l1_misses.is_some());
    let mut out = format!(
        "# Instruction counts\n\nInstructions per iteration under {} (callgrind; at most AVX2: \
         valgrind does not emulate AVX-512).\n\n| benchmark | instructions |",
        counts.valgrind
    );
    if cache {
        out.push_str(" L1 misses | LL misses |");
    }
    if base.is_some() {
        out.push_str(" change |");
    }
    out.push_str("\n|---|---:|");
    if cache {
        out.push_str("---:|---:|");
    }
    if base.is_some() {
        out.push_str("---:|");
    }
    out.push('\n');
    let before: BTreeMap<&str, u64> = base
        .map(|(_, b)| {
            b.benchmarks
                .iter()
                .map(|c| (c.id.as_str(), c.instructions))
                .collect()
        })
        .unwrap_or_default();
    for c in &counts.benchmarks {
        let _ = write!(out, "| `{}` | {} |", c.id, c.instructions);
        if cache {
            let _ = write!(
                out,
                " {} | {} |",
                c.l1_misses.unwrap_or(0),
                c.ll_misses.unwrap_or(0)
            );
        }
        if base.is_some() {
            match before.get(c.id.as_str()) {
                Some(&b) => {
                    let pct = change_pct(c.instructions, b);
                    let mark = if pct > threshold_pct {
                        " **regressed**"
                    } else {
                        ""
                    };
                    let _ = write!(out, " {pct:+.2}%{mark} |");
                }
                None => out.push_str(" new |"),
            }
        }
        out.push('\n');
    }
    out
}

/// The benchmarks whose count grew by more than `threshold_pct` over the baseline.
#[must_use]
pub fn regressions(counts: &Counts, base: &Counts, threshold_pct: f64) -> Vec<String> {
    let before: BTreeMap<&str, u64> = base
        .benchmarks
        .iter()
        .map(|c| (c.id.as_str(), c.instructions))
        .collect();
    counts
        .benchmarks
        .iter()
        .filter_map(|c| {
            let b = *before.get(c.id.as_str())?;
            let pct = change_pct(c.instructions, b);
            (pct > threshold_pct)
                .then(|| format!("{} ({b} → {}, {pct:+.2}%)", c.id, c.instructions))
        })
        .collect()
}

/// What `--icount` was asked.
#[derive(Debug)]
pub struct Settings<'a> {
    /// The bench targets.
    pub targets: Vec<BenchTarget>,
    /// criterion's filter.
    pub filter: Option<&'a str>,
    /// Simulate caches too.
    pub cache: bool,
    /// Save the run as this baseline file.
    pub save: Option<PathBuf>,
    /// Compare with this baseline (name, file).
    pub baseline: Option<(String, PathBuf)>,
    /// Regression threshold, percent.
    pub threshold_pct: f64,
}

/// Entry point of `bench --icount`.
pub fn run(ws: &Workspace, out: &Path, s: &Settings<'_>) -> Result<()> {
    let version = valgrind()?;
    let base = match &s.baseline {
        Some((name, path)) => {
            if !path.is_file() {
                return Err(Failure::missing(
                    format!(
                        "no instruction-count baseline named `{name}` at {}",
                        path.display()
                    ),
                    format!("cargo xtask bench --icount --save {name}"),
                ));
            }
            let b: Counts = serde_json::from_str(&util::read(path)?)
                .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display())))?;
            Some((name.clone(), b))
        }
        None => None,
    };
    progress(format!("building {} bench target(s)", s.targets.len()));
    let icount = out.join("icount");
    let built = super::compare::build(
        &ws.workspace_root,
        &ws.target_directory,
        &icount.join("bin"),
        &s.targets,
    )?;
    let mut all = Vec::new();
    for (k, (target, exe)) in built.iter().enumerate() {
        progress(format!(
            "[{}/{}] `{target}` under callgrind (each benchmark once)",
            k + 1,
            built.len()
        ));
        // As `cargo bench` runs it: in its package's directory.
        let cwd = ws
            .package(&target.package)
            .and_then(|p| p.manifest_path.parent())
            .map_or_else(|| ws.workspace_root.clone(), Path::to_path_buf);
        let dir = icount
            .join("dumps")
            .join(format!("{}-{}", target.package, target.name));
        all.extend(count_executable(exe, &cwd, &dir, s.filter, s.cache)?);
    }
    if all.is_empty() {
        return Err(Failure::new(match s.filter {
            Some(f) => format!("no benchmark matched the filter `{f}`"),
            None => "the bench targets ran no criterion benchmarks".to_string(),
        }));
    }
    let counts = Counts {
        valgrind: version.trim().to_string(),
        benchmarks: all,
    };
    let json = serde_json::to_string_pretty(&counts).unwrap_or_default();
    util::write(&out.join("icount.json"), &json)?;
    let table = markdown(
        &counts,
        base.as_ref().map(|(n, b)| (n.as_str(), b)),
        s.threshold_pct,
    );
    util::write(&out.join("icount.md"), &table)?;
    for c in &counts.benchmarks {
        println!("{:<56} {:>14} instructions", c.id, c.instructions);
    }
    if let Some(path) = &s.save {
        util::write(path, &json)?;
        progress(format!(
            "saved instruction-count baseline {}",
            path.display()
        ));
    }
    progress(format!(
        "{} benchmarks counted; table: {}",
        counts.benchmarks.len(),
        out.join("icount.md").display()
    ));
    if let Some((name, b)) = &base {
        let regressed = regressions(&counts, b, s.threshold_pct);
        if !regressed.is_empty() {
            return Err(Failure::found(format!(
                "{} instruction-count regression(s) against baseline `{name}` (threshold {}%): {}",
                regressed.len(),
                s.threshold_pct,
                regressed.join(", ")
            )));
        }
        progress(format!(
            "no instruction count grew by more than {}% against baseline `{name}`",
            s.threshold_pct
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump as callgrind writes it with `--compress-strings=no --compress-pos=no` (cut
    /// down from a real one of perfkit's simd bench).
    const DUMP: &str = "\
# callgrind format
version: 1
positions: line
events: Ir
summary: 1116

fl=/rustc/x/library/std/src/sys/pal/unix/time.rs
fn=<std::sys::pal::unix::time::Timespec>::now
69 20
fl=/home/u/.cargo/registry/src/index/criterion-0.8.2/src/bencher.rs
fn=criterion::bencher::Bencher<M>::iter
83 10
87 1
fi=/rustc/x/library/std/src/sys/time/unix.rs
cfi=/rustc/x/library/std/src/sys/pal/unix/time.rs
cfn=<std::sys::pal::unix::time::Timespec>::now
calls=1 69
74 26
fi=/rustc/x/library/core/src/hint.rs
491 4
cfi=/work/crates/perfkit-simd/src/lib.rs
cfn=perfkit_simd::sum_f32
calls=1 212
260 860
fe=/home/u/.cargo/registry/src/index/criterion-0.8.2/src/bencher.rs
93 2
cfn=<std::sys::pal::unix::time::Timespec>::sub_timespec
calls=1 106
78 37
cfn=<criterion::measurement::WallTime as criterion::measurement::Measurement>::end
calls=1 7
0 29
fl=/work/crates/perfkit-simd/src/lib.rs
fn=perfkit_simd::sum_f32
212 860
totals: 1116
";

    #[test]
    fn the_routine_is_the_total_without_criterions_measurement() {
        let d = parse_dump(DUMP).unwrap();
        assert_eq!(d.events, ["Ir"]);
        assert_eq!(d.totals, [1116]);
        // The clock calls from `Bencher::iter` (26 + 37 + 29); the same functions' costs of
        // their own, and the routine's call, stay.
        assert_eq!(d.harness, [26 + 37 + 29]);
        assert_eq!(d.routine("Ir"), Some(1116 - 92));
        assert_eq!(d.routine("D1mr"), None);
        assert!(parse_dump("nothing").is_err());
    }

    #[test]
    fn ids_come_from_criterions_test_mode_lines() {
        let out = "Testing a/b/1\nSuccess\nTesting c/d\nSuccess\n\nother\n";
        assert_eq!(tested_ids(out), ["a/b/1", "c/d"]);
    }

    #[test]
    fn regressions_are_exact_changes_past_the_threshold() {
        let c = |id: &str, n| Count {
            id: id.into(),
            instructions: n,
            l1_misses: None,
            ll_misses: None,
        };
        let base = Counts {
            valgrind: "v".into(),
            benchmarks: vec![c("a", 1000), c("b", 1000), c("gone", 5)],
        };
        let now = Counts {
            valgrind: "v".into(),
            benchmarks: vec![c("a", 1011), c("b", 1010), c("new", 7)],
        };
        assert_eq!(regressions(&now, &base, 1.0), ["a (1000 → 1011, +1.10%)"]);
        assert!(regressions(&now, &base, 2.0).is_empty());
        let md = markdown(&now, Some(("main", &base)), 1.0);
        assert!(md.contains("| `a` | 1011 | +1.10% **regressed** |"), "{md}");
        assert!(md.contains("| `b` | 1010 | +1.00% |"), "{md}");
        assert!(md.contains("| `new` | 7 | new |"), "{md}");
        assert_eq!(change_pct(0, 0), 0.0);
    }
}
