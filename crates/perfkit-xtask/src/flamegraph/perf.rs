//! Linux `perf`, as `flamegraph` and `doctor` need it: found, allowed to record, run.
//!
//! The binary is `perf` on `PATH`, or the one the `PERF` environment variable names (another
//! build of perf, or, in tests, one that does not exist). Before anything is built, perf must
//! run and be allowed to record: `kernel.perf_event_paranoid` above 2 forbids unprivileged
//! users any recording (Debian's default is 3), and a container may forbid `perf_event_open`
//! whatever the setting says; a one-second probe (`perf record` of `true`) catches both.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::system::{self, SystemTool};
use crate::util::{self, Failure, Result};

/// Where the kernel says who may record.
pub const PARANOID_FILE: &str = "/proc/sys/kernel/perf_event_paranoid";

/// The command that lets unprivileged users record (their own processes and the kernel).
pub const ALLOW_RECORDING: &str = "sudo sysctl kernel.perf_event_paranoid=1";

/// The event sampled: the software cpu-clock timer, which every Linux (and every VM, where
/// the hardware counters behind `cycles` are often absent) provides.
pub const EVENT: &str = "cpu-clock";

/// A `perf` that runs.
#[derive(Debug, Clone)]
pub struct Perf {
    /// The binary.
    pub program: OsString,
    /// `perf --version`, e.g. `perf version 6.1.187`.
    pub version: String,
}

/// How `perf record` walks the stack at each sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallGraph {
    /// Follow the frame-pointer chain. The default: the profiled build forces frame pointers
    /// in every crate it compiles, and Rust's prebuilt std has them too (since 1.79), so the
    /// stacks from user code through std's `lang_start` to `main` are whole; each sample is
    /// a few hundred bytes and `perf script` is quick. What it misses: inlined functions
    /// (they are their caller's samples) and the immediate caller of a C function built
    /// without frame pointers (glibc's `memcpy`, `malloc`).
    Fp,
    /// Copy 8 KiB of stack per sample and unwind it later with DWARF CFI: also inlined
    /// functions and C callers, at about 80 times the data and stacks deeper than the copy
    /// cut short.
    Dwarf,
}

impl CallGraph {
    /// `fp` or `dwarf` (`--call-graph`); `fp` when not given.
    pub fn parse(given: Option<&str>) -> Result<Self> {
        match given {
            None | Some("fp") => Ok(Self::Fp),
            Some("dwarf") => Ok(Self::Dwarf),
            Some(other) => Err(Failure::new(format!(
                "--call-graph {other}: must be `fp` or `dwarf` (see `cargo xtask flamegraph --help`)"
            ))),
        }
    }

    /// perf's name for it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fp => "fp",
            Self::Dwarf => "dwarf",
        }
    }
}

/// The perf binary: `PERF`, else `perf` on `PATH`.
fn program() -> OsString {
    std::env::var_os("PERF").unwrap_or_else(|| "perf".into())
}

/// The first line of perf's complaint in `stderr`: not its `Error:` header, its progress
/// lines or blank lines.
fn reason(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && *l != "Error:" && !l.starts_with("[ perf record:"))
        .unwrap_or("no message")
        .to_string()
}

/// Finds perf and checks that it runs; a missing one is a failure with the install command.
pub fn find() -> Result<Perf> {
    let program = program();
    let shown = program.to_string_lossy().into_owned();
    let install = || system::install_command(&system::os_release(), SystemTool::Perf);
    let out = Command::new(&program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::NotFound {
                format!("perf is not installed (no `{shown}` on PATH)")
            } else {
                format!("cannot run `{shown}`: {e}")
            };
            Failure::missing(format!("{what}; flamegraph records with it"), install())
        })?;
    if !out.status.success() {
        // Debian's /usr/bin/perf is a wrapper that fails when the running kernel's perf is
        // missing.
        return Err(Failure::missing(
            format!(
                "`{shown} --version` fails: {}",
                reason(&String::from_utf8_lossy(&out.stderr))
            ),
            install(),
        ));
    }
    let version = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    Ok(Perf { program, version })
}

/// Whether this process may record with perf whatever the paranoid level: it has
/// `CAP_PERFMON` (bit 38) or `CAP_SYS_ADMIN` (bit 21) in its effective set (`CapEff:` of
/// `/proc/self/status`), as root normally does.
#[must_use]
pub fn privileged(proc_status: &str) -> bool {
    proc_status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 38 | 1 << 21) != 0)
}

/// Whether `kernel.perf_event_paranoid` at `level` lets a process record its own user-space
/// code: up to 2 it does for everyone; above 2 only for privileged processes.
#[must_use]
pub fn paranoid_allows(level: i32, privileged: bool) -> bool {
    privileged || level <= 2
}

