//! perfkit's task runner. Run `cargo xtask --help`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

/// One subcommand: its name, one line of help, and whether it is available yet.
struct Command {
    name: &'static str,
    about: &'static str,
    available: bool,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "bench",
        about: "run the criterion benches and write a report with tables, charts and baselines",
        available: false,
    },
    Command {
        name: "pgo",
        about: "profile-guided optimized build of an example or binary, with measured speedup",
        available: false,
    },
    Command {
        name: "bloat",
        about: "binary size per crate and per function, checked against bloat-budget.toml",
        available: false,
    },
    Command {
        name: "doctor",
        about: "report the tools perfkit's tasks need and how to install what is missing",
        available: false,
    },
];

fn help() -> String {
    let mut s = String::from(
        "cargo xtask: perfkit's task runner\n\nUSAGE:\n    cargo xtask <COMMAND> [ARGS]\n\nCOMMANDS:\n",
    );
    for c in COMMANDS {
        let status = if c.available {
            ""
        } else {
            " (not available yet)"
        };
        s.push_str(&format!("    {:<8}{}{}\n", c.name, c.about, status));
    }
    s.push_str("\nRun `cargo xtask <COMMAND> --help` for a command's options.\n");
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
            Some(c) if !c.available => {
                eprintln!(
                    "error: `cargo xtask {}` is not available yet in this checkout",
                    c.name
                );
                ExitCode::from(2)
            }
            Some(_) => unreachable!("available commands are dispatched above"),
            None => {
                eprintln!("error: unknown command `{name}`\n\n{}", help());
                ExitCode::from(2)
            }
        },
    }
}
