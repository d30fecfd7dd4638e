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
    flags: &[
        Flag {
            long: "--example",
            short: None,
            value: Some("NAME"),
            help: "optimize this example",
        },
        Flag {
            long: "--bin",
            short: None,
            value: Some("NAME"),
            help: "optimize this binary",
        },
        Flag {
            long: "--package",
            short: Some("-p"),
            value: Some("PKG"),
            help: "the package that has the target [default: perfkit, or the one with --bin]",
        },
        Flag {
            long: "--runs",
            short: None,
            value: Some("N"),
            help: "timed runs of each build, alternating [default: 5]",
        },
    ],
    positional: &[],
    trailing: Some("TRAIN_ARGS"),
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

/// From `llvm-profdata show --all-functions` output: (functions in the profile, functions
/// whose entry count is non-zero, i.e. that the training run executed).
#[must_use]
pub fn profile_coverage(show_output: &str) -> (usize, usize) {
    let counts: Vec<u64> = show_output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Function count:"))
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let executed = counts.iter().filter(|&&c| c > 0).count();
    let total = show_output
        .lines()
        .find_map(|l| l.trim().strip_prefix("Total functions:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(counts.len());
    (total, executed)
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

fn run_workload(exe: &Path, args: &[String], cwd: &Path, capture: bool) -> Result<(f64, String)> {
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
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| Failure::new(format!("cannot run {}: {e}", exe.display())))?;
    let secs = start.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(Failure::new(format!(
            "`{}` failed ({})",
            util::display(&cmd),
            out.status
        )));
    }
    Ok((secs, String::from_utf8_lossy(&out.stdout).into_owned()))
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
            .args(["show", "--all-functions"])
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
            let (secs, _) = run_workload(exe, &train_args, &ws.workspace_root, false)?;
            if is_pgo {
                times_pgo.push(secs);
            } else {
                times_release.push(secs);
            }
        }
        progress(format!(
            "run {}/{runs}: release {:.3} s, pgo {:.3} s",
            i + 1,
            times_release[i],
            times_pgo[i]
        ));
    }
    let med_release = util::median(&times_release).expect("runs >= 1");
    let med_pgo = util::median(&times_pgo).expect("runs >= 1");
    let speedup = med_release / med_pgo;

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
        speedup,
        same_output,
        exe: &final_exe,
    };
    let report_path = out.join("report.md");
    util::write(&report_path, &report.markdown())?;
    println!(
        "release median {:.3} s, PGO median {:.3} s: speedup {speedup:.3}× over {runs} runs each",
        med_release, med_pgo
    );
    println!("optimized binary: {}", final_exe.display());
    progress(format!("report: {}", report_path.display()));
    Ok(())
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
    times_release: &'a [f64],
    times_pgo: &'a [f64],
    speedup: f64,
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
            "\nBoth builds ran the same workload alternately, {} times each (wall-clock seconds). \
             The release build uses the `release` profile (thin LTO) with your flags; the PGO \
             build uses the `pgo` profile (fat LTO) plus `-Cprofile-use`, so the speedup is what \
             switching to `cargo xtask pgo` gives, LTO included.\n\n| run | release (s) | PGO (s) |\n| --- | --- | --- |\n",
            self.times_release.len()
        );
        for (i, (r, p)) in self.times_release.iter().zip(self.times_pgo).enumerate() {
            let _ = writeln!(s, "| {} | {r:.3} | {p:.3} |", i + 1);
        }
        let mr = util::median(self.times_release).unwrap_or(f64::NAN);
        let mp = util::median(self.times_pgo).unwrap_or(f64::NAN);
        let _ = write!(
            s,
            "| **median** | **{mr:.3}** | **{mp:.3}** |\n\n**Speedup: {:.3}×** (release median / PGO median).{}\n",
            self.speedup,
            if self.same_output {
                " Both builds printed identical output."
            } else {
                " Warning: the builds printed different output."
            }
        );
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
        let show = "Counters:\n  main:\n    Hash: 0x1\n    Counters: 3\n    Function count: 1\n  \
                    cold:\n    Hash: 0x2\n    Counters: 1\n    Function count: 0\n  \
                    hot:\n    Hash: 0x3\n    Counters: 9\n    Function count: 250000\n\
                    Instrumentation level: IR  entry_first = 0\nFunctions shown: 3\nTotal functions: 3\n";
        assert_eq!(profile_coverage(show), (3, 2));
        assert_eq!(profile_coverage(""), (0, 0));
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
