//! `cargo xtask bench --compare REV`: a paired A/B of the bench targets built at git revision
//! `REV` and in the working tree.
//!
//! Comparing the medians of two separate runs cannot see a 3% change on a machine whose speed
//! drifts by a third within a second. So both builds run in the same session, in alternating
//! short chunks: each round runs every benchmark once in the base build and once in the new
//! build (the order alternating from round to round), each chunk a short criterion
//! measurement in a worker process of its own. A round's ratio is the new build's time over
//! the base's, both measured within a fraction of a second of each other, so the drift
//! cancels. Over the rounds:
//!
//! - the estimate is the **median of the per-round ratios**;
//! - its **95% confidence interval** is distribution-free: the order statistics
//!   `r(k)` and `r(n+1−k)` of the `n` sorted ratios, with `k` the largest rank for which
//!   `P(Binomial(n, ½) < k) ≤ 2.5%` (an exact rank method; no resampling, so the same
//!   ratios always give the same interval);
//! - the verdict is perfkit-profile's [`RegressionDetector`] rule with the ratio 1.0 as the
//!   exact baseline: a regression needs the interval to exclude 1 **and** the median change
//!   to exceed the threshold.
//!
//! Both builds happen in one git worktree under `target/perfkit/compare/`, with one target
//! directory there: first at `REV`, then with the working tree's changes applied (tracked
//! files' diff and untracked files), so the two differ only by those changes. The user's tree
//! and build cache are untouched.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use perfkit_profile::{Estimate as RatioEstimate, RegressionDetector, Verdict};

use super::criterion;
use super::targets::BenchTarget;
use crate::util::{self, Failure, Result, Workspace, progress, warn};

/// How the chunks are measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Rounds per benchmark (each: one chunk per build).
    pub rounds: usize,
    /// criterion's warm-up per chunk, seconds.
    pub warm_up: f64,
    /// criterion's measurement per chunk, seconds.
    pub measure: f64,
}

impl Plan {
    /// The default: 40 rounds of 0.05 s warm-up and 0.1 s measurement per chunk, about 20 s
    /// per benchmark here (process start and criterion's analysis included).
    pub const DEFAULT: Self = Self {
        rounds: 40,
        warm_up: 0.05,
        measure: 0.1,
    };
    /// `--quick`: 16 rounds of 0.03 s + 0.05 s, for a smoke run.
    pub const QUICK: Self = Self {
        rounds: 16,
        warm_up: 0.03,
        measure: 0.05,
    };
}

/// The median of `ratios` and its distribution-free 95% confidence interval (see the module
/// docs): `(median, lower, upper)`. `None` for fewer than 6 ratios, too few for any rank
/// interval to reach 95%.
#[must_use]
pub fn median_ci(ratios: &[f64]) -> Option<(f64, f64, f64)> {
    let n = ratios.len();
    if n < 6 {
        return None;
    }
    let mut r = ratios.to_vec();
    r.sort_by(f64::total_cmp);
    let median = if n % 2 == 1 {
        r[n / 2]
    } else {
        f64::midpoint(r[n / 2 - 1], r[n / 2])
    };
    // k: the largest rank with P(X < k) <= 0.025 for X ~ Binomial(n, 1/2), so that
    // [r(k), r(n+1-k)] covers the median with probability >= 95%.
    let mut cdf = 0.0; // P(X <= j - 1) as j grows
    let mut pmf = 0.5_f64.powi(i32::try_from(n).ok()?); // P(X = 0)
    let mut k = 0;
    for j in 0..n {
        // Before adding P(X = j): cdf = P(X < j).
        if cdf > 0.025 {
            break;
        }
        k = j;
        cdf += pmf;
        pmf = pmf * (n - j) as f64 / (j + 1) as f64;
    }
    // k is now the 1-based rank: the interval is the k-th smallest to the k-th largest.
    if k == 0 {
        return None;
    }
    Some((median, r[k - 1], r[n - k]))
}

/// One benchmark's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// criterion's id (`group/contender/size`).
    pub id: String,
    /// Median time per iteration over the base build's chunks, ns.
    pub base_ns: f64,
    /// The same for the working tree's build.
    pub new_ns: f64,
    /// Median of the per-round ratios new/base, and its 95% interval.
    pub ratio: (f64, f64, f64),
    /// Rounds measured.
    pub rounds: usize,
    /// The verdict under the threshold.
    pub verdict: Verdict,
    /// Every round's (base, new) time, ns, in round order.
    pub times: Vec<(f64, f64)>,
}

