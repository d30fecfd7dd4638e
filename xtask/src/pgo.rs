//! `cargo xtask pgo`: the profile-guided optimisation recipe as one command.
//!
//! 1. find `llvm-profdata` in the toolchain (the `llvm-tools` component) and check that its
//!    LLVM major version is rustc's (profiles do not cross major versions);
//! 2. build the target instrumented (`-Cprofile-generate`) under the `pgo` profile, in its own
//!    target directory so normal builds stay cached, keeping the user's RUSTFLAGS;
//! 3. run the training workload (the target with TRAIN_ARGS) and merge its `.profraw` files;
//! 4. rebuild with `-Cprofile-use` under the `pgo` profile, in another target directory, and
//!    count the functions the profile covered;
//! 5. run the plain release build and the PGO build alternately, N times each, on the same
//!    workload, and report the medians and the speedup (`target/perfkit/pgo/report.md`).

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::flags::{self, Flag, Spec};
use crate::machine::{self, RustcInfo};
use crate::util::{self, BuildTarget, Failure, Result, Workspace, progress, warn};

const SPEC: Spec = Spec {
    command: "pgo",
    usage: "[--example NAME | --bin NAME] [-p PKG] [--runs N] [-- TRAIN_ARGS]",
    about: "build a profile-guided optimized binary, train it on its own workload and \
            measure it against the plain release build (default: the perfkit facade's \
            `metrics_pipeline` example, or `pgo_workload` until that exists)",
    flags: &[Flag {
        long: "--runs",
        short: None,
        value: Some("N"),
        help: "timed runs of each build, alternating [default: 5]",
    }],
    positional: &[],
    trailing: Some("TRAIN_ARGS"),
    build_target: true,
};

/// The user's rustc flags as cargo would read them: `CARGO_ENCODED_RUSTFLAGS` (separated by
/// `\x1f`) wins over `RUSTFLAGS` (separated by whitespace), as in cargo itself.
#[must_use]
pub fn user_rustflags(encoded: Option<&str>, plain: Option<&str>) -> Vec<String> {
    match (encoded, plain) {
        (Some(e), _) => e
            .split('\x1f')
            .filter(|f| !f.is_empty())
            .map(String::from)
            .collect(),
        (None, Some(p)) => p.split_whitespace().map(String::from).collect(),
        (None, None) => Vec::new(),
    }
}

/// Flags for the instrumented build: the user's, then `-Cprofile-generate=<dir>`.
#[must_use]
pub fn instrument_flags(user: &[String], profile_dir: &Path) -> Vec<String> {
    let mut f = user.to_vec();
    f.push(format!("-Cprofile-generate={}", profile_dir.display()));
    f
}

/// Flags for the optimized build: the user's, `-Cprofile-use=<merged>`, and the LLVM option
/// that warns about every function the profile has no data for (counted in the report).
#[must_use]
pub fn optimize_flags(user: &[String], merged: &Path) -> Vec<String> {
    let mut f = user.to_vec();
    f.push(format!("-Cprofile-use={}", merged.display()));
    f.push("-Cllvm-args=-pgo-warn-missing-function".into());
    f
}

/// `CARGO_ENCODED_RUSTFLAGS` for `flags` (`\x1f`-separated, so paths may contain spaces).
#[must_use]
pub fn encode(flags: &[String]) -> String {
    flags.join("\x1f")
}

