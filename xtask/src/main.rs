//! perfkit's task runner. Run `cargo xtask --help`.
//!
//! One binary, one module per subcommand, light dependencies: a hand-rolled flag parser
//! ([`flags`]), `std::process::Command` for every tool, and cargo through the `CARGO`
//! environment variable. Every failure is one line that says what is wrong and, when a tool
//! is missing, the command that installs it ([`util::Failure`]).
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

fn help() -> String {
    let mut s = String::from(
        "cargo xtask: perfkit's task runner\n\nUSAGE:\n    cargo xtask <COMMAND> [ARGS]\n\nCOMMANDS:\n",
    );
    for c in COMMANDS {
        s.push_str(&format!("    {:<8}{}\n", c.name, c.about));
    }
    s.push_str(
        "\nOutputs go under target/perfkit/. Run `cargo xtask <COMMAND> --help` for a command's options.\n",
    );
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("-h" | "--help" | "help") => {
            print!("{}", help());
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
                eprintln!("error: unknown command `{name}` (see `cargo xtask --help`)");
                ExitCode::from(2)
            }
        },
    }
}