/// The verdict for a ratio estimate (new/base) under `threshold_pct`.
pub fn verdict(ratio: (f64, f64, f64), threshold_pct: f64) -> Result<Verdict> {
    let one = RatioEstimate::exact(1.0).map_err(|e| Failure::new(e.to_string()))?;
    let detector = RegressionDetector::with_threshold_pct(one, threshold_pct)
        .map_err(|e| Failure::new(e.to_string()))?;
    let current = RatioEstimate::new(ratio.0, ratio.1, ratio.2)
        .map_err(|e| Failure::new(format!("ratio {ratio:?}: {e}")))?;
    Ok(detector.check(current).verdict)
}

/// `git` in `dir`, its stdout trimmed, or a failure naming the command.
fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    util::output(&mut cmd).map(|s| s.trim().to_string())
}

/// The commit `rev` names, or a one-line failure with the fixing command.
fn resolve_rev(root: &Path, rev: &str) -> Result<String> {
    git(root, &["rev-parse", "--show-toplevel"]).map_err(|_| {
        Failure::missing(
            format!(
                "{} is not in a git repository: --compare builds a git revision",
                root.display()
            ),
            "git init && git add -A && git commit -m base",
        )
    })?;
    let spec = format!("{rev}^{{commit}}");
    git(root, &["rev-parse", "--verify", "--quiet", &spec]).map_err(|_| {
        Failure::missing(
            format!("no commit `{rev}` in this repository"),
            "git log --oneline  # pick a revision that exists",
        )
    })
}

/// A worktree of `commit` under `dir` (created, or moved to `commit` if it exists), and the
/// path of the workspace inside it (the same relative path as `root` in the repository).
fn worktree(root: &Path, commit: &str, dir: &Path) -> Result<PathBuf> {
    let prefix = git(root, &["rev-parse", "--show-prefix"])?;
    let dir = &std::path::absolute(dir).map_err(|e| Failure::io("resolve", dir, &e))?;
    if dir.join(".git").exists() {
        git(dir, &["checkout", "--quiet", "--detach", "--force", commit])?;
        // Files a previous run's overlay added (the target directory is outside the tree).
        git(dir, &["clean", "--quiet", "-d", "-x", "--force"])?;
    } else {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| Failure::io("remove", dir, &e))?;
        }
        // A stale registration (the directory was deleted by hand) would block the add.
        let _ = git(root, &["worktree", "prune"]);
        let d = dir.to_string_lossy();
        git(
            root,
            &["worktree", "add", "--quiet", "--detach", &d, commit],
        )?;
    }
    Ok(dir.join(prefix))
}

/// Puts the user's working tree into the worktree `wt` (at `commit`): the changes of tracked
/// files (`git diff --binary commit`, staged or not) and the untracked files git does not
/// ignore. Nothing in the user's tree changes.
fn overlay(repo: &Path, wt: &Path, commit: &str, scratch: &Path) -> Result<usize> {
    let patch = util::output(
        Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["diff", "--binary", commit]),
    )?;
    let mut changed = 0;
    if !patch.trim().is_empty() {
        let file = scratch.join("working-tree.patch");
        util::write(&file, &patch)?;
        let f = file.to_string_lossy();
        git(wt, &["apply", "--binary", "--whitespace=nowarn", &f])?;
        changed += patch.matches("\ndiff --git ").count() + 1;
    }
    let untracked = util::output(Command::new("git").arg("-C").arg(repo).args([
        "ls-files",
        "--others",
        "--exclude-standard",
        "-z",
    ]))?;
    for rel in untracked.split('\0').filter(|r| !r.is_empty()) {
        let (from, to) = (repo.join(rel), wt.join(rel));
        if let Some(parent) = to.parent() {
            util::create_dir(parent)?;
        }
        std::fs::copy(&from, &to).map_err(|e| Failure::io("copy", &from, &e))?;
        changed += 1;
    }
    Ok(changed)
}

