//! `cargo xtask pgo`: the profile-guided optimisation recipe as one command.
//!
//! 1. find `llvm-profdata` in the toolchain (the `llvm-tools` component) and check that its
//!    LLVM major version is rustc's (profiles do not cross major versions);
//! 2. build the target instrumented (`-Cprofile-generate`) under the `pgo` profile, in its own
//!    target directory so normal builds stay cached, keeping the user's RUSTFLAGS;
//! 3. run the training workload (the target with TRAIN_ARGS) and merge its `.profraw` files;
//! 4. rebuild with `-Cprofile-use` under the `pgo` profile, in another target directory, and
//!    count the functions the profile covered;
//! 5. run the plain release build, the `pgo` profile built without profile data, and the PGO
//!    build in rotating order, N times each, on the same workload, and report the medians and
//!    two speedups (`target/perfkit/pgo/report.md`): PGO against release (what switching
//!    gives) and against the same profile without profile data (PGO's own share, apart from
//!    the `pgo` profile's fat LTO).

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
    usage: "[--example NAME | --bin NAME | --bench NAME] [-p PKG] [--runs N] [-- TRAIN_ARGS]",
    about: "build a profile-guided optimized binary, train it on its own workload and \
            measure it against the plain release build (a bench target trains and runs in its \
            test mode, `--test`, unless TRAIN_ARGS are given)",
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

/// The rustc flags cargo's config files give builds for `host` when no environment variable
/// sets them: `target.<host>.rustflags` if any file sets it, else `build.rustflags`, each
/// merged over the files cargo reads (`$CARGO_HOME/config.toml`, then `.cargo/config.toml`
/// from the filesystem root down to `dir`; later files' flags come later). A string value is
/// split on whitespace, as cargo does. (`target.'cfg(..)'.rustflags` tables are not read.)
///
/// `pgo` passes every build its flags through `CARGO_ENCODED_RUSTFLAGS`, which makes cargo
/// ignore these files; so it reads them itself, and every build it compares gets them.
pub fn config_rustflags(
    dir: &Path,
    cargo_home: Option<&Path>,
    host: &str,
) -> std::result::Result<Vec<String>, String> {
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(home) = cargo_home {
        files.push(home.join("config.toml"));
        files.push(home.join("config"));
    }
    let ancestors: Vec<&Path> = dir.ancestors().collect();
    for a in ancestors.into_iter().rev() {
        files.push(a.join(".cargo").join("config.toml"));
        files.push(a.join(".cargo").join("config"));
    }
    let (mut build, mut target, mut seen_target) = (Vec::new(), Vec::new(), false);
    let mut read_files = std::collections::HashSet::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        // `$CARGO_HOME` may also be an ancestor's `.cargo`: read each file once.
        if !read_files.insert(f.canonicalize().unwrap_or_else(|_| f.clone())) {
            continue;
        }
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| format!("{}: {e}", f.display()))?;
        let flags = |v: Option<&toml::Value>| -> std::result::Result<Option<Vec<String>>, String> {
            match v {
                None => Ok(None),
                Some(toml::Value::String(s)) => {
                    Ok(Some(s.split_whitespace().map(String::from).collect()))
                }
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(String::from)
                            .ok_or_else(|| format!("{}: rustflags must be strings", f.display()))
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map(Some),
                Some(_) => Err(format!(
                    "{}: rustflags must be a string or an array of strings",
                    f.display()
                )),
            }
        };
        if let Some(b) = flags(doc.get("build").and_then(|b| b.get("rustflags")))? {
            build.extend(b);
        }
        let t = doc
            .get("target")
            .and_then(|t| t.get(host))
            .and_then(|t| t.get("rustflags"));
        if let Some(t) = flags(t)? {
            seen_target = true;
            target.extend(t);
        }
    }
    Ok(if seen_target { target } else { build })
}

