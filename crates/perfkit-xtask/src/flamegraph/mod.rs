//! `cargo xtask flamegraph`: where a program spends its time, as a flame graph.
//!
//! 1. check that `perf` runs and may record here (before anything is built; see [`perf`]);
//! 2. build the target with symbols and line tables (`debug = "line-tables-only"`,
//!    `strip = "none"` for the profile it builds with) and frame pointers
//!    (`-Cforce-frame-pointers=yes` after your own rustflags), in its own target directory
//!    (`target/perfkit/flamegraph/target`) so your release builds stay cached;
//! 3. run it under `perf record -e cpu-clock -F FREQ --call-graph fp` (the software clock:
//!    VMs often expose no hardware counters);
//! 4. fold `perf script`'s stacks and draw `target/perfkit/flamegraph/NAME.svg` with inferno
//!    (see [`fold`]), keeping `NAME.folded` and `NAME.perf.data` beside it;
//! 5. print the functions with the most samples of their own.
//!
//! A bench target is built with the `bench` profile (as `cargo bench` builds it) and run in
//! criterion's `--bench` mode, which is added to the arguments unless they have it: give a
//! filter and criterion's profiling duration, `-- sum_f32 --profile-time 5`.

pub mod fold;
pub mod perf;

use std::path::PathBuf;

use crate::flags::{self, Flamegraph};
use crate::machine::RustcInfo;
use crate::pgo;
use crate::util::{self, BuildTarget, Failure, Result, Workspace, progress};
use perf::{CallGraph, Recording};

/// The rustc flag that keeps a frame pointer in every function.
const FRAME_POINTERS: &str = "-Cforce-frame-pointers=yes";

/// The user's rustflags with frame pointers forced (added last, so they win over a user's
/// `-Cforce-frame-pointers=no`).
#[must_use]
pub fn profiling_rustflags(user: &[String]) -> Vec<String> {
    let mut f = user.to_vec();
    f.push(FRAME_POINTERS.into());
    f
}

/// The cargo profile the target is built with: `bench` for a bench target (as `cargo bench`
/// builds it), `release` otherwise.
#[must_use]
pub fn profile_for(target: &BuildTarget) -> &'static str {
    if target.kind == "bench" {
        "bench"
    } else {
        "release"
    }
}

/// `--config` arguments that give `profile` line tables and keep its symbols, whatever the
/// workspace's own settings (the function names in the graph come from the symbol table;
/// line tables let `--call-graph dwarf` show inlined functions).
#[must_use]
pub fn symbols_config(profile: &str) -> Vec<String> {
    vec![
        "--config".into(),
        format!("profile.{profile}.debug=\"line-tables-only\""),
        "--config".into(),
        format!("profile.{profile}.strip=\"none\""),
    ]
}

/// The program's arguments: the user's, with criterion's `--bench` first for a bench target
/// that does not pass it (without it criterion runs each benchmark once, as a test).
#[must_use]
pub fn program_args(target: &BuildTarget, args: &[String]) -> Vec<String> {
    let mut a = Vec::with_capacity(args.len() + 1);
    if target.kind == "bench" && !args.iter().any(|x| x == "--bench") {
        a.push("--bench".to_string());
    }
    a.extend_from_slice(args);
    a
}

/// Where the program runs: a bench in its package's directory (as `cargo bench` runs it),
/// anything else in the current directory (as `cargo run` does).
pub fn program_dir(ws: &Workspace, target: &BuildTarget) -> Result<PathBuf> {
    if target.kind == "bench"
        && let Some(dir) = ws
            .package(&target.package)
            .and_then(|p| p.manifest_path.parent())
    {
        return Ok(dir.to_path_buf());
    }
    std::env::current_dir().map_err(|e| Failure::new(format!("no current directory: {e}")))
}