/// Builds `targets` of the workspace in `ws_dir` (`cargo bench --no-run`, run there, so the
/// config files it finds are the workspace's own) into `target_dir`, and copies each bench
/// executable to `bin_dir`; returns the copies.
pub(super) fn build(
    ws_dir: &Path,
    target_dir: &Path,
    bin_dir: &Path,
    targets: &[BenchTarget],
) -> Result<Vec<(BenchTarget, PathBuf)>> {
    let mut cmd = util::cargo();
    cmd.args([
        "bench",
        "--no-run",
        "--message-format",
        "json-render-diagnostics",
    ])
    .arg("--target-dir")
    .arg(target_dir)
    .current_dir(ws_dir);
    for t in targets {
        cmd.args(["-p", &t.package, "--bench", &t.name]);
    }
    cmd.stderr(Stdio::inherit());
    let json = util::output(&mut cmd)?;
    let mut out = Vec::new();
    for line in json.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" || msg["target"]["kind"][0] != "bench" {
            continue;
        }
        let (Some(name), Some(exe)) = (msg["target"]["name"].as_str(), msg["executable"].as_str())
        else {
            continue;
        };
        if let Some(t) = targets.iter().find(|t| t.name == name) {
            util::create_dir(bin_dir)?;
            let copy = bin_dir.join(format!("{}-{}", t.package, t.name));
            std::fs::copy(exe, &copy).map_err(|e| Failure::io("copy", Path::new(exe), &e))?;
            out.push((t.clone(), copy));
        }
    }
    Ok(out)
}

/// What a bench executable measures: a criterion benchmark, or a perfkit-bench paired
/// comparison (which times all its contenders in one run).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Listed {
    /// criterion's `group/contender/size`.
    Criterion(String),
    /// perfkit-bench's `group/size`.
    Paired(String),
}

/// What a bench executable lists under `--list`: criterion prints `<id>: benchmark`,
/// perfkit-bench `<id>: paired`.
fn list(exe: &Path, cwd: &Path) -> Result<Vec<Listed>> {
    let mut cmd = Command::new(exe);
    cmd.args(["--bench", "--list"]).current_dir(cwd);
    let text = util::output(&mut cmd)?;
    Ok(parse_list(&text))
}

fn parse_list(text: &str) -> Vec<Listed> {
    text.lines()
        .filter_map(|l| {
            l.strip_suffix(": benchmark")
                .map(|id| Listed::Criterion(id.to_string()))
                .or_else(|| {
                    l.strip_suffix(": paired")
                        .map(|id| Listed::Paired(id.to_string()))
                })
        })
        .collect()
}

/// A time as perfkit-bench prints it (`73.17 ns`, `1.949 µs`, `12.0 ms`, `1.5 s`), in ns.
fn parse_time(s: &str) -> Option<f64> {
    let (v, unit) = s.trim().split_once(' ')?;
    let v: f64 = v.parse().ok()?;
    let scale = match unit {
        "ns" => 1.0,
        "µs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    Some(v * scale)
}

/// One chunk of a paired comparison: one quick run of it; each contender's median time, ns,
/// keyed `group/contender/size`.
fn paired_chunk(exe: &Path, cwd: &Path, dir: &Path, id: &str) -> Result<Vec<(String, f64)>> {
    if dir.is_dir() {
        std::fs::remove_dir_all(dir).map_err(|e| Failure::io("clear", dir, &e))?;
    }
    util::create_dir(dir)?;
    let mut cmd = Command::new(exe);
    cmd.arg("--bench")
        .arg(id)
        .env("PERFKIT_BENCH_QUICK", "1")
        .env("PERFKIT_PAIRED_DIR", dir)
        .current_dir(cwd)
        .stdout(Stdio::null());
    util::output(&mut cmd)?;
    let (group, size) = id.rsplit_once('/').unwrap_or((id, ""));
    let file = dir.join(format!("{group}_{size}.md"));
    let tables = super::paired::parse(&util::read(&file)?)
        .map_err(|e| Failure::new(format!("{}: {e}", file.display())))?;
    let table = tables
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| Failure::new(format!("{} has no table `{id}`", file.display())))?;
    table
        .rows
        .iter()
        .map(|r| {
            parse_time(&r.median)
                .map(|ns| (format!("{group}/{}/{size}", r.name), ns))
                .ok_or_else(|| {
                    Failure::new(format!(
                        "unreadable time `{}` in {}",
                        r.median,
                        file.display()
                    ))
                })
        })
        .collect()
}

/// `id` as a regex that matches exactly it (criterion's filter is a regex).
#[must_use]
pub fn exact_regex(id: &str) -> String {
    let mut s = String::from("^");
    for c in id.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('$');
    s
}