/// The LLVM major version in `llvm-profdata --version` output (`LLVM version 22.1.2-rust-...`).
#[must_use]
pub fn llvm_major(version_output: &str) -> Option<u32> {
    let rest = version_output.split("LLVM version ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// From `llvm-profdata show --all-functions --counts` output: (functions in the profile,
/// functions the training run executed, i.e. with a non-zero function or block count).
#[must_use]
pub fn profile_coverage(show_output: &str) -> (usize, usize) {
    let mut functions = 0;
    let mut executed = 0;
    // Whether the function being read has shown a non-zero count yet.
    let mut current_hot: Option<bool> = None;
    for line in show_output.lines() {
        let is_header = line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':');
        if is_header {
            functions += 1;
            executed += usize::from(current_hot == Some(true));
            current_hot = Some(false);
            continue;
        }
        let t = line.trim();
        let counts = t
            .strip_prefix("Function count:")
            .or_else(|| t.strip_prefix("Block counts:"));
        if let (Some(counts), Some(hot)) = (counts, current_hot.as_mut()) {
            *hot |= counts
                .split(|c: char| !c.is_ascii_digit())
                .any(|n| n.parse::<u64>().is_ok_and(|n| n > 0));
        }
        if !line.starts_with(' ') {
            // The summary after the last function.
            executed += usize::from(current_hot == Some(true));
            current_hot = None;
        }
    }
    executed += usize::from(current_hot == Some(true));
    (functions, executed)
}

/// The toolchain's `llvm-profdata`, checked against rustc's LLVM.
pub fn find_llvm_profdata(rustc: &RustcInfo) -> Result<PathBuf> {
    let sysroot = util::output(util::rustc().args(["--print", "sysroot"]))?;
    let bin = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(&rustc.host)
        .join("bin");
    let exe = bin.join(format!("llvm-profdata{}", std::env::consts::EXE_SUFFIX));
    if !exe.is_file() {
        return Err(Failure::missing(
            format!(
                "llvm-profdata is not in {} (it comes with the llvm-tools component)",
                bin.display()
            ),
            "rustup component add llvm-tools",
        ));
    }
    let version = util::output(Command::new(&exe).arg("--version"))?;
    match (llvm_major(&version), rustc.llvm_major()) {
        (Some(a), Some(b)) if a == b => Ok(exe),
        (a, b) => Err(Failure::missing(
            format!(
                "llvm-profdata is LLVM {} but rustc {} uses LLVM {}; profiles would not load",
                a.map_or("?".into(), |v| v.to_string()),
                rustc.release,
                b.map_or("?".into(), |v| v.to_string())
            ),
            format!(
                "rustup component add llvm-tools --toolchain {}",
                rustc.release
            ),
        )),
    }
}

/// Outcome of one cargo build.
struct Built {
    exe: PathBuf,
    missing_profile_warnings: usize,
}

/// Builds `target` and returns its executable. Diagnostics are rendered to stderr, except the
/// per-function "no profile data" warnings, which are only counted.
fn build(
    target: &BuildTarget,
    profile: &str,
    target_dir: Option<&Path>,
    rustflags: Option<&[String]>,
) -> Result<Built> {
    let mut cmd = util::cargo();
    cmd.arg("build")
        .args(target.cargo_args())
        .args(["--profile", profile, "--message-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(dir) = target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    if let Some(flags) = rustflags {
        cmd.env("CARGO_ENCODED_RUSTFLAGS", encode(flags))
            .env_remove("RUSTFLAGS");
    }
    let shown = util::display(&cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| Failure::new(format!("cannot run `{shown}`: {e}")))?;
    let mut exe = None;
    let mut missing = 0;
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout)
        .lines()
        .map_while(std::result::Result::ok)
    {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        match msg["reason"].as_str() {
            Some("compiler-artifact") if msg["target"]["name"] == target.name.as_str() => {
                if let Some(e) = msg["executable"].as_str() {
                    exe = Some(PathBuf::from(e));
                }
            }
            Some("compiler-message") => {
                let text = msg["message"]["message"].as_str().unwrap_or("");
                if text.contains("no profile data available for function") {
                    missing += 1;
                } else if let Some(r) = msg["message"]["rendered"].as_str() {
                    eprint!("{r}");
                }
            }
            _ => {}
        }
    }
    let status = child
        .wait()
        .map_err(|e| Failure::new(format!("cannot wait for `{shown}`: {e}")))?;
    if !status.success() {
        return Err(Failure::new(format!("`{shown}` failed ({status})")));
    }
    let exe = exe.ok_or_else(|| {
        Failure::new(format!(
            "`{shown}` produced no executable for `{}`",
            target.name
        ))
    })?;
    Ok(Built {
        exe,
        missing_profile_warnings: missing,
    })
}

/// One timed run: wall-clock seconds, and CPU seconds (user + system) where the OS reports
/// them, which machine load disturbs less than wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Timing {
    wall: f64,
    cpu: Option<f64>,
}

/// CPU seconds used by this process's waited-for children, from `/proc/self/stat`'s
/// `cutime` and `cstime` fields (in USER_HZ ticks, 100 per second on Linux).
#[must_use]
pub fn children_cpu_seconds(stat: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may contain spaces: skip past it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); cutime is field 16, cstime field 17.
    let cutime: u64 = fields.get(13)?.parse().ok()?;
    let cstime: u64 = fields.get(14)?.parse().ok()?;
    Some((cutime + cstime) as f64 / 100.0)
}

