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

mod build;
mod measure;
mod profdata;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

#[allow(clippy::wildcard_imports)] // The steps' pieces, used by `run` and the tests.
use build::*;
#[allow(clippy::wildcard_imports)]
use measure::*;
// The user's rustflags as cargo reads them, and the build that returns an executable:
// `flamegraph` builds its target the same way.
pub use build::{build, effective_rustflags};
pub use profdata::find_llvm_profdata;
#[allow(clippy::wildcard_imports)]
use profdata::*;

use crate::flags::Pgo;
use crate::machine::{self, RustcInfo};
use crate::util::{self, BuildTarget, Failure, Result, Workspace, progress, warn};

/// Entry point.
pub fn run(p: &Pgo) -> Result<()> {
    crate::flags::exclusive(
        "pgo",
        &[
            ("--example", p.example.is_some()),
            ("--bin", p.bin.is_some()),
            ("--bench", p.bench.is_some()),
        ],
    )?;
    let runs = p.runs.unwrap_or(5);
    if runs == 0 {
        return Err(Failure::new(
            "`--runs` must be at least 1 (see `cargo xtask pgo --help`)",
        ));
    }
    let mut train_args = p.train_args.clone();

    let rustc = RustcInfo::detect()?;
    let profdata = find_llvm_profdata(&rustc)?;
    let ws = Workspace::load()?;
    let target = BuildTarget::resolve(&ws, p.target())?;
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
        let run_with = |a: &[&str]| match crate::flags::parse_command("pgo", a)? {
            Some(crate::flags::PerfkitCmd::Pgo(p)) => run(&p),
            _ => Ok(()),
        };
        let e = run_with(&["--example", "a", "--bin", "b"]).unwrap_err();
        assert_eq!(
            e.message,
            "--example and --bin cannot be combined (see `cargo xtask pgo --help`)"
        );
        let e = run_with(&["--runs", "0"]).unwrap_err();
        assert!(
            e.message.starts_with("`--runs` must be at least 1"),
            "{}",
            e.message
        );
        assert!(
            run_with(&["--runs", "many"])
                .unwrap_err()
                .message
                .contains("--runs")
        );
        assert!(run_with(&["--help"]).is_ok());
    }
}
