//! The command line, declared once with `xflags`: one typed struct per command, `--help`
//! generated from the doc comments, and a misspelt flag is a compile error where it is read.
//! The global `--manifest-path` is taken out before parsing (`util::take_manifest_path`).

#![allow(missing_docs, missing_debug_implementations)] // The structs are generated.

use crate::util::{Failure, Result, TargetArgs};

xflags::xflags! {
    /// perfkit's tools for this workspace (the one `cargo metadata` finds from the current
    /// directory, or from `--manifest-path PATH`); outputs go under its `target/perfkit/`.
    cmd perfkit {
        /// Run every bench target with `harness = false` (criterion and perfkit-bench), then
        /// write target/perfkit/bench/report.md, index.html and results.json.
        cmd bench {
            /// criterion's regex on `group/contender/size`: only the benchmarks it matches.
            optional filter: String
            /// Short warm-up and measurement (sets PERFKIT_BENCH_QUICK=1).
            optional --quick
            /// Store this run as baseline NAME (target/perfkit/bench/baselines/NAME.json).
            optional --save name: String
            /// Compare with baseline NAME (two separate runs: the weaker check); exit 1
            /// naming every regression.
            optional --baseline name: String
            /// Change (percent) a regression must exceed, beyond the noise [default: 2,
            /// perfkit-profile's RegressionDetector].
            optional --threshold pct: f64
            /// Only this package's bench targets.
            optional -p, --package pkg: String
            /// Only this bench target.
            optional --bench target: String
            /// Also write the results as `bmf` (Bencher Metric Format JSON:
            /// target/perfkit/bench/bmf.json).
            optional --format format: String
            /// Paired A/B: build the benches at git revision REV and in the working tree, run
            /// them in alternating rounds, report each median ratio with its 95% interval;
            /// exit 1 naming each regression.
            optional --compare rev: String
            /// With --compare: measure the working tree's uncommitted changes too (without it
            /// a dirty tree is refused, so the comparison is between two commits).
            optional --allow-dirty
            /// Do not run anything: report every result already under target/criterion.
            optional --no-run
            /// Count instructions instead of timing: each criterion benchmark's routine runs
            /// once under valgrind's callgrind (target/perfkit/bench/icount.md and .json);
            /// with --save/--baseline the counts are kept and compared exactly [threshold
            /// default: 1].
            optional --icount
            /// With --icount: simulate the caches too (L1 and last-level misses; slower).
            optional --cache
        }

        /// Build a profile-guided optimized binary, train it on its workload (TRAIN_ARGS; a
        /// bench target trains in its test mode, `--test`, unless given some) and measure it
        /// against the plain release build.
        cmd pgo {
            /// This example [default: `default-target` in [workspace.metadata.perfkit], else
            /// the only binary].
            optional --example name: String
            /// This binary.
            optional --bin name: String
            /// This bench target.
            optional --bench name: String
            /// The package that has it [default: the one that has it].
            optional -p, --package pkg: String
            /// Timed runs of each build, alternating [default: 5].
            optional --runs n: usize
            /// The training workload's arguments (after `--`).
            repeated train_args: String
        }

        /// Release binary size: stripped size, .text, top functions and size per crate (via
        /// cargo-bloat), optionally checked against bloat-budget.toml.
        cmd bloat {
            /// This example [default: as for pgo].
            optional --example name: String
            /// This binary.
            optional --bin name: String
            /// The package that has it [default: the one that has it].
            optional -p, --package pkg: String
            /// Compare with the budget; exit 1 naming what is over and by how much.
            optional --check
            /// Add a starter table for this binary to the budget file: today's sizes plus 10%.
            optional --init
            /// The budget file [default: bloat-budget.toml at the workspace root].
            optional --budget file: String
            /// Install cargo-bloat if it is missing.
            optional --install
            /// How many of the largest functions to list [default: 15].
            optional -n, --top n: usize
        }

        /// Profile the target under `perf` (cpu-clock samples, stacks through frame pointers)
        /// and draw target/perfkit/flamegraph/NAME.svg from NAME.folded; prints the functions
        /// with the most samples of their own. A bench target runs in criterion's `--bench`
        /// mode: give a filter and a duration after `--`, e.g. `-- sum_f32 --profile-time 5`.
        cmd flamegraph {
            /// This example [default: as for pgo].
            optional --example name: String
            /// This binary.
            optional --bin name: String
            /// This bench target.
            optional --bench name: String
            /// The package that has it [default: the one that has it].
            optional -p, --package pkg: String
            /// Samples per second [default: 999].
            optional -F, --freq hz: u32
            /// How perf walks the stack: `fp` (frame pointers: small and exact for Rust code)
            /// or `dwarf` (copies of the stack, unwound later: also inlined functions and
            /// callers of C code built without frame pointers) [default: fp].
            optional --call-graph mode: String
            /// How many functions to list [default: 10].
            optional -n, --top n: usize
            /// The program's arguments (after `--`).
            repeated args: String
        }

        /// Run the target with a heap profile (the package's `heap-profile` feature, frame
        /// pointers, symbols): its `perfkit_memory::heap::Profiler` writes
        /// target/perfkit/heap/NAME.dhat-heap.json for DHAT's viewer; prints the top sites.
        cmd heap {
            /// This example [default: as for pgo].
            optional --example name: String
            /// This binary.
            optional --bin name: String
            /// This bench target.
            optional --bench name: String
            /// The package that has it [default: the one that has it].
            optional -p, --package pkg: String
            /// How many sites to list [default: 10].
            optional -n, --top n: usize
            /// The program's arguments (after `--`).
            repeated args: String
        }

        /// Build the target with `cargo build --timings`, copy cargo's report to
        /// target/perfkit/timings/NAME.html and print the total time and the slowest units.
        cmd timings {
            /// This example [default: as for pgo].
            optional --example name: String
            /// This binary.
            optional --bin name: String
            /// The package that has it [default: the one that has it].
            optional -p, --package pkg: String
            /// The release profile (else dev).
            optional --release
            /// Build from scratch, dependencies included, in target/perfkit/timings/target
            /// (emptied first; your target directory is left alone). Without it the build is
            /// incremental in your target directory and times only what changed.
            optional --clean
            /// How many of the slowest units to list [default: 10].
            optional -n, --top n: usize
        }

        /// Run the cargo-fuzz targets of `fuzz/` at the workspace root one after the other,
        /// each on its corpus `fuzz/corpus/TARGET` (`cargo +nightly fuzz run`, AddressSanitizer),
        /// then print per target the executions, seconds and findings (inputs saved under
        /// `fuzz/artifacts/TARGET/`); exit 1 on any finding. Needs nightly and cargo-fuzz.
        cmd fuzz {
            /// Only this target.
            optional --target name: String
            /// Seconds per target (libFuzzer's `-max_total_time`).
            optional --time secs: u64
            /// Executions per target (libFuzzer's `-runs`) [default: 20000, a smoke].
            optional --runs n: u64
            /// List the targets and their corpus sizes; run nothing.
            optional --list
        }

        /// What each command needs (rustc/LLVM; llvm-profdata for pgo, cargo-bloat for bloat,
        /// perf for flamegraph; valgrind) and the SIMD level; the install command for anything
        /// missing.
        cmd doctor {}
    }
}