/// One chunk: `id` measured once by `exe`; the median time per iteration, ns.
fn chunk(exe: &Path, cwd: &Path, home: &Path, id: &str, plan: Plan) -> Result<f64> {
    let mut cmd = Command::new(exe);
    cmd.arg("--bench")
        .arg(exact_regex(id))
        .args(["--warm-up-time", &plan.warm_up.to_string()])
        .args(["--measurement-time", &plan.measure.to_string()])
        .args(["--sample-size", "10", "--nresamples", "1000", "--noplot"])
        .env("CRITERION_HOME", home)
        .current_dir(cwd)
        .stdout(Stdio::null());
    util::output(&mut cmd)?;
    let m = criterion::read_all(home)?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| Failure::new(format!("`{}` wrote no result for `{id}`", exe.display())))?;
    Ok(m.median.point)
}

/// The settings of one `--compare` run.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// The git revision of the base build.
    pub rev: &'a str,
    /// The bench targets to compare.
    pub targets: Vec<BenchTarget>,
    /// criterion's filter (a regex on ids), if any.
    pub filter: Option<&'a str>,
    /// How the chunks are measured.
    pub plan: Plan,
    /// The threshold, percent.
    pub threshold_pct: f64,
    /// Whether uncommitted changes may be measured (`--allow-dirty`).
    pub allow_dirty: bool,
}

/// Runs the comparison; writes `target/perfkit/bench/compare.md`; fails (exit 1) naming each
/// regression.
pub fn run(ws: &Workspace, s: &Settings<'_>) -> Result<()> {
    let root = &ws.workspace_root;
    let commit = resolve_rev(root, s.rev)?;
    let dirty = git(root, &["status", "--porcelain", "--untracked-files=normal"])?;
    if !dirty.is_empty() && !s.allow_dirty {
        return Err(Failure::missing(
            format!(
                "the working tree has uncommitted changes ({} path(s)): --compare measures HEAD against {}",
                dirty.lines().count(),
                s.rev
            ),
            "git stash  # or commit them, or pass --allow-dirty to measure them as they are",
        ));
    }
    let filter = s.filter.map(criterion::filter).transpose()?;
    let dir = ws.target_directory.join("perfkit").join("compare");
    let short = &commit[..commit.len().min(12)];
    progress(format!(
        "[1/4] worktree of {} ({short}) under {}",
        s.rev,
        dir.display()
    ));
    // One worktree and one target directory for both builds: the same paths give the same
    // binary for the same sources. (Built at different paths, two builds of one commit
    // differed in symbol hashes and string lengths, hence in code layout, and measured
    // several percent apart here.)
    let tree = dir.join("tree");
    let wt_ws = worktree(root, &commit, &tree)?;
    let target_dir = dir.join("target");
    progress("[2/4] building the bench targets at the base revision");
    let base = build(&wt_ws, &target_dir, &dir.join("bin-base"), &s.targets)?;
    let repo = PathBuf::from(git(root, &["rev-parse", "--show-toplevel"])?);
    let changed = overlay(
        &repo,
        &std::path::absolute(&tree).unwrap_or(tree.clone()),
        &commit,
        &dir,
    )?;
    progress(format!(
        "[3/4] building the bench targets of the working tree (its changes applied to the worktree: {changed} file(s))"
    ));
    let new = build(&wt_ws, &target_dir, &dir.join("bin-new"), &s.targets)?;

    let mut outcomes = Vec::new();
    let homes = (dir.join("criterion-base"), dir.join("criterion-new"));
    for (target, new_exe) in &new {
        let Some((_, base_exe)) = base.iter().find(|(t, _)| t == target) else {
            warn(format!(
                "`{target}` does not exist at {}: nothing to compare",
                s.rev
            ));
            continue;
        };
        let pkg_dir = |r: &Path| {
            ws.packages
                .iter()
                .find(|p| p.name == target.package)
                .and_then(|p| p.manifest_path.parent())
                .and_then(|d| d.strip_prefix(root).ok())
                .map_or_else(|| r.to_path_buf(), |rel| r.join(rel))
        };
        // Both run in the package's directory of the worktree (holding the new sources now).
        let (base_cwd, new_cwd) = (pkg_dir(&wt_ws), pkg_dir(&wt_ws));
        let base_ids = list(base_exe, &base_cwd)?;
        let ids: Vec<Listed> = list(new_exe, &new_cwd)?
            .into_iter()
            .filter(|id| base_ids.contains(id))
            .filter(|id| {
                filter.as_ref().is_none_or(|f| match id {
                    Listed::Criterion(i) | Listed::Paired(i) => f.is_match(i),
                })
            })
            .collect();
        for (k, id) in ids.iter().enumerate() {
            let shown = match id {
                Listed::Criterion(i) => i.clone(),
                Listed::Paired(i) => format!("{i} (paired)"),
            };
            progress(format!(
                "[4/4] `{target}` {}/{}: {shown}, {} rounds",
                k + 1,
                ids.len(),
                s.plan.rounds
            ));
            // Per benchmark: (base times, new times), by round.
            let mut times: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
            for round in 0..s.plan.rounds {
                let measure = |exe: &Path, cwd: &Path, side: &Path| -> Result<Vec<(String, f64)>> {
                    match id {
                        Listed::Criterion(i) => {
                            Ok(vec![(i.clone(), chunk(exe, cwd, side, i, s.plan)?)])
                        }
                        Listed::Paired(i) => paired_chunk(exe, cwd, &side.join("paired"), i),
                    }
                };
                let (b, n) = if round % 2 == 0 {
                    let b = measure(base_exe, &base_cwd, &homes.0)?;
                    (b, measure(new_exe, &new_cwd, &homes.1)?)
                } else {
                    let n = measure(new_exe, &new_cwd, &homes.1)?;
                    (measure(base_exe, &base_cwd, &homes.0)?, n)
                };
                for (name, bt) in b {
                    let Some((_, nt)) = n.iter().find(|(m, _)| *m == name) else {
                        continue;
                    };
                    match times.iter_mut().find(|t| t.0 == name) {
                        Some(t) => {
                            t.1.push(bt);
                            t.2.push(*nt);
                        }
                        None => times.push((name, vec![bt], vec![*nt])),
                    }
                }
            }
            for (name, base_t, new_t) in times {
                let ratios: Vec<f64> = base_t.iter().zip(&new_t).map(|(b, n)| n / b).collect();
                let ratio = median_ci(&ratios).ok_or_else(|| {
                    Failure::new("--compare needs at least 6 rounds for a 95% interval")
                })?;
                let median = |v: &[f64]| median_ci(v).map_or(f64::NAN, |m| m.0);
                outcomes.push(Outcome {
                    id: match id {
                        Listed::Criterion(_) => name,
                        Listed::Paired(_) => format!("{name} (paired)"),
                    },
                    base_ns: median(&base_t),
                    new_ns: median(&new_t),
                    ratio,
                    rounds: ratios.len(),
                    verdict: verdict(ratio, s.threshold_pct)?,
                    times: base_t.iter().copied().zip(new_t.iter().copied()).collect(),
                });
            }
        }
    }
    if outcomes.is_empty() {
        return Err(Failure::new(match filter {
            Some(f) => format!("no benchmark matched `{f}` in both builds"),
            None => "no benchmark exists in both builds".into(),
        }));
    }
    let report = markdown(s.rev, short, s.threshold_pct, &outcomes);
    let path = ws.out_dir("bench").join("compare.md");
    util::write(&path, &report)?;
    util::write(
        &path.with_extension("json"),
        &json(s.rev, &commit, s.threshold_pct, &outcomes),
    )?;
    print!("{report}");
    progress(format!("report: {}", path.display()));
    let regressed: Vec<String> = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Regressed)
        .map(|o| format!("{} ({:+.1}%)", o.id, (o.ratio.0 - 1.0) * 100.0))
        .collect();
    if regressed.is_empty() {
        Ok(())
    } else {
        Err(Failure::found(format!(
            "regressed against {}: {}",
            s.rev,
            regressed.join(", ")
        )))
    }
}

