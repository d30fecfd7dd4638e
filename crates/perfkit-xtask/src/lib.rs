//! perfkit's tools for any Cargo workspace: `bench` (criterion and paired benchmarks, with a
//! report), `pgo` (profile-guided builds, measured), `bloat` (size budgets), `flamegraph`
//! (a `perf` profile drawn as an SVG flame graph), `heap` (a heap profile for DHAT's viewer),
//! `fuzz` (every cargo-fuzz target in turn, with a table of executions and findings),
//! `timings` (`cargo build --timings`, summarised) and `doctor`.
//!
//! Two ways in, both working on the workspace that `cargo metadata` finds from the current
//! directory (or `--manifest-path PATH`), with every output under its `target/perfkit/`:
//!
//! - **`cargo perfkit <COMMAND>`**, after `cargo install perfkit-xtask`: no code in your
//!   project at all.
//! - **`cargo xtask <COMMAND>`**, the xtask convention: an `xtask` package whose
//!   `src/main.rs` is one line,
//!
//!   ```no_run
//!   fn main() -> std::process::ExitCode {
//!       perfkit_xtask::main()
//!   }
//!   ```
//!
//!   with `perfkit-xtask` as its dependency and the alias
//!   `xtask = "run --package xtask --"` in `.cargo/config.toml`.
//!
//! ```sh
//! cargo xtask flamegraph --bin app -- ARGS       # target/perfkit/flamegraph/app.svg
//! cargo xtask timings --release --clean          # target/perfkit/timings/app.html
//! ```
//!
//! One module per command; `std::process::Command` for every tool, and cargo through the
//! `CARGO` environment variable. Every failure is one line that says what is wrong and the
//! command that fixes it, with exit code 2 ("could not run"); exit code 1 means "ran and
//! found a problem" (a regression, a size over budget).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod bench;
mod bloat;
mod doctor;
mod flags;
mod flamegraph;
mod fuzz;
mod heap;
mod machine;
mod pgo;
mod system;
mod timings;
mod util;

use std::process::ExitCode;

/// xflags' help text with the program as the user invoked it (`cargo xtask`, `cargo
/// perfkit`) where the command tree's name stands.
fn named(help: &str, program: &str) -> String {
    let body = help
        .strip_prefix("perfkit\n")
        .map_or_else(|| help.to_string(), |rest| format!("{program}\n{rest}"));
    body.replace("\nperfkit ", &format!("\n{program} "))
}

/// The top-level help: xflags' text, with the program as the user invoked it.
fn help(program: &str) -> String {
    match flags::parse(vec!["--help".into()]) {
        Ok(Err(help)) => named(&help, program),
        _ => String::new(),
    }
}

/// The entry point of a one-line `xtask` (`fn main() -> ExitCode { perfkit_xtask::main() }`):
/// runs the command named by the process arguments, as `cargo xtask <COMMAND> [ARGS]`.
#[must_use]
pub fn main() -> ExitCode {
    run("cargo xtask", std::env::args().skip(1).collect())
}

/// The entry point of the `cargo-perfkit` binary: as [`main`], but for `cargo perfkit
/// <COMMAND>`, where cargo passes `perfkit` as the first argument.
#[must_use]
pub fn cargo_perfkit_main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("perfkit") {
        args.remove(0);
    }
    run("cargo perfkit", args)
}

/// Runs one command line (without the program name); `program` is how help names the tool.
#[must_use]
pub fn run(program: &str, mut args: Vec<String>) -> ExitCode {
    util::set_program(program);
    if let Err(failure) = util::take_manifest_path(&mut args) {
        eprintln!("{failure}");
        return ExitCode::from(failure.code);
    }
    if matches!(args.first().map(String::as_str), None | Some("help")) {
        print!("{}", help(program));
        return ExitCode::SUCCESS;
    }
    let result = match flags::parse(args) {
        Err(failure) => Err(failure),
        Ok(Err(help_text)) => {
            print!("{}", named(&help_text, program));
            Ok(())
        }
        Ok(Ok(command)) => match command.subcommand {
            flags::PerfkitCmd::Bench(b) => bench::run(&b),
            flags::PerfkitCmd::Pgo(p) => pgo::run(&p),
            flags::PerfkitCmd::Bloat(b) => bloat::run(&b),
            flags::PerfkitCmd::Flamegraph(f) => flamegraph::run(&f),
            flags::PerfkitCmd::Heap(h) => heap::run(&h),
            flags::PerfkitCmd::Fuzz(f) => fuzz::run(&f),
            flags::PerfkitCmd::Timings(t) => timings::run(&t),
            flags::PerfkitCmd::Doctor(_) => doctor::run(),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(failure.code)
        }
    }
}

// The README's examples are compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