/// The rustc flags the user's builds get, as cargo would pick them: `CARGO_ENCODED_RUSTFLAGS`
/// or `RUSTFLAGS` when set, else the config files' (see [`config_rustflags`]). Tools that
/// pass their own flags through `CARGO_ENCODED_RUSTFLAGS` (which hides the config files from
/// cargo) start from these, so every build they compare keeps the user's flags.
pub fn effective_rustflags(host: &str) -> Result<Vec<String>> {
    let encoded = std::env::var("CARGO_ENCODED_RUSTFLAGS").ok();
    let plain = std::env::var("RUSTFLAGS").ok();
    if encoded.is_some() || plain.is_some() {
        return Ok(user_rustflags(encoded.as_deref(), plain.as_deref()));
    }
    let cwd =
        std::env::current_dir().map_err(|e| Failure::new(format!("no current directory: {e}")))?;
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    config_rustflags(&cwd, home.as_deref(), host).map_err(Failure::new)
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

/// Whether the root manifest at `manifest` declares `[profile.pgo]`.
#[must_use]
pub fn declares_pgo_profile(manifest: &str) -> bool {
    manifest
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("profile")?.get("pgo").cloned())
        .is_some()
}

/// `--config` arguments that define the `pgo` profile (release with fat LTO) for a
/// workspace that does not declare one; none when it does (its own settings win).
#[must_use]
pub fn pgo_profile_config(declared: bool) -> Vec<String> {
    if declared {
        Vec::new()
    } else {
        [
            "--config",
            "profile.pgo.inherits=\"release\"",
            "--config",
            "profile.pgo.lto=\"fat\"",
        ]
        .map(String::from)
        .to_vec()
    }
}

/// Builds `target` and returns its executable. Diagnostics are rendered to stderr, except the
/// per-function "no profile data" warnings, which are only counted.
fn build(
    target: &BuildTarget,
    extra_config: &[String],
    profile: &str,
    target_dir: Option<&Path>,
    rustflags: Option<&[String]>,
) -> Result<Built> {
    let mut cmd = util::cargo();
    cmd.arg("build")
        .args(target.cargo_args())
        .args(["--profile", profile, "--message-format", "json"])
        .args(extra_config)
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
    let Some(p) = flags::parse_or_help(&SPEC, args)? else {
        return Ok(());
    };
    let runs = p.number::<usize>(&SPEC, "--runs")?.unwrap_or(5);
    if runs == 0 {
        return Err(Failure::new(
            "`--runs` must be at least 1 (see `cargo xtask pgo --help`)",
        ));
    }
    let mut train_args = p.trailing.clone();

    let rustc = RustcInfo::detect()?;
    let profdata = find_llvm_profdata(&rustc)?;
    let ws = Workspace::load()?;
    let target = BuildTarget::resolve(&ws, &p)?;
    let config = pgo_profile_config(declares_pgo_profile(&util::read(
        &ws.workspace_root.join("Cargo.toml"),
    )?));
    if !config.is_empty() {
        progress("no [profile.pgo] in this workspace: using release with lto = \"fat\"");
    }
    if target.kind == "bench" && train_args.is_empty() {
        // A bench target trains in its test mode (each benchmark once) unless told otherwise;
        // `-- --bench` trains on full measurements (criterion then fills its measurement
        // time, so the timed runs say little: the PGO build is the product).
        train_args.push("--test".into());
    }
    let out = ws.out_dir("pgo");
    let profile_dir = out.join("profiles").join(&target.name);
    let merged = out.join(format!("{}.profdata", target.name));
    let user = effective_rustflags(&rustc.host)?;
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
        &config,
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
        &config,
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
    let release = build(&target, &[], "release", None, Some(&user))?;
    progress("`pgo` profile without profile data, to separate PGO's share from fat LTO's");
    let lto_only = build(
        &target,
        &config,
        "pgo",
        Some(&out.join("target-lto")),
        Some(&user),
    )?;

    let builds = [
        ("release", &release.exe),
        ("pgo profile, no profile data", &lto_only.exe),
        ("PGO", &optimized.exe),
    ];
    progress(format!(
        "[5/5] measuring: {runs} rounds, each build once per round in rotating order"
    ));
    let mut outputs = Vec::new();
    for (_, exe) in &builds {
        outputs.push(run_workload(exe, &train_args, &ws.workspace_root, true)?.1);
    }
    let same_output = outputs.iter().all(|o| *o == outputs[0]);
    if !same_output {
        warn("the builds printed different output for the same arguments");
    }
    let mut times: Vec<Vec<Timing>> = vec![Vec::with_capacity(runs); builds.len()];
    for i in 0..runs {
        // Rotate which build goes first so drift in machine load hits all of them alike.
        for k in 0..builds.len() {
            let b = (i + k) % builds.len();
            let (t, _) = run_workload(builds[b].1, &train_args, &ws.workspace_root, false)?;
            times[b].push(t);
        }
        let walls: Vec<String> = builds
            .iter()
            .zip(&times)
            .map(|((name, _), t)| format!("{name} {:.3} s", t[i].wall))
            .collect();
        progress(format!(
            "round {}/{runs} (wall clock): {}",
            i + 1,
            walls.join(", ")
        ));
    }
    let medians: Vec<Summary> = times.iter().map(|t| Summary::of(t)).collect();
    let (release_m, lto_m, pgo_m) = (medians[0], medians[1], medians[2]);

    let bin_dir = out.join("bin");
    util::create_dir(&bin_dir)?;
    let final_exe = bin_dir.join(optimized.exe.file_name().expect("an executable has a name"));
    std::fs::copy(&optimized.exe, &final_exe)
        .map_err(|e| Failure::io("copy to", &final_exe, &e))?;

    let lines = speedup_lines(&release_m, &lto_m, &pgo_m);
    let report = Report {
        target: &target,
        root: &ws.workspace_root,
        train_args: &train_args,
        user_flags: &user,
        rustc: &rustc,
        profraws: raws.len(),
        train_secs,
        profiled,
        executed,
        missing: optimized.missing_profile_warnings,
        names: builds.map(|(n, _)| n),
        times: &times,
        medians: &medians,
        lines: &lines,
        same_output,
        exe: &final_exe,
    };
    let report_path = out.join("report.md");
    util::write(&report_path, &report.markdown())?;
    for l in &lines {
        println!("{l}");
    }
    println!("optimized binary: {}", final_exe.display());
    progress(format!("report: {}", report_path.display()));
    Ok(())
}

