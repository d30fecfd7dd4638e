//! `cargo xtask bloat`: where a binary's bytes go (per function, per crate), and a check
//! against `bloat-budget.toml` so size regressions fail CI the way speed regressions do.
//!
//! cargo-bloat does the symbol accounting; this command builds in its own target directory
//! (so normal builds stay cached), adds the stripped size users actually ship, and compares
//! the figures with the budget.

mod budget;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::flags::{self, Bloat};
use crate::machine::RustcInfo;
use crate::util::{self, BuildTarget, Failure, Result, Workspace, human_bytes, progress};
use budget::Sizes;

const INSTALL: &str = "cargo install cargo-bloat --locked";

#[derive(Debug, Deserialize)]
struct FunctionsJson {
    #[serde(rename = "file-size")]
    file_size: u64,
    #[serde(rename = "text-section-size")]
    text_size: u64,
    functions: Vec<FunctionJson>,
}

#[derive(Debug, Deserialize)]
struct FunctionJson {
    #[serde(rename = "crate")]
    krate: Option<String>,
    name: String,
    size: u64,
}

#[derive(Debug, Deserialize)]
struct CratesJson {
    crates: Vec<CrateJson>,
}

#[derive(Debug, Deserialize)]
struct CrateJson {
    name: String,
    size: u64,
}

fn ensure_cargo_bloat(install: bool) -> Result<String> {
    if let Some(v) = util::probe(util::cargo().args(["bloat", "--version"])) {
        return Ok(v.trim().to_string());
    }
    if !install {
        return Err(Failure::missing(
            "cargo-bloat is not installed (or use `cargo xtask bloat --install`)",
            INSTALL,
        ));
    }
    progress(format!("installing cargo-bloat: {INSTALL}"));
    util::run(util::cargo().args(["install", "cargo-bloat", "--locked"]))?;
    util::probe(util::cargo().args(["bloat", "--version"]))
        .map(|v| v.trim().to_string())
        .ok_or_else(|| {
            Failure::missing(
                "cargo-bloat still does not run after installing it",
                INSTALL,
            )
        })
}

/// Runs cargo-bloat with `extra` arguments and returns its JSON; the path of the analysed
/// binary comes from its `Analyzing <path>` line.
fn cargo_bloat(
    target: &BuildTarget,
    target_dir: &Path,
    extra: &[&str],
) -> Result<(String, Option<PathBuf>)> {
    let mut cmd = util::cargo();
    cmd.arg("bloat")
        .args(target.cargo_args())
        .args(["--release", "--message-format", "json"])
        .arg("--target-dir")
        .arg(target_dir)
        .args(extra);
    let shown = util::display(&cmd);
    let out = cmd
        .output()
        .map_err(|e| Failure::new(format!("cannot run `{shown}`: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        for l in stderr
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            eprintln!("    | {l}");
        }
        return Err(Failure::new(format!("`{shown}` failed ({})", out.status)));
    }
    let exe = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Analyzing "))
        .map(PathBuf::from);
    Ok((String::from_utf8_lossy(&out.stdout).into_owned(), exe))
}

/// Strips a copy of `exe` with the toolchain's llvm-strip / rust-objcopy, or `strip`.
fn stripped_size(exe: &Path, out: &Path) -> Result<u64> {
    let copy = out.join(format!(
        "{}.stripped",
        exe.file_name().and_then(|n| n.to_str()).unwrap_or("binary")
    ));
    util::create_dir(out)?;
    std::fs::copy(exe, &copy).map_err(|e| Failure::io("copy to", &copy, &e))?;
    let tools: Vec<(PathBuf, &[&str])> = {
        let mut v: Vec<(PathBuf, &[&str])> = Vec::new();
        if let (Ok(info), Some(sysroot)) = (
            RustcInfo::detect(),
            util::probe(util::rustc().args(["--print", "sysroot"])),
        ) {
            let bin = Path::new(sysroot.trim())
                .join("lib/rustlib")
                .join(info.host)
                .join("bin");
            v.push((bin.join("llvm-strip"), &["--strip-all"]));
            v.push((bin.join("rust-objcopy"), &["--strip-all"]));
        }
        v.push((PathBuf::from("strip"), &["--strip-all"]));
        v
    };
    for (tool, args) in &tools {
        let ok = Command::new(tool)
            .args(*args)
            .arg(&copy)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return std::fs::metadata(&copy)
                .map(|m| m.len())
                .map_err(|e| Failure::io("read", &copy, &e));
        }
    }
    Err(Failure::missing(
        "no strip tool found (llvm-strip, rust-objcopy or strip) to measure the stripped size",
        "rustup component add llvm-tools",
    ))
}