/// `compare.json`: every benchmark's verdict, ratio interval and per-round times.
fn json(rev: &str, commit: &str, threshold_pct: f64, outcomes: &[Outcome]) -> String {
    let benchmarks: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            serde_json::json!({
                "id": o.id,
                "base_ns": o.base_ns,
                "new_ns": o.new_ns,
                "ratio": { "median": o.ratio.0, "lower": o.ratio.1, "upper": o.ratio.2, "confidence": 0.95 },
                "verdict": match o.verdict {
                    Verdict::Regressed => "regressed",
                    Verdict::Improved => "improved",
                    _ => "no_change",
                },
                "rounds": o.times.iter().map(|(b, n)| serde_json::json!({ "base_ns": b, "new_ns": n })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "schema": "perfkit-compare/1",
        "rev": rev,
        "commit": commit,
        "threshold_pct": threshold_pct,
        "benchmarks": benchmarks,
    });
    serde_json::to_string_pretty(&doc).expect("JSON values serialize") + "\n"
}

/// The comparison table.
fn markdown(rev: &str, commit: &str, threshold_pct: f64, outcomes: &[Outcome]) -> String {
    let mut s = format!(
        "# perfkit paired comparison: working tree against {rev} ({commit})\n\n\
         Each round measures every benchmark once per build, in alternating order; a ratio is \
         the working tree's time over the base's in the same round. Shown: the median ratio \
         over the rounds with its distribution-free 95% interval (order statistics), and the \
         verdict (a regression needs the interval to exclude 1 and the change to exceed \
         {threshold_pct}%).\n\n\
         | benchmark | base | working tree | ratio [95% CI] | change | rounds | verdict |\n\
         | --- | ---: | ---: | --- | ---: | ---: | --- |\n"
    );
    for o in outcomes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.4} [{:.4} – {:.4}] | {:+.2}% | {} | {} |",
            o.id,
            util::human_ns(o.base_ns),
            util::human_ns(o.new_ns),
            o.ratio.0,
            o.ratio.1,
            o.ratio.2,
            (o.ratio.0 - 1.0) * 100.0,
            o.rounds,
            match o.verdict {
                Verdict::Regressed => "**regressed**",
                Verdict::Improved => "improved",
                _ => "no change",
            }
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_interval_on_known_samples() {
        // n = 10: P(X <= 1) = 11/1024 <= 2.5% < P(X <= 2) = 56/1024, so the interval is the
        // 2nd smallest to the 2nd largest.
        let r: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(median_ci(&r), Some((5.5, 2.0, 9.0)));
        // n = 12: P(X <= 2) = 79/4096 <= 2.5% < P(X <= 3): the 3rd to the 10th.
        let r: Vec<f64> = (1..=12).rev().map(f64::from).collect();
        assert_eq!(median_ci(&r), Some((6.5, 3.0, 10.0)));
        // n = 6: P(X = 0) = 1/64 <= 2.5% < P(X <= 1) = 7/64: min to max.
        assert_eq!(
            median_ci(&[3.0, 1.0, 2.0, 6.0, 5.0, 4.0]),
            Some((3.5, 1.0, 6.0))
        );
        // n = 40: the 14th to the 27th (P(X <= 13) = 1.9%, P(X <= 14) = 4.0%).
        let r: Vec<f64> = (1..=40).map(f64::from).collect();
        assert_eq!(median_ci(&r), Some((20.5, 14.0, 27.0)));
        assert_eq!(median_ci(&[1.0; 5]), None, "too few for 95%");
    }

    #[test]
    fn verdicts_need_the_interval_to_exclude_one_and_the_threshold() {
        assert_eq!(
            verdict((1.03, 1.01, 1.05), 2.0).unwrap(),
            Verdict::Regressed
        );
        assert_eq!(
            verdict((1.03, 0.99, 1.05), 2.0).unwrap(),
            Verdict::NoChange,
            "CI holds 1"
        );
        assert_eq!(
            verdict((1.015, 1.01, 1.02), 2.0).unwrap(),
            Verdict::NoChange,
            "under 2%"
        );
        assert_eq!(verdict((0.95, 0.93, 0.97), 2.0).unwrap(), Verdict::Improved);
    }

    #[test]
    fn listings_and_times_read_back() {
        let l = parse_list("a/b/1: benchmark\nnoise\ng/8: paired\n");
        assert_eq!(
            l,
            [
                Listed::Criterion("a/b/1".into()),
                Listed::Paired("g/8".into())
            ]
        );
        assert_eq!(parse_time("73.17 ns"), Some(73.17));
        assert_eq!(parse_time("1.5 µs"), Some(1500.0));
        assert_eq!(parse_time("2.000 ms"), Some(2e6));
        assert_eq!(parse_time("2 parsecs"), None);
    }

    #[test]
    fn exact_regexes_escape_what_criterion_would_interpret() {
        assert_eq!(exact_regex("sum/perfkit/4096"), "^sum/perfkit/4096$");
        assert_eq!(exact_regex("a.b (x+y)"), "^a\\.b \\(x\\+y\\)$");
        let matches = |f: &str| criterion::filter(f).unwrap().is_match("sum/perfkit/4096");
        assert!(matches("perfkit"));
        assert!(matches("^sum/"));
        assert!(!matches("^perfkit"));
        assert!(matches("^sum/perfkit/4096$"));
        assert!(
            matches("sum/(naive|perfkit)/4096"),
            "criterion's regex syntax"
        );
        assert!(
            criterion::filter(&exact_regex("a.b (x+y)"))
                .unwrap()
                .is_match("a.b (x+y)")
        );
        assert!(
            criterion::filter("a(b")
                .unwrap_err()
                .message
                .contains("a(b")
        );
    }
}