/// Median seconds of one build's runs: wall clock, and CPU time when every run has it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Summary {
    wall: f64,
    cpu: Option<f64>,
}

impl Summary {
    fn of(runs: &[Timing]) -> Self {
        let walls: Vec<f64> = runs.iter().map(|t| t.wall).collect();
        let cpus: Option<Vec<f64>> = runs.iter().map(|t| t.cpu).collect();
        Self {
            wall: util::median(&walls).unwrap_or(f64::NAN),
            cpu: cpus.and_then(|c| util::median(&c)),
        }
    }
}

/// The headline figures: PGO against plain release (what switching gives), and against the
/// same `pgo` profile built without profile data (PGO's own share, fat LTO set aside); on
/// CPU time when measured, else wall clock.
fn speedup_lines(release: &Summary, lto_only: &Summary, pgo: &Summary) -> Vec<String> {
    let pick = |s: &Summary, cpu: bool| if cpu { s.cpu } else { Some(s.wall) };
    let mut out = Vec::new();
    for (what, cpu) in [("CPU time", true), ("wall clock", false)] {
        let (Some(r), Some(l), Some(p)) = (pick(release, cpu), pick(lto_only, cpu), pick(pgo, cpu))
        else {
            continue;
        };
        out.push(format!(
            "{what}: PGO {p:.3} s vs release {r:.3} s: {:.3}× faster; vs the same profile without \
             profile data {l:.3} s: {:.3}× (PGO's own share)",
            r / p,
            l / p
        ));
    }
    out
}