/// Entry point.
pub fn run(f: &Flamegraph) -> Result<()> {
    flags::exclusive(
        "flamegraph",
        &[
            ("--example", f.example.is_some()),
            ("--bin", f.bin.is_some()),
            ("--bench", f.bench.is_some()),
        ],
    )?;
    let call_graph = CallGraph::parse(f.call_graph.as_deref())?;
    let freq = f.freq.unwrap_or(999);
    if freq == 0 {
        return Err(Failure::new(
            "`--freq` must be at least 1 (see `cargo xtask flamegraph --help`)",
        ));
    }
    // What is missing is said before anything is built.
    let perf = perf::find()?;
    let allowed = perf::check_can_record(&perf)?;

    let ws = Workspace::load()?;
    let target = BuildTarget::resolve(&ws, f.target())?;
    let rustc = RustcInfo::detect()?;
    let user = pgo::effective_rustflags(&rustc.host)?;
    let out = ws.out_dir("flamegraph");
    let profile = profile_for(&target);
    progress(format!(
        "flamegraph of {} `{}` of package `{}` ({}, {allowed})",
        target.kind, target.name, target.package, perf.version
    ));
    if !user.is_empty() {
        progress(format!("keeping your RUSTFLAGS: {}", user.join(" ")));
    }
    progress(format!(
        "building with profile `{profile}`, line tables, symbols and {FRAME_POINTERS}"
    ));
    let built = pgo::build(
        &target,
        &symbols_config(profile),
        profile,
        Some(&out.join("target")),
        Some(&profiling_rustflags(&user)),
    )?;

    let args = program_args(&target, &f.args);
    let data = out.join(format!("{}.perf.data", target.name));
    let recording = Recording {
        freq,
        call_graph,
        data: &data,
    };
    progress(format!(
        "recording: perf record -e {} -F {freq} --call-graph {} -- {} {}",
        perf::EVENT,
        call_graph.as_str(),
        built.exe.display(),
        args.join(" ")
    ));
    recording.run(&perf, &built.exe, &args, &program_dir(&ws, &target)?)?;

    progress("folding the stacks (perf script, inferno)");
    let folded = fold::fold(&perf::script(&perf, &data)?)?;
    let (total, top) = fold::self_samples(&folded);
    if total == 0 {
        return Err(Failure::new(format!(
            "perf recorded no samples of `{}`: it must run for a while (at {freq} Hz, a \
             sample every {:.1} ms)",
            built.exe.display(),
            1000.0 / f64::from(freq)
        )));
    }
    let folded_path = out.join(format!("{}.folded", target.name));
    util::write(&folded_path, &folded)?;
    let title = format!(
        "{} `{}`: {total} {} samples at {freq} Hz",
        target.kind,
        target.name,
        perf::EVENT
    );
    let svg_path = out.join(format!("{}.svg", target.name));
    util::write(&svg_path, &fold::svg(&folded, &title)?)?;

    println!("flame graph: {}", svg_path.display());
    println!("folded stacks: {}", folded_path.display());
    println!(
        "perf data: {} (`perf report -i {}`)",
        data.display(),
        data.display()
    );
    print!("{}", top_table(total, &top, f.top.unwrap_or(10)));
    Ok(())
}

/// The functions with the most self samples, as printed.
fn top_table(total: u64, top: &[fold::SelfSamples], n: usize) -> String {
    use std::fmt::Write as _;
    let mut s = format!("{total} samples; most samples of their own:\n");
    for t in top.iter().take(n) {
        let pct = 100.0 * t.samples as f64 / total as f64;
        let _ = writeln!(s, "  {pct:5.1}%  {:>7}  {}", t.samples, t.function);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: &'static str) -> BuildTarget {
        BuildTarget {
            package: "app".into(),
            kind,
            name: "sum".into(),
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn builds_keep_user_flags_and_add_symbols() {
        assert_eq!(
            profiling_rustflags(&strings(&["-Ctarget-cpu=native"])),
            ["-Ctarget-cpu=native", "-Cforce-frame-pointers=yes"]
        );
        assert_eq!(profile_for(&target("bench")), "bench");
        assert_eq!(profile_for(&target("bin")), "release");
        assert_eq!(
            symbols_config("release"),
            [
                "--config",
                "profile.release.debug=\"line-tables-only\"",
                "--config",
                "profile.release.strip=\"none\""
            ]
        );
    }

    #[test]
    fn a_bench_runs_in_bench_mode() {
        let given = strings(&["sum_f32", "--profile-time", "5"]);
        assert_eq!(
            program_args(&target("bench"), &given),
            ["--bench", "sum_f32", "--profile-time", "5"]
        );
        let explicit = strings(&["--bench", "sum_f32"]);
        assert_eq!(program_args(&target("bench"), &explicit), explicit);
        assert_eq!(program_args(&target("bin"), &given), given);
    }

    #[test]
    fn flags_parse() {
        let Some(crate::flags::PerfkitCmd::Flamegraph(f)) = crate::flags::parse_command(
            "flamegraph",
            &[
                "--bench",
                "kernels",
                "-p",
                "app",
                "-F",
                "499",
                "--call-graph",
                "dwarf",
                "--",
                "sum_f32",
                "--profile-time",
                "5",
            ],
        )
        .unwrap() else {
            panic!("flamegraph")
        };
        assert_eq!(
            (f.target().bench, f.target().package, f.freq),
            (Some("kernels"), Some("app"), Some(499))
        );
        assert_eq!(f.call_graph.as_deref(), Some("dwarf"));
        assert_eq!(f.args, ["sum_f32", "--profile-time", "5"]);
        let e = crate::flags::parse_command("flamegraph", &["--freq", "often"])
            .unwrap_err()
            .message;
        assert!(e.contains("--freq"), "{e}");
        let e = top_table(
            4,
            &[fold::SelfSamples {
                function: "hot".into(),
                samples: 3,
            }],
            5,
        );
        assert_eq!(
            e,
            "4 samples; most samples of their own:\n   75.0%        3  hot\n"
        );
    }
}