impl Pgo {
    /// Its target flags.
    #[must_use]
    pub fn target(&self) -> TargetArgs<'_> {
        TargetArgs {
            example: self.example.as_deref(),
            bin: self.bin.as_deref(),
            bench: self.bench.as_deref(),
            package: self.package.as_deref(),
        }
    }
}

impl Bloat {
    /// Its target flags.
    #[must_use]
    pub fn target(&self) -> TargetArgs<'_> {
        TargetArgs {
            example: self.example.as_deref(),
            bin: self.bin.as_deref(),
            bench: None,
            package: self.package.as_deref(),
        }
    }
}

impl Flamegraph {
    /// Its target flags.
    #[must_use]
    pub fn target(&self) -> TargetArgs<'_> {
        TargetArgs {
            example: self.example.as_deref(),
            bin: self.bin.as_deref(),
            bench: self.bench.as_deref(),
            package: self.package.as_deref(),
        }
    }
}

impl Heap {
    /// Its target flags.
    #[must_use]
    pub fn target(&self) -> TargetArgs<'_> {
        TargetArgs {
            example: self.example.as_deref(),
            bin: self.bin.as_deref(),
            bench: self.bench.as_deref(),
            package: self.package.as_deref(),
        }
    }
}

impl Timings {
    /// Its target flags.
    #[must_use]
    pub fn target(&self) -> TargetArgs<'_> {
        TargetArgs {
            example: self.example.as_deref(),
            bin: self.bin.as_deref(),
            bench: None,
            package: self.package.as_deref(),
        }
    }
}

