//! `llvm-profdata`: finding the one that matches rustc's LLVM, and reading what a merged
//! profile covers.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::machine::RustcInfo;
use crate::util::{self, Failure, Result};

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

pub(super) fn profraws(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Failure::io("read", dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "profraw"))
        .collect();
    v.sort();
    Ok(v)
}
