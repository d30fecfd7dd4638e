//! `cargo xtask doctor`: the tools each command needs, found or not, with the command that
//! installs what is missing. A tool only one command needs is optional: its absence is
//! reported and the exit status stays 0; only a missing compiler (which every command needs)
//! makes it 1.

use std::process::Command;

use crate::flamegraph::perf;
use crate::machine::{self, RustcInfo};
use crate::pgo;
use crate::system::{self, SystemTool};
use crate::util::{self, Failure, Result, probe};

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// What was found, or why not.
    pub found: std::result::Result<String, String>,
    /// The install command, for a missing tool.
    pub fix: Option<String>,
    /// What needs it.
    pub used_by: &'static str,
}

impl Check {
    fn line(&self) -> String {
        match (&self.found, &self.fix) {
            (Ok(v), _) => format!("  ok       {:<14} {v}", self.name),
            (Err(why), Some(fix)) => format!(
                "  MISSING  {:<14} {why} (needed by {}; fix: `{fix}`)",
                self.name, self.used_by
            ),
            (Err(why), None) => format!(
                "  MISSING  {:<14} {why} (needed by {})",
                self.name, self.used_by
            ),
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

fn tool(name: &'static str, cmd: &mut Command, fix: &str, used_by: &'static str) -> Check {
    Check {
        name,
        found: probe(cmd)
            .map(|s| first_line(&s))
            .ok_or_else(|| "not found".into()),
        fix: Some(fix.into()),
        used_by,
    }
}

/// perf: installed, and allowed to record here (the paranoid level, then a probe recording);
/// the fix is the install command or the sysctl that allows recording.
fn perf_check() -> Check {
    let found = perf::find().and_then(|p| {
        perf::check_can_record(&p)
            .map(|how| format!("{} (records {}; {how})", p.version, perf::EVENT))
    });
    let (found, fix) = match found {
        Ok(v) => (Ok(v), None),
        Err(f) => (Err(f.message), f.fix),
    };
    Check {
        name: "perf",
        found,
        fix,
        used_by: "cargo xtask flamegraph",
    }
}

/// Entry point.
pub fn run() -> Result<()> {
    let mut checks = Vec::new();
    let rustc = RustcInfo::detect();
    checks.push(Check {
        name: "rustc",
        found: rustc
            .as_ref()
            .map(|r| format!("{} ({}), LLVM {}", r.release, r.host, r.llvm))
            .map_err(|e| e.message.clone()),
        fix: Some("rustup show  # installs the pinned toolchain".into()),
        used_by: "everything",
    });
    checks.push(match &rustc {
        Ok(r) => Check {
            name: "llvm-profdata",
            found: pgo::find_llvm_profdata(r)
                .map(|p| {
                    format!(
                        "{} (LLVM {} matches rustc)",
                        p.display(),
                        r.llvm_major().unwrap_or(0)
                    )
                })
                .map_err(|e| e.message),
            fix: Some("rustup component add llvm-tools".into()),
            used_by: "cargo xtask pgo",
        },
        Err(_) => Check {
            name: "llvm-profdata",
            found: Err("cannot look without rustc".into()),
            fix: Some("rustup component add llvm-tools".into()),
            used_by: "cargo xtask pgo",
        },
    });
    checks.push(tool(
        "cargo-bloat",
        util::cargo().args(["bloat", "--version"]),
        "cargo install cargo-bloat --locked",
        "cargo xtask bloat",
    ));
    checks.push(tool(
        "cargo-fuzz",
        crate::fuzz::nightly_cargo().args(["fuzz", "--version"]),
        "rustup toolchain install nightly && cargo install cargo-fuzz --locked",
        "cargo xtask fuzz",
    ));
    checks.push(perf_check());
    let os = system::os_release();
    checks.push(tool(
        "valgrind",
        Command::new("valgrind").arg("--version"),
        &system::install_command(&os, SystemTool::Valgrind),
        "instruction-level profiling by hand (cachegrind, callgrind)",
    ));
    let (level, source) = machine::simd_level();
    checks.push(Check {
        name: "SIMD level",
        found: Ok(format!("{level} ({source})")),
        fix: None,
        used_by: "perfkit-simd's dispatch",
    });

    println!("perfkit doctor");
    for c in &checks {
        println!("{}", c.line());
    }
    let missing: Vec<&str> = checks
        .iter()
        .filter(|c| c.found.is_err())
        .map(|c| c.name)
        .collect();
    if rustc.is_err() {
        Err(Failure::found(
            "rustc is missing: no command can run (install command above)",
        ))
    } else if missing.is_empty() {
        println!("everything the commands use is installed");
        Ok(())
    } else {
        println!(
            "optional, missing: {} (only the commands named above need them; install commands above)",
            missing.join(", ")
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_the_install_command() {
        let missing = Check {
            name: "cargo-bloat",
            found: Err("not found".into()),
            fix: Some("cargo install cargo-bloat --locked".into()),
            used_by: "cargo xtask bloat",
        };
        assert_eq!(
            missing.line(),
            "  MISSING  cargo-bloat    not found (needed by cargo xtask bloat; fix: `cargo install cargo-bloat --locked`)"
        );
        let ok = Check {
            found: Ok("cargo-bloat 0.12.1".into()),
            ..missing
        };
        assert_eq!(ok.line(), "  ok       cargo-bloat    cargo-bloat 0.12.1");
        assert!(
            tool("nope", &mut Command::new("/nonexistent/tool"), "x", "y")
                .found
                .is_err()
        );
        assert!(
            crate::flags::parse(vec!["doctor".into(), "--verbose".into()])
                .unwrap_err()
                .message
                .contains("--verbose")
        );
    }
}