/// Fails when more than one of `given` (flag name, whether given) was given.
pub fn exclusive(command: &str, given: &[(&str, bool)]) -> Result<()> {
    let set: Vec<&str> = given.iter().filter(|g| g.1).map(|g| g.0).collect();
    if set.len() > 1 {
        return Err(Failure::new(format!(
            "{} cannot be combined (see `cargo xtask {command} --help`)",
            set.join(" and ")
        )));
    }
    Ok(())
}

/// Parses a command line (without the program name): the command, or the help text to print
/// (`Ok(Err(help))`), or a one-line failure for a bad flag or value.
pub fn parse(args: Vec<String>) -> Result<std::result::Result<Perfkit, String>> {
    let command = args.first().cloned().unwrap_or_default();
    match Perfkit::from_vec(args.into_iter().map(Into::into).collect()) {
        Ok(flags) => Ok(Ok(flags)),
        Err(e) if e.is_help() => Ok(Err(e.to_string())),
        Err(e) => {
            let known = [
                "bench",
                "pgo",
                "bloat",
                "flamegraph",
                "heap",
                "fuzz",
                "timings",
                "doctor",
            ]
            .contains(&command.as_str());
            Err(Failure::new(if known {
                format!("{e} (see `cargo xtask {command} --help`)")
            } else {
                format!("{e} (see `cargo xtask --help`)")
            }))
        }
    }
}

/// Parses `command args..` for a test of that command: the parsed command, or `None` when the
/// arguments asked for help.
#[cfg(test)]
pub(crate) fn parse_command(command: &str, args: &[&str]) -> Result<Option<PerfkitCmd>> {
    let mut v = vec![command.to_string()];
    v.extend(args.iter().map(|a| (*a).to_string()));
    Ok(parse(v)?.ok().map(|f| f.subcommand))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn commands_parse_into_their_structs() {
        let Ok(Ok(f)) = parse(args(&[
            "bench",
            "sum",
            "--quick",
            "-p",
            "app",
            "--threshold",
            "3",
        ])) else {
            panic!("parses");
        };
        let PerfkitCmd::Bench(b) = f.subcommand else {
            panic!("bench")
        };
        assert_eq!(b.filter.as_deref(), Some("sum"));
        assert!(b.quick && !b.no_run);
        assert_eq!(
            (b.package.as_deref(), b.threshold),
            (Some("app"), Some(3.0))
        );
        let Ok(Ok(f)) = parse(args(&["pgo", "--bin", "app", "--", "1024", "--input", "x"])) else {
            panic!("parses");
        };
        let PerfkitCmd::Pgo(p) = f.subcommand else {
            panic!("pgo")
        };
        assert_eq!(p.target().bin, Some("app"));
        assert_eq!(
            p.train_args,
            ["1024", "--input", "x"],
            "everything after `--`"
        );
    }

    #[test]
    fn mistakes_are_one_line_with_the_help_to_read() {
        let err = |a: &[&str]| parse(args(a)).unwrap_err().message;
        let e = err(&["bench", "--qiuck"]);
        assert!(
            e.contains("--qiuck") && e.ends_with("(see `cargo xtask bench --help`)"),
            "{e}"
        );
        let e = err(&["bench", "--threshold", "lots"]);
        assert!(e.contains("--threshold"), "{e}");
        let e = err(&["bench", "--save"]);
        assert!(e.contains("--save"), "{e}");
        let e = err(&["frobnicate"]);
        assert!(
            e.contains("frobnicate") && e.ends_with("(see `cargo xtask --help`)"),
            "{e}"
        );
        assert!(!err(&["bench", "--qiuck"]).contains('\n'), "one line");
        assert!(exclusive("bloat", &[("--check", true), ("--init", true)]).is_err());
        assert!(exclusive("bloat", &[("--check", true), ("--init", false)]).is_ok());
    }

    #[test]
    fn help_is_generated_for_every_command() {
        let Ok(Err(help)) = parse(args(&["--help"])) else {
            panic!("help")
        };
        for c in [
            "bench",
            "pgo",
            "bloat",
            "flamegraph",
            "heap",
            "fuzz",
            "timings",
            "doctor",
        ] {
            assert!(help.contains(c), "{c} in {help}");
        }
        let Ok(Err(help)) = parse(args(&["bench", "--help"])) else {
            panic!("help")
        };
        assert!(help.contains("--compare") && help.contains("Bencher Metric Format"));
    }
}
