//! `cargo xtask timings`: where a build's time goes, with cargo's own `--timings` report.
//!
//! It runs `cargo build --timings` for the target, copies the HTML report cargo writes
//! (`<target-dir>/cargo-timings/cargo-timing-<time>.html`) to
//! `target/perfkit/timings/NAME.html`, and prints the build's wall-clock time and its slowest
//! units (from the report's data, see [`report`]).
//!
//! By default the build is incremental, in your target directory: it times what changed since
//! your last build (after an edit to one crate, that crate and what depends on it), which is
//! the build you wait for while working, and it leaves your build cache as it was. `--clean`
//! times a build from scratch, dependencies included (the one CI and a fresh clone pay), in a
//! target directory of its own under `target/perfkit/timings/` that is emptied first: your
//! target directory is not cleaned.

pub mod report;

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::flags::{self, Timings};
use crate::util::{self, BuildTarget, Failure, Result, Workspace, progress};

/// The newest `cargo-timing-*.html` in `dir` written at `since` or later (a second early, for
/// file systems with coarse timestamps).
fn newest_report(dir: &Path, since: SystemTime) -> Result<PathBuf> {
    let since = since
        .checked_sub(std::time::Duration::from_secs(1))
        .unwrap_or(since);
    let entries = std::fs::read_dir(dir).map_err(|e| Failure::io("read", dir, &e))?;
    entries
        .filter_map(std::result::Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("cargo-timing-") && name.ends_with(".html")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .filter(|(modified, _)| *modified >= since)
        .max()
        .map(|(_, path)| path)
        .ok_or_else(|| {
            Failure::new(format!(
                "cargo wrote no timing report to {} (`cargo build --timings` needs cargo 1.60 or newer)",
                dir.display()
            ))
        })
}

/// The arguments of the `cargo build` that is timed.
#[must_use]
pub fn build_args(target: &BuildTarget, release: bool, target_dir: Option<&Path>) -> Vec<String> {
    let mut a = vec!["build".to_string()];
    a.extend(target.cargo_args());
    a.push("--timings".into());
    if release {
        a.push("--release".into());
    }
    if let Some(d) = target_dir {
        a.push("--target-dir".into());
        a.push(d.display().to_string());
    }
    a
}

/// Entry point.
pub fn run(t: &Timings) -> Result<()> {
    flags::exclusive(
        "timings",
        &[
            ("--example", t.example.is_some()),
            ("--bin", t.bin.is_some()),
        ],
    )?;
    let ws = Workspace::load()?;
    let target = BuildTarget::resolve(&ws, t.target())?;
    let out = ws.out_dir("timings");
    let clean_dir = t.clean.then(|| out.join("target"));
    if let Some(dir) = &clean_dir
        && dir.exists()
    {
        std::fs::remove_dir_all(dir).map_err(|e| Failure::io("empty", dir, &e))?;
    }
    let reports = clean_dir
        .as_deref()
        .unwrap_or(&ws.target_directory)
        .join("cargo-timings");
    let args = build_args(&target, t.release, clean_dir.as_deref());
    let shown = format!("cargo {}", args.join(" "));
    progress(if t.clean {
        format!("timing a build from scratch: {shown}")
    } else {
        format!(
            "timing an incremental build in your target directory (`--clean` for one from scratch): {shown}"
        )
    });
    let started = SystemTime::now();
    let clock = Instant::now();
    util::run(util::cargo().args(&args))?;
    let wall = clock.elapsed().as_secs_f64();

    let source = newest_report(&reports, started)?;
    let html = util::read(&source)?;
    let dest = out.join(format!("{}.html", target.name));
    util::write(&dest, &html)?;
    print!("{}", summary_text(&html, wall, &shown, t.top.unwrap_or(10)));
    println!("timing report: {}", dest.display());
    Ok(())
}

/// What the command prints about a report: the total, the unit counts and the slowest units
/// when the report's data can be read, else the total alone and why.
fn summary_text(html: &str, wall: f64, shown: &str, top: usize) -> String {
    use std::fmt::Write as _;
    let mut s = format!("{wall:.1} s wall clock: `{shown}`\n");
    if let Some((fresh, dirty)) = report::fresh_and_dirty(html) {
        let _ = writeln!(s, "{dirty} units compiled, {fresh} fresh (up to date)");
        if dirty == 0 {
            s.push_str(
                "nothing was compiled: the build was up to date (`--clean` times one from scratch)\n",
            );
        }
    }
    match report::units(html) {
        Some(units) if !units.is_empty() => {
            s.push_str("slowest units:\n");
            for u in report::slowest(units, top) {
                let _ = writeln!(s, "  {:>8.2} s  {}", u.duration, u.label());
            }
        }
        Some(_) => {}
        None => s.push_str(
            "(cargo's report has no unit data in the layout this version reads: the total only)\n",
        ),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timed_build() {
        let t = BuildTarget {
            package: "app".into(),
            kind: "bin",
            name: "app".into(),
        };
        assert_eq!(
            build_args(
                &t,
                true,
                Some(Path::new("/w/target/perfkit/timings/target"))
            )
            .join(" "),
            "build -p app --bin app --timings --release --target-dir /w/target/perfkit/timings/target"
        );
        assert_eq!(
            build_args(&t, false, None).join(" "),
            "build -p app --bin app --timings"
        );
        let Some(crate::flags::PerfkitCmd::Timings(f)) = crate::flags::parse_command(
            "timings",
            &[
                "--example",
                "demo",
                "-p",
                "app",
                "--release",
                "--clean",
                "-n",
                "3",
            ],
        )
        .unwrap() else {
            panic!("timings")
        };
        assert_eq!(
            (
                f.target().example,
                f.target().package,
                f.release,
                f.clean,
                f.top
            ),
            (Some("demo"), Some("app"), true, true, Some(3))
        );
        assert!(
            crate::flags::parse_command("timings", &["--bench", "x"])
                .unwrap_err()
                .message
                .contains("--bench")
        );
    }

    #[test]
    fn the_summary_names_the_slowest_units() {
        let html = "<td>Fresh units:</td><td>2</td>\n<td>Dirty units:</td><td>1</td>\n\
                    const UNIT_DATA = [\n  {\"name\": \"app\", \"version\": \"0.1.0\", \"target\": \" app \\\"bin\\\"\", \"duration\": 1.25}\n];";
        assert_eq!(
            summary_text(html, 1.5, "cargo build --timings", 5),
            "1.5 s wall clock: `cargo build --timings`\n1 units compiled, 2 fresh (up to date)\n\
             slowest units:\n      1.25 s  app v0.1.0 app \"bin\"\n"
        );
        let fresh = summary_text(
            "<td>Fresh units:</td><td>4</td><td>Dirty units:</td><td>0</td>",
            0.1,
            "c",
            5,
        );
        assert!(fresh.contains("nothing was compiled"), "{fresh}");
        assert!(fresh.contains("total only"), "{fresh}");
    }
}