struct Report<'a> {
    target: &'a BuildTarget,
    root: &'a Path,
    train_args: &'a [String],
    user_flags: &'a [String],
    rustc: &'a RustcInfo,
    profraws: usize,
    train_secs: f64,
    profiled: usize,
    executed: usize,
    missing: usize,
    names: [&'static str; 3],
    times: &'a [Vec<Timing>],
    medians: &'a [Summary],
    lines: &'a [String],
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
            ("git commit", machine::git_commit(self.root)),
            (
                "load average at the end",
                machine::load().unwrap_or_else(|| "unknown".into()),
            ),
            (
                "your rustflags (environment or config files; every build)",
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
            "\nThe three builds ran the same workload {} times each, in rotating order. `release` \
             is your usual release build (thin LTO, your flags); `pgo profile, no profile data` is \
             the `pgo` profile (fat LTO) without `-Cprofile-use`; `PGO` adds the profile. PGO vs \
             release is what switching to `cargo xtask pgo` gives; PGO vs the middle build is \
             PGO's own share. CPU time (user + system) is less disturbed by other load on the \
             machine than wall-clock time.\n\n| run |",
            self.times.first().map_or(0, Vec::len)
        );
        for n in self.names {
            let _ = write!(s, " {n} wall (s) | {n} CPU (s) |");
        }
        s.push_str("\n| --- |");
        for _ in self.names {
            s.push_str(" --- | --- |");
        }
        s.push('\n');
        let cpu = |c: Option<f64>| c.map_or_else(|| "—".into(), |c| format!("{c:.2}"));
        for i in 0..self.times.first().map_or(0, Vec::len) {
            let _ = write!(s, "| {} |", i + 1);
            for t in self.times {
                let _ = write!(s, " {:.3} | {} |", t[i].wall, cpu(t[i].cpu));
            }
            s.push('\n');
        }
        s.push_str("| **median** |");
        for m in self.medians {
            let _ = write!(s, " **{:.3}** | **{}** |", m.wall, cpu(m.cpu));
        }
        s.push_str("\n\n");
        for l in self.lines {
            let _ = writeln!(s, "- {l}");
        }
        s.push('\n');
        s.push_str(if self.same_output {
            "All three builds printed identical output.\n"
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
    fn the_pgo_profile_is_defined_only_where_missing() {
        assert!(declares_pgo_profile(
            "[profile.pgo]\ninherits = \"release\"\n"
        ));
        assert!(!declares_pgo_profile("[profile.release]\nlto = true\n"));
        assert!(pgo_profile_config(true).is_empty());
        let c = pgo_profile_config(false);
        assert_eq!(c.iter().filter(|a| *a == "--config").count(), 2);
        assert!(c.contains(&"profile.pgo.inherits=\"release\"".to_string()));
    }

    #[test]
    fn config_file_rustflags_reach_every_build() {
        let root = std::env::temp_dir().join(format!("perfkit-pgo-config-{}", std::process::id()));
        let inner = root.join("ws").join("crate");
        std::fs::create_dir_all(inner.join(".cargo")).unwrap();
        std::fs::create_dir_all(root.join("ws").join(".cargo")).unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        std::fs::write(
            root.join("home/config.toml"),
            "[build]\nrustflags = \"-Chome\"\n",
        )
        .unwrap();
        std::fs::write(
            root.join("ws/.cargo/config.toml"),
            "[build]\nrustflags = [\"-Ctarget-cpu=x86-64-v2\", \"--cfg=ws\"]\n",
        )
        .unwrap();
        let host = "x86_64-unknown-linux-gnu";
        let flags = |dir: &Path| config_rustflags(dir, Some(&root.join("home")), host).unwrap();
        assert_eq!(
            flags(&inner),
            ["-Chome", "-Ctarget-cpu=x86-64-v2", "--cfg=ws"],
            "build.rustflags merged, home first"
        );
        // A target table for the host wins over build.rustflags, as in cargo.
        std::fs::write(
            inner.join(".cargo/config.toml"),
            format!("[target.{host}]\nrustflags = [\"-Cforce-frame-pointers=yes\"]\n"),
        )
        .unwrap();
        assert_eq!(flags(&inner), ["-Cforce-frame-pointers=yes"]);
        assert_eq!(
            flags(&root.join("ws")).len(),
            3,
            "the inner file is not read from above"
        );
        // Every compared build gets the same user flags: the instrumented and optimized ones
        // add only their profile flags.
        let user = flags(&inner);
        let inst = instrument_flags(&user, Path::new("/p"));
        let opt = optimize_flags(&user, Path::new("/m.profdata"));
        assert_eq!(&inst[..user.len()], &user[..]);
        assert_eq!(&opt[..user.len()], &user[..]);
        std::fs::write(inner.join(".cargo/config.toml"), "[build]\nrustflags = 3\n").unwrap();
        assert!(
            config_rustflags(&inner, None, host)
                .unwrap_err()
                .contains("string or an array")
        );
        std::fs::remove_dir_all(&root).unwrap();
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
        let release = Summary::of(&[t(3.0, 2.0), t(1.0, 1.0), t(2.0, 1.5)]);
        assert_eq!(
            release,
            Summary {
                wall: 2.0,
                cpu: Some(1.5)
            }
        );
        let lto = Summary::of(&[t(1.5, 1.2)]);
        let pgo = Summary::of(&[t(1.0, 1.0), t(2.0, 1.0), t(1.5, 0.5)]);
        let lines = speedup_lines(&release, &lto, &pgo);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            "CPU time: PGO 1.000 s vs release 1.500 s: 1.500× faster; vs the same profile \
             without profile data 1.200 s: 1.200× (PGO's own share)"
        );
        assert!(lines[1].starts_with("wall clock: PGO 1.500 s vs release 2.000 s: 1.333× faster"));
        // CPU time missing from any run: only the wall-clock line.
        let partial = Summary::of(&[
            Timing {
                wall: 1.0,
                cpu: None,
            },
            t(1.0, 1.0),
        ]);
        assert_eq!(partial.cpu, None);
        assert_eq!(speedup_lines(&partial, &lto, &pgo).len(), 1);
    }

    #[test]
    fn report_tables() {
        let t = |wall, cpu| Timing {
            wall,
            cpu: Some(cpu),
        };
        let times = vec![
            vec![t(1.2, 1.1), t(1.4, 1.3)],
            vec![t(1.1, 1.0), t(1.3, 1.2)],
            vec![t(0.9, 0.8), t(1.0, 0.9)],
        ];
        let medians: Vec<Summary> = times.iter().map(|v| Summary::of(v)).collect();
        let lines = speedup_lines(&medians[0], &medians[1], &medians[2]);
        let target = BuildTarget {
            package: "perfkit".into(),
            kind: "example",
            name: "pgo_workload".into(),
        };
        let rustc = RustcInfo {
            release: "1.95.0".into(),
            llvm: "22.1.2".into(),
            host: "x86_64-unknown-linux-gnu".into(),
        };
        let md = Report {
            target: &target,
            root: Path::new("/nonexistent"),
            train_args: &strings(&["1000", "2"]),
            user_flags: &[],
            rustc: &rustc,
            profraws: 1,
            train_secs: 2.5,
            profiled: 64,
            executed: 43,
            missing: 0,
            names: ["release", "pgo profile, no profile data", "PGO"],
            times: &times,
            medians: &medians,
            lines: &lines,
            same_output: true,
            exe: Path::new("/t/perfkit/pgo/bin/pgo_workload"),
        }
        .markdown();
        assert!(md.contains("| target | example `pgo_workload` of `perfkit` |"));
        assert!(md.contains("| workload arguments | `1000 2` |"));
        assert!(md.contains("| functions in the profile | 64 (43 executed in training) |"));
        assert!(md.contains("| 1 | 1.200 | 1.10 | 1.100 | 1.00 | 0.900 | 0.80 |"));
        assert!(md.contains(
            "| **median** | **1.300** | **1.20** | **1.200** | **1.10** | **0.950** | **0.85** |"
        ));
        assert!(md.contains("- CPU time: PGO 0.850 s vs release 1.200 s: 1.412× faster"));
        assert!(md.contains("All three builds printed identical output."));
        // Every row of the timing table has 7 cells.
        for row in md.lines().filter(|l| {
            l.starts_with("| run") || l.starts_with("| 1 ") || l.starts_with("| **median")
        }) {
            assert_eq!(row.matches('|').count(), 8, "{row}");
        }
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