fn children_cpu() -> Option<f64> {
    children_cpu_seconds(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

fn run_workload(
    exe: &Path,
    args: &[String],
    cwd: &Path,
    capture: bool,
) -> Result<(Timing, String)> {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .stdout(if capture {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let cpu_before = children_cpu();
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| Failure::new(format!("cannot run {}: {e}", exe.display())))?;
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_before.zip(children_cpu()).map(|(a, b)| b - a);
    if !out.status.success() {
        return Err(Failure::new(format!(
            "`{}` failed ({})",
            util::display(&cmd),
            out.status
        )));
    }
    Ok((
        Timing { wall, cpu },
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

fn profraws(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Failure::io("read", dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "profraw"))
        .collect();
    v.sort();
    Ok(v)
}

/// Entry point.
pub fn run(args: &[String]) -> Result<()> {
    let p = flags::parse(&SPEC, args)?;
    if p.help {
        print!("{}", flags::help(&SPEC));
        return Ok(());
    }
    p.exclusive(&SPEC, &["--example", "--bin"])?;
    let runs = p.number::<usize>(&SPEC, "--runs")?.unwrap_or(5);
    if runs == 0 {
        return Err(Failure::new(
            "`--runs` must be at least 1 (see `cargo xtask pgo --help`)",
        ));
    }
    let train_args = p.trailing.clone();

    let rustc = RustcInfo::detect()?;
    let profdata = find_llvm_profdata(&rustc)?;
    let ws = Workspace::load()?;
    let target = BuildTarget::resolve(&ws, &p)?;
    let out = ws.out_dir("pgo");
    let profile_dir = out.join("profiles").join(&target.name);
    let merged = out.join(format!("{}.profdata", target.name));
    let user = user_rustflags(
        std::env::var("CARGO_ENCODED_RUSTFLAGS").ok().as_deref(),
        std::env::var("RUSTFLAGS").ok().as_deref(),
    );
    progress(format!(
        "PGO for {} `{}` of package `{}` (llvm-profdata: {})",
        target.kind,
        target.name,
        target.package,
        profdata.display()
    ));
    if !user.is_empty() {
        progress(format!("keeping your RUSTFLAGS: {}", user.join(" ")));
    }

    progress("[1/5] instrumented build (-Cprofile-generate)");
    let instrumented = build(
        &target,
        "pgo",
        Some(&out.join("target-instrumented")),
        Some(&instrument_flags(&user, &profile_dir)),
    )?;

    progress(format!(
        "[2/5] training run: {} {}",
        instrumented.exe.display(),
        train_args.join(" ")
    ));
    if profile_dir.exists() {
        std::fs::remove_dir_all(&profile_dir)
            .map_err(|e| Failure::io("clear", &profile_dir, &e))?;
    }
    util::create_dir(&profile_dir)?;
    let mut train = Command::new(&instrumented.exe);
    train
        .args(&train_args)
        .current_dir(&ws.workspace_root)
        .env("LLVM_PROFILE_FILE", profile_dir.join("%m_%p.profraw"))
        .stdout(Stdio::null());
    let started = Instant::now();
    util::run(&mut train)?;
    let train_secs = started.elapsed().as_secs_f64();
    let raws = profraws(&profile_dir)?;
    if raws.is_empty() {
        return Err(Failure::new(format!(
            "the training run wrote no .profraw file to {}: it must exit normally (an abort, a \
             signal or panic=abort skips writing the profile)",
            profile_dir.display()
        )));
    }

    progress(format!("[3/5] merging {} .profraw file(s)", raws.len()));
    util::output(
        Command::new(&profdata)
            .arg("merge")
            .arg("-o")
            .arg(&merged)
            .args(&raws),
    )?;
    let show = util::output(
        Command::new(&profdata)
            .args(["show", "--all-functions", "--counts"])
            .arg(&merged),
    )?;
    let (profiled, executed) = profile_coverage(&show);

    progress("[4/5] optimized build (-Cprofile-use, profile `pgo`)");
    let optimized = build(
        &target,
        "pgo",
        Some(&out.join("target-pgo")),
        Some(&optimize_flags(&user, &merged)),
    )?;
    progress(format!(
        "profile data for {profiled} functions ({executed} executed in training); \
         {} functions compiled without profile data",
        optimized.missing_profile_warnings
    ));
    progress("plain release build for comparison (your usual target directory and flags)");
    let release = build(&target, "release", None, None)?;

    progress(format!(
        "[5/5] measuring: {runs} alternating runs of each build"
    ));
    let (_, release_out) = run_workload(&release.exe, &train_args, &ws.workspace_root, true)?;
    let (_, pgo_out) = run_workload(&optimized.exe, &train_args, &ws.workspace_root, true)?;
    let same_output = release_out == pgo_out;
    if !same_output {
        warn("the release and PGO builds printed different output for the same arguments");
    }
    let mut times_release = Vec::with_capacity(runs);
    let mut times_pgo = Vec::with_capacity(runs);
    for i in 0..runs {
        // Alternate which build goes first so drift in machine load hits both alike.
        let order = if i % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for is_pgo in order {
            let exe = if is_pgo { &optimized.exe } else { &release.exe };
            let (t, _) = run_workload(exe, &train_args, &ws.workspace_root, false)?;
            if is_pgo {
                times_pgo.push(t);
            } else {
                times_release.push(t);
            }
        }
        progress(format!(
            "run {}/{runs}: release {:.3} s, pgo {:.3} s (wall clock)",
            i + 1,
            times_release[i].wall,
            times_pgo[i].wall
        ));
    }
    let summary = Summary::new(&times_release, &times_pgo);

    let bin_dir = out.join("bin");
    util::create_dir(&bin_dir)?;
    let final_exe = bin_dir.join(optimized.exe.file_name().expect("an executable has a name"));
    std::fs::copy(&optimized.exe, &final_exe)
        .map_err(|e| Failure::io("copy to", &final_exe, &e))?;

    let report = Report {
        target: &target,
        train_args: &train_args,
        user_flags: &user,
        rustc: &rustc,
        profraws: raws.len(),
        train_secs,
        profiled,
        executed,
        missing: optimized.missing_profile_warnings,
        times_release: &times_release,
        times_pgo: &times_pgo,
        summary,
        same_output,
        exe: &final_exe,
    };
    let report_path = out.join("report.md");
    util::write(&report_path, &report.markdown())?;
    println!("{}", speedup_line("wall clock", summary.wall));
    if let Some(cpu) = summary.cpu {
        println!("{}", speedup_line("CPU time", cpu));
    }
    println!("optimized binary: {}", final_exe.display());
    progress(format!("report: {}", report_path.display()));
    Ok(())
}

/// Medians of both builds: (release, PGO) for wall-clock and CPU seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Summary {
    wall: (f64, f64),
    cpu: Option<(f64, f64)>,
}

impl Summary {
    fn new(release: &[Timing], pgo: &[Timing]) -> Self {
        let med = |ts: &[Timing], f: fn(&Timing) -> Option<f64>| -> Option<f64> {
            let v: Option<Vec<f64>> = ts.iter().map(f).collect();
            util::median(&v?)
        };
        Self {
            wall: (
                med(release, |t| Some(t.wall)).unwrap_or(f64::NAN),
                med(pgo, |t| Some(t.wall)).unwrap_or(f64::NAN),
            ),
            cpu: med(release, |t| t.cpu).zip(med(pgo, |t| t.cpu)),
        }
    }
}

/// `wall clock: release median 0.741 s, PGO median 0.652 s, speedup 1.137× (release / PGO)`.
fn speedup_line(what: &str, (release, pgo): (f64, f64)) -> String {
    format!(
        "{what}: release median {release:.3} s, PGO median {pgo:.3} s, speedup {:.3}× (release / PGO)",
        release / pgo
    )
}

struct Report<'a> {
    target: &'a BuildTarget,
    train_args: &'a [String],
    user_flags: &'a [String],
    rustc: &'a RustcInfo,
    profraws: usize,
    train_secs: f64,
    profiled: usize,
    executed: usize,
    missing: usize,
    times_release: &'a [Timing],
    times_pgo: &'a [Timing],
    summary: Summary,
    same_output: bool,
    exe: &'a Path,
}

impl Report<'_> {
    fn markdown(&self) -> String {
        let mut s = String::from("# perfkit PGO report\n\n| | |\n| --- | --- |\n");
        let (level, _) = machine::simd_level();
        let cpu = machine::cpu_model(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default())
            .unwrap_or_else(|| "unknown".into());
        let rows = [
            (
                "target",
                format!(
                    "{} `{}` of `{}`",
                    self.target.kind, self.target.name, self.target.package
                ),
            ),
            (
                "workload arguments",
                if self.train_args.is_empty() {
                    "(none)".into()
                } else {
                    format!("`{}`", self.train_args.join(" "))
                },
            ),
            (
                "rustc / LLVM",
                format!("{} / {}", self.rustc.release, self.rustc.llvm),
            ),
            ("CPU", format!("{cpu} (SIMD level {level}, from CPU flags)")),
            ("date", machine::now()),
            ("git commit", machine::git_commit()),
            (
                "load average at the end",
                machine::load().unwrap_or_else(|| "unknown".into()),
            ),
            (
                "your RUSTFLAGS (kept)",
                if self.user_flags.is_empty() {
                    "(none)".into()
                } else {
                    format!("`{}`", self.user_flags.join(" "))
                },
            ),
            (
                "training",
                format!(
                    "{} .profraw file(s), instrumented run {:.3} s",
                    self.profraws, self.train_secs
                ),
            ),
            (
                "functions in the profile",
                format!("{} ({} executed in training)", self.profiled, self.executed),
            ),
            (
                "functions built without profile data",
                self.missing.to_string(),
            ),
            ("optimized binary", format!("`{}`", self.exe.display())),
        ];
        for (k, v) in rows {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        let _ = write!(
            s,
            "\nBoth builds ran the same workload alternately, {} times each. The release build \
             uses the `release` profile (thin LTO) with your flags; the PGO build uses the `pgo` \
             profile (fat LTO) plus `-Cprofile-use`, so the speedup is what switching to \
             `cargo xtask pgo` gives, LTO included. CPU time (user + system) is less disturbed \
             by other load on the machine than wall-clock time.\n\n\
             | run | release wall (s) | PGO wall (s) | release CPU (s) | PGO CPU (s) |\n\
             | --- | --- | --- | --- | --- |\n",
            self.times_release.len()
        );
        let cpu = |t: &Timing| t.cpu.map_or_else(|| "—".into(), |c| format!("{c:.2}"));
        for (i, (r, p)) in self.times_release.iter().zip(self.times_pgo).enumerate() {
            let _ = writeln!(
                s,
                "| {} | {:.3} | {:.3} | {} | {} |",
                i + 1,
                r.wall,
                p.wall,
                cpu(r),
                cpu(p)
            );
        }
        let m = &self.summary;
        let (cr, cp) = m.cpu.map_or(("—".into(), "—".into()), |(r, p)| {
            (format!("{r:.2}"), format!("{p:.2}"))
        });
        let _ = write!(
            s,
            "| **median** | **{:.3}** | **{:.3}** | **{cr}** | **{cp}** |\n\n{}\n\n",
            m.wall.0,
            m.wall.1,
            speedup_line("wall clock", m.wall)
        );
        if let Some(cpu) = m.cpu {
            let _ = writeln!(s, "{}\n", speedup_line("CPU time", cpu));
        }
        s.push_str(if self.same_output {
            "Both builds printed identical output.\n"
        } else {
            "Warning: the two builds printed different output for the same arguments.\n"
        });
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn user_flags_follow_cargo_precedence() {
        assert_eq!(user_rustflags(None, None), Vec::<String>::new());
        assert_eq!(
            user_rustflags(None, Some("  -Cdebuginfo=1   -Dwarnings ")),
            strings(&["-Cdebuginfo=1", "-Dwarnings"])
        );
        assert_eq!(
            user_rustflags(
                Some("-Clink-arg=-Wl,x\x1f--cfg\x1ffoo bar"),
                Some("-Cignored")
            ),
            strings(&["-Clink-arg=-Wl,x", "--cfg", "foo bar"])
        );
        assert_eq!(
            user_rustflags(Some(""), Some("-Cignored")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn flag_composition_keeps_user_flags_first() {
        let user = strings(&["-Cforce-frame-pointers=yes"]);
        let generate = instrument_flags(&user, Path::new("/t/perfkit/pgo/profiles/my app"));
        assert_eq!(
            generate,
            strings(&[
                "-Cforce-frame-pointers=yes",
                "-Cprofile-generate=/t/perfkit/pgo/profiles/my app"
            ])
        );
        let opt = optimize_flags(&user, Path::new("/t/w.profdata"));
        assert_eq!(
            opt,
            strings(&[
                "-Cforce-frame-pointers=yes",
                "-Cprofile-use=/t/w.profdata",
                "-Cllvm-args=-pgo-warn-missing-function"
            ])
        );
        // A path with a space survives encoding as one flag.
        assert_eq!(
            user_rustflags(Some(&encode(&generate)), None),
            generate,
            "encoded flags round-trip"
        );
        assert_eq!(
            optimize_flags(&[], Path::new("m.profdata"))[0],
            "-Cprofile-use=m.profdata"
        );
    }

    #[test]
    fn versions_and_coverage() {
        let v = "LLVM (http://llvm.org/):\n  LLVM version 22.1.2-rust-1.95.0-stable\n  Optimized build.\n";
        assert_eq!(llvm_major(v), Some(22));
        assert_eq!(llvm_major("Ubuntu LLVM version 18.1.3\n"), Some(18));
        assert_eq!(llvm_major("nothing"), None);
        // The shape of LLVM 22's output for an IR-level profile.
        let show = "Counters:\n  a.cgu.0;_ZN4main:\n    Hash: 0x1\n    Counters: 3\n    Block counts: [1, 0, 7]\n  \
                    _ZN4cold:\n    Hash: 0x2\n    Counters: 1\n    Block counts: [0]\n  \
                    _ZN3hot:\n    Hash: 0x3\n    Counters: 2\n    Block counts: [250000, 3]\n\
                    Instrumentation level: IR  entry_first = 0\nFunctions shown: 3\nTotal functions: 3\n";
        assert_eq!(profile_coverage(show), (3, 2));
        // Front-end profiles print a function count too.
        let fe = "Counters:\n  f:\n    Hash: 0x1\n    Counters: 1\n    Function count: 0\n  \
                  g:\n    Hash: 0x2\n    Counters: 1\n    Function count: 9\n";
        assert_eq!(profile_coverage(fe), (2, 1));
        assert_eq!(profile_coverage(""), (0, 0));
    }

    #[test]
    fn child_cpu_time_from_proc_stat() {
        // A real /proc/self/stat line, with a command name that has a space and a parenthesis.
        let stat = "4242 (xt (ask) S 1 4242 4242 0 -1 4194304 900 1200 0 0 7 3 250 31 20 0 1 0 123 4096 100 18446744073709551615";
        assert_eq!(children_cpu_seconds(stat), Some(2.81));
        assert_eq!(children_cpu_seconds("garbage"), None);
        let t = |wall, cpu| Timing {
            wall,
            cpu: Some(cpu),
        };
        let s = Summary::new(
            &[t(3.0, 2.0), t(1.0, 1.0), t(2.0, 1.5)],
            &[t(1.0, 1.0), t(2.0, 1.0), t(1.5, 0.5)],
        );
        assert_eq!(s.wall, (2.0, 1.5));
        assert_eq!(s.cpu, Some((1.5, 1.0)));
        assert_eq!(
            speedup_line("CPU time", s.cpu.unwrap()),
            "CPU time: release median 1.500 s, PGO median 1.000 s, speedup 1.500× (release / PGO)"
        );
        // CPU time missing from any run: no CPU median.
        let partial = Summary::new(
            &[Timing {
                wall: 1.0,
                cpu: None,
            }],
            &[t(1.0, 1.0)],
        );
        assert_eq!(partial.cpu, None);
    }

    #[test]
    fn flag_errors() {
        let e = run(&strings(&["--example", "a", "--bin", "b"])).unwrap_err();
        assert_eq!(
            e.message,
            "`--example` and `--bin` cannot be used together (see `cargo xtask pgo --help`)"
        );
        let e = run(&strings(&["--runs", "0"])).unwrap_err();
        assert!(e.message.starts_with("`--runs` must be at least 1"));
        let e = run(&strings(&["--runs", "many"])).unwrap_err();
        assert!(
            e.message
                .starts_with("`--runs` expects a number, got `many`")
        );
        assert!(run(&strings(&["--help"])).is_ok());
    }
}