/// `name` cut to at most `max` characters, marking the cut with `…`.
fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_string();
    }
    let mut s: String = name.chars().take(max - 1).collect();
    s.push('…');
    s
}

fn table(rows: &[(String, u64)], total_text: u64) -> String {
    let mut s = String::new();
    for (name, size) in rows {
        let _ = writeln!(
            s,
            "  {:>10}  {:>5.1}%  {name}",
            human_bytes(*size),
            *size as f64 * 100.0 / total_text.max(1) as f64
        );
    }
    s
}

/// Entry point.
pub fn run(p: &Bloat) -> Result<()> {
    flags::exclusive("bloat", &[("--check", p.check), ("--init", p.init)])?;
    flags::exclusive(
        "bloat",
        &[
            ("--example", p.example.is_some()),
            ("--bin", p.bin.is_some()),
        ],
    )?;
    let top = p.top.unwrap_or(15).max(1);
    let version = ensure_cargo_bloat(p.install)?;
    let ws = Workspace::load()?;
    let target = BuildTarget::resolve(&ws, p.target())?;
    if target.kind == "bench" {
        return Err(Failure::new(
            "bloat measures a binary you ship: name it with --bin or --example",
        ));
    }
    let out = ws.out_dir("bloat");
    let target_dir = out.join("target");
    let budget_path = p.budget.as_deref().map_or_else(
        || ws.workspace_root.join("bloat-budget.toml"),
        PathBuf::from,
    );
    let key = format!("{}.{}", target.kind, target.name);
    // Read the budget first: a malformed file should fail before a long build.
    let existing = if budget_path.is_file() {
        let budgets = budget::parse(&util::read(&budget_path)?)
            .map_err(|e| Failure::new(format!("{}: {e}", budget_path.display())))?;
        Some(budgets)
    } else {
        None
    };
    let budget = if p.check {
        let Some(budgets) = &existing else {
            return Err(Failure::missing(
                format!("no budget file at {}", budget_path.display()),
                format!("cargo xtask bloat --{} {} --init", target.kind, target.name),
            ));
        };
        let b = budgets.get(&key).cloned().ok_or_else(|| {
            Failure::missing(
                format!("{} has no [{key}] table", budget_path.display()),
                format!("cargo xtask bloat --{} {} --init", target.kind, target.name),
            )
        })?;
        Some((budget_path.clone(), b))
    } else {
        None
    };
    if p.init && existing.as_ref().is_some_and(|b| b.contains_key(&key)) {
        return Err(Failure::new(format!(
            "{} already has a [{key}] table: edit its limits, or delete the table and run --init again",
            budget_path.display()
        )));
    }

    progress(format!(
        "[1/3] {version}: functions of {} `{}` (release, target dir {})",
        target.kind,
        target.name,
        target_dir.display()
    ));
    let top_s = top.to_string();
    let (json, exe) = cargo_bloat(&target, &target_dir, &["-n", &top_s])?;
    let f: FunctionsJson = serde_json::from_str(&json)
        .map_err(|e| Failure::new(format!("cannot read cargo-bloat's JSON: {e}")))?;
    progress("[2/3] size per crate");
    let (json, _) = cargo_bloat(&target, &target_dir, &["--crates", "-n", "0"])?;
    let c: CratesJson = serde_json::from_str(&json)
        .map_err(|e| Failure::new(format!("cannot read cargo-bloat's JSON: {e}")))?;
    progress("[3/3] stripped size");
    let exe =
        exe.ok_or_else(|| Failure::new("cargo-bloat did not say which binary it analysed"))?;
    let exe = if exe.is_absolute() {
        exe
    } else {
        ws.workspace_root.join(exe)
    };
    let stripped = stripped_size(&exe, &out)?;

    let sizes = Sizes {
        file_size: f.file_size,
        stripped_size: stripped,
        text_size: f.text_size,
        largest_function: f.functions.first().map(|x| (x.name.clone(), x.size)),
        crates: c.crates.into_iter().map(|c| (c.name, c.size)).collect(),
    };
    let functions: Vec<(String, u64)> = f
        .functions
        .iter()
        .map(|x| {
            let krate = x.krate.as_deref().unwrap_or("?");
            (format!("[{krate}] {}", shorten(&x.name, 110)), x.size)
        })
        .collect();
    let mut text = format!(
        "{} `{}` (package `{}`), release build\n\n  stripped binary   {}  ({} bytes)\n  unstripped file   {}  ({} bytes)\n  .text section     {}  ({} bytes)\n\nlargest functions (share of .text):\n{}\nsize per crate (share of .text):\n{}",
        target.kind,
        target.name,
        target.package,
        human_bytes(sizes.stripped_size),
        sizes.stripped_size,
        human_bytes(sizes.file_size),
        sizes.file_size,
        human_bytes(sizes.text_size),
        sizes.text_size,
        table(&functions, sizes.text_size),
        table(&sizes.crates, sizes.text_size),
    );
    print!("{text}");

    let mut result = Ok(());
    if let Some((path, b)) = &budget {
        let over = budget::check(b, &sizes);
        if over.is_empty() {
            let _ = write!(text, "\nwithin every limit in {}\n", path.display());
            println!("\nwithin every limit in {}", path.display());
        } else {
            let msgs: Vec<String> = over.iter().map(ToString::to_string).collect();
            let _ = write!(
                text,
                "\nover budget ({}):\n  {}\n",
                path.display(),
                msgs.join("\n  ")
            );
            result = Err(Failure::found(format!(
                "{} `{}` is over its budget in {}: {}",
                target.kind,
                target.name,
                path.display(),
                msgs.join("; ")
            )));
        }
    }
    if p.init {
        let table = budget::starter(&key, &sizes, 10, &crate::machine::now());
        let mut file = match &existing {
            Some(_) => util::read(&budget_path)?,
            None => String::from(
                "# Size budgets checked by `cargo xtask bloat --check`: one [example.NAME] or [bin.NAME]\n\
                 # table per binary (stripped_size, text_size, largest_function) and a .crates table of\n\
                 # .text bytes per crate. Sizes are bytes, or strings with a unit (\"420 KiB\").\n",
            ),
        };
        if !file.ends_with('\n') {
            file.push('\n');
        }
        file.push('\n');
        file.push_str(&table);
        util::write(&budget_path, &file)?;
        let _ = write!(
            text,
            "\nstarter budget [{key}] written to {}\n",
            budget_path.display()
        );
        println!(
            "\nstarter budget [{key}] written to {}",
            budget_path.display()
        );
    }
    let report = out.join("report.txt");
    util::write(&report, &text)?;
    progress(format!("report: {}", report.display()));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargo_bloat_json() {
        // Output of cargo-bloat 0.12.1 (`--message-format json -n 2`, then `--crates`).
        let f: FunctionsJson = serde_json::from_str(
            r#"{"file-size":2324632,"text-section-size":302399,"functions":[{"crate":"std","name":"std::sys::backtrace::_print_fmt::{closure#1}","size":17458},{"crate":"pgo_workload","name":"pgo_workload::main","size":17148}]}"#,
        )
        .unwrap();
        assert_eq!((f.file_size, f.text_size), (2_324_632, 302_399));
        assert_eq!(f.functions[1].krate.as_deref(), Some("pgo_workload"));
        let c: CratesJson = serde_json::from_str(
            r#"{"file-size":2324632,"text-section-size":302399,"crates":[{"name":"std","size":277363},{"name":"[Unknown]","size":73}]}"#,
        )
        .unwrap();
        assert_eq!(c.crates[1].name, "[Unknown]");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
        let t = table(&[("std".into(), 277_363)], 302_399);
        assert_eq!(t, "   270.9 KiB   91.7%  std\n");
    }

    #[test]
    fn flag_errors() {
        let run_with = |a: &[&str]| match crate::flags::parse_command("bloat", a)? {
            Some(crate::flags::PerfkitCmd::Bloat(b)) => run(&b),
            _ => Ok(()),
        };
        let e = run_with(&["--check", "--init"]).unwrap_err();
        assert_eq!(
            e.message,
            "--check and --init cannot be combined (see `cargo xtask bloat --help`)"
        );
        let e = run_with(&["-n", "x"]).unwrap_err().message;
        assert!(e.contains("--top") || e.contains("-n"), "{e}");
        assert!(
            run_with(&["--budget"])
                .unwrap_err()
                .message
                .contains("--budget")
        );
        assert!(run_with(&["-h"]).is_ok());
    }
}
