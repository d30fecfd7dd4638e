//! Timing the builds: runs of the workload (wall clock, and the children's CPU time where
//! the OS reports it), their medians and the speedups between builds.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::util::{self, Failure, Result};

/// One timed run: wall-clock seconds, and CPU seconds (user + system) where the OS reports
/// them, which machine load disturbs less than wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Timing {
    pub(super) wall: f64,
    pub(super) cpu: Option<f64>,
}

/// CPU seconds used by this process's waited-for children, from `/proc/self/stat`'s
/// `cutime` and `cstime` fields (in USER_HZ ticks, 100 per second on Linux).
#[must_use]
pub fn children_cpu_seconds(stat: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may contain spaces: skip past it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); cutime is field 16, cstime field 17.
    let cutime: u64 = fields.get(13)?.parse().ok()?;
    let cstime: u64 = fields.get(14)?.parse().ok()?;
    Some((cutime + cstime) as f64 / 100.0)
}

fn children_cpu() -> Option<f64> {
    children_cpu_seconds(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

pub(super) fn run_workload(
    exe: &Path,
    args: &[String],
    cwd: &Path,
    capture: bool,
) -> Result<(Timing, String)> {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .stdout(if capture {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let cpu_before = children_cpu();
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| Failure::new(format!("cannot run {}: {e}", exe.display())))?;
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_before.zip(children_cpu()).map(|(a, b)| b - a);
    if !out.status.success() {
        return Err(Failure::new(format!(
            "`{}` failed ({})",
            util::display(&cmd),
            out.status
        )));
    }
    Ok((
        Timing { wall, cpu },
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// Median seconds of one build's runs: wall clock, and CPU time when every run has it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Summary {
    pub(super) wall: f64,
    pub(super) cpu: Option<f64>,
}

impl Summary {
    pub(super) fn of(runs: &[Timing]) -> Self {
        let walls: Vec<f64> = runs.iter().map(|t| t.wall).collect();
        let cpus: Option<Vec<f64>> = runs.iter().map(|t| t.cpu).collect();
        Self {
            wall: util::median(&walls).unwrap_or(f64::NAN),
            cpu: cpus.and_then(|c| util::median(&c)),
        }
    }
}

/// The headline figures: PGO against plain release (what switching gives), and against the
/// same `pgo` profile built without profile data (PGO's own share, fat LTO set aside); on
/// CPU time when measured, else wall clock.
pub(super) fn speedup_lines(release: &Summary, lto_only: &Summary, pgo: &Summary) -> Vec<String> {
    let pick = |s: &Summary, cpu: bool| if cpu { s.cpu } else { Some(s.wall) };
    let mut out = Vec::new();
    for (what, cpu) in [("CPU time", true), ("wall clock", false)] {
        let (Some(r), Some(l), Some(p)) = (pick(release, cpu), pick(lto_only, cpu), pick(pgo, cpu))
        else {
            continue;
        };
        out.push(format!(
            "{what}: PGO {p:.3} s vs release {r:.3} s: {:.3}× faster; vs the same profile without \
             profile data {l:.3} s: {:.3}× (PGO's own share)",
            r / p,
            l / p
        ));
    }
    out
}
