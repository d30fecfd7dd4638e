//! perfkit's tools for any Cargo workspace: `bench` (criterion and paired benchmarks, with a
//! report), `pgo` (profile-guided builds, measured), `bloat` (size budgets) and `doctor`.
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
mod machine;
mod pgo;
mod util;

use std::process::ExitCode;

/// One subcommand: its name, one line of help, and its entry point.
struct Command {
    name: &'static str,
    about: &'static str,
    run: fn(&[String]) -> util::Result<()>,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "bench",
        about: "run the criterion benches and write a report with tables, charts and baselines",
        run: bench::run,
    },
    Command {
        name: "pgo",
        about: "profile-guided optimized build of an example or binary, with measured speedup",
        run: pgo::run,
    },
    Command {
        name: "bloat",
        about: "binary size per crate and per function, checked against bloat-budget.toml",
        run: bloat::run,
    },
    Command {
        name: "doctor",
        about: "report the tools perfkit's tasks need and how to install what is missing",
        run: doctor::run,
    },
];

fn help(program: &str) -> String {
    let mut s = format!(
        "{program}: perfkit's tools for this workspace\n\nUSAGE:\n    {program} [--manifest-path PATH] <COMMAND> [ARGS]\n\nCOMMANDS:\n",
    );
    for c in COMMANDS {
        s.push_str(&format!("    {:<8}{}\n", c.name, c.about));
    }
    s.push_str(&format!(
        "\nThe workspace is the one `cargo metadata` finds from the current directory, or from\n\
         --manifest-path. Outputs go under its target/perfkit/. Run `{program} <COMMAND> --help`\n\
         for a command's options.\n",
    ));
    s
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
    if let Err(failure) = util::take_manifest_path(&mut args) {
        eprintln!("{failure}");
        return ExitCode::from(failure.code);
    }
    util::set_program(program);
    match args.first().map(String::as_str) {
        None | Some("-h" | "--help" | "help") => {
            print!("{}", help(program));
            ExitCode::SUCCESS
        }
        Some(name) => match COMMANDS.iter().find(|c| c.name == name) {
            Some(c) => match (c.run)(&args[1..]) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => {
                    eprintln!("{failure}");
                    ExitCode::from(failure.code)
                }
            },
            None => {
                eprintln!("error: unknown command `{name}` (see `{program} --help`)");
                ExitCode::from(2)
            }
        },
    }
}

// The README's examples are compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