/// Checks that perf may record here: the paranoid level first (the reason said plainly), then
/// a probe recording of `true`, which catches what the level does not (a container without
/// `perf_event_open`). Returns what was found, e.g. `perf_event_paranoid 2`.
pub fn check_can_record(perf: &Perf) -> Result<String> {
    let level = std::fs::read_to_string(PARANOID_FILE)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok());
    let privileged = privileged(&std::fs::read_to_string("/proc/self/status").unwrap_or_default());
    if let Some(level) = level
        && !paranoid_allows(level, privileged)
    {
        return Err(Failure::missing(
            format!(
                "kernel.perf_event_paranoid is {level}: only privileged users may record with perf"
            ),
            ALLOW_RECORDING,
        ));
    }
    let out = Command::new(&perf.program)
        .args(["record", "-q", "-e", EVENT, "-o", "/dev/null", "--", "true"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure::new(format!("cannot run perf: {e}")))?;
    if !out.status.success() {
        return Err(Failure::missing(
            format!(
                "perf cannot record the {EVENT} event here: {}",
                reason(&String::from_utf8_lossy(&out.stderr))
            ),
            ALLOW_RECORDING,
        ));
    }
    Ok(match level {
        Some(l) if privileged => format!("perf_event_paranoid {l}, privileged"),
        Some(l) => format!("perf_event_paranoid {l}"),
        None => "records".into(),
    })
}

/// What `record` samples and where it writes.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    /// Samples per second.
    pub freq: u32,
    /// How stacks are walked.
    pub call_graph: CallGraph,
    /// The `perf.data` file.
    pub data: &'a Path,
}

impl Recording<'_> {
    /// `perf record`'s arguments before the program.
    #[must_use]
    pub fn args(&self) -> Vec<OsString> {
        let mut a: Vec<OsString> = ["record", "-e", EVENT, "-F"]
            .iter()
            .map(OsString::from)
            .collect();
        a.push(self.freq.to_string().into());
        a.push("-g".into());
        a.push("--call-graph".into());
        a.push(self.call_graph.as_str().into());
        a.push("-o".into());
        a.push(self.data.into());
        a.push("--".into());
        a
    }

    /// Runs `exe args` under `perf record` in `dir`; the program's output goes to stderr so
    /// stdout keeps the results. A program that fails fails the recording.
    pub fn run(&self, perf: &Perf, exe: &Path, args: &[String], dir: &Path) -> Result<()> {
        let mut cmd = Command::new(&perf.program);
        cmd.args(self.args())
            .arg(exe)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(std::io::stderr()));
        util::run(&mut cmd)
    }
}

/// The fields `script` prints: without `period`, so each sample counts once when folded
/// (inferno weights a sample by its period when perf prints one: nanoseconds, for cpu-clock).
pub const SCRIPT_FIELDS: &str = "comm,pid,tid,time,event,ip,sym,dso";

/// `perf script` of `data`: one block of text per sample, its stack innermost first.
pub fn script(perf: &Perf, data: &Path) -> Result<String> {
    util::output(
        Command::new(&perf.program)
            .args(["script", "-F", SCRIPT_FIELDS, "-i"])
            .arg(data),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_record() {
        assert!(paranoid_allows(2, false), "2 allows user-space profiling");
        assert!(paranoid_allows(-1, false));
        assert!(!paranoid_allows(3, false), "Debian's 3 forbids it");
        assert!(paranoid_allows(3, true), "unless privileged");
        let root = "Name:\tcat\nUid:\t0\t0\t0\t0\nCapEff:\t000001fffeffffff\n";
        assert!(privileged(root));
        let user = "Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000000000\n";
        assert!(!privileged(user));
        let perfmon_only = format!("CapEff:\t{:016x}\n", 1u64 << 38);
        assert!(privileged(&perfmon_only));
        assert!(!privileged(""), "unknown is unprivileged");
    }

    #[test]
    fn perfs_complaint_is_its_first_real_line() {
        let denied = "Error:\nAccess to performance monitoring and observability operations is limited.\nConsider adjusting /proc/sys/kernel/perf_event_paranoid setting\n";
        assert_eq!(
            reason(denied),
            "Access to performance monitoring and observability operations is limited."
        );
        assert_eq!(reason("\n\n"), "no message");
    }

    #[test]
    fn record_arguments() {
        let r = Recording {
            freq: 999,
            call_graph: CallGraph::parse(None).unwrap(),
            data: Path::new("/t/perfkit/flamegraph/app.perf.data"),
        };
        let args: Vec<String> = r
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args.join(" "),
            "record -e cpu-clock -F 999 -g --call-graph fp -o /t/perfkit/flamegraph/app.perf.data --"
        );
        assert_eq!(CallGraph::parse(Some("dwarf")).unwrap(), CallGraph::Dwarf);
        let e = CallGraph::parse(Some("lbr")).unwrap_err().message;
        assert!(e.contains("`fp` or `dwarf`"), "{e}");
    }
}
