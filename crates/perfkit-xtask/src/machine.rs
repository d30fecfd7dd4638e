//! Facts about the machine and toolchain, for report headers: CPU model, the SIMD level
//! perfkit's dispatch would pick, core count, rustc and LLVM versions, git commit, date, load.

use serde::{Deserialize, Serialize};

use crate::util::{Failure, Result, output, probe, rustc};

/// The header every report starts with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name (`/proc/cpuinfo`).
    pub cpu: String,
    /// The SIMD level (`avx512`, `avx2`, `sse41`, `neon`, `scalar`).
    pub simd_level: String,
    /// Where the level came from.
    pub simd_source: String,
    /// Logical cores available to this process.
    pub cores: usize,
    /// `rustc` release, e.g. `1.95.0`.
    pub rustc: String,
    /// LLVM version rustc uses, e.g. `22.1.2`.
    pub llvm: String,
    /// The host target triple.
    pub host: String,
    /// `git rev-parse --short HEAD`, with `-dirty` when the tree has changes.
    pub git_commit: String,
    /// UTC date and time, `YYYY-MM-DD HH:MM:SS UTC`.
    pub date: String,
    /// 1/5/15-minute load averages when the OS reports them.
    pub load: Option<String>,
}

/// What `rustc -vV` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustcInfo {
    /// `release:` (e.g. `1.95.0`).
    pub release: String,
    /// `LLVM version:` (e.g. `22.1.2`).
    pub llvm: String,
    /// `host:` (e.g. `x86_64-unknown-linux-gnu`).
    pub host: String,
}

impl RustcInfo {
    /// Runs `rustc -vV`.
    pub fn detect() -> Result<Self> {
        let text = output(rustc().arg("-vV"))?;
        Self::parse(&text)
            .ok_or_else(|| Failure::new(format!("cannot read `rustc -vV` output: {text}")))
    }

    /// Parses `rustc -vV` output.
    pub fn parse(text: &str) -> Option<Self> {
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
        };
        Some(Self {
            release: field("release:")?,
            llvm: field("LLVM version:")?,
            host: field("host:")?,
        })
    }

    /// The LLVM major version.
    pub fn llvm_major(&self) -> Option<u32> {
        self.llvm.split('.').next()?.parse().ok()
    }
}

/// The `model name` (x86) or `CPU part`/`Hardware` line of `/proc/cpuinfo`.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    ["model name", "Hardware", "Model", "CPU part"]
        .iter()
        .find_map(|key| {
            cpuinfo.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == *key).then(|| v.trim().to_string())
            })
        })
}

/// The SIMD level perfkit's kernels run at on this machine, as perfkit-simd detects it
/// (`PERFKIT_SIMD` included), and where that came from.
pub fn simd_level() -> (&'static str, String) {
    let level = perfkit_simd::Level::detected();
    let mut source = String::from("perfkit_simd::Level::detected()");
    if let Ok(env) = std::env::var("PERFKIT_SIMD") {
        source.push_str(&format!(", with PERFKIT_SIMD={env}"));
    }
    (level.name(), source)
}

/// The git commit of the workspace at `root`, `-dirty` when there are uncommitted changes.
pub fn git_commit(root: &std::path::Path) -> String {
    let root = &*root.to_string_lossy();
    let Some(head) = probe(std::process::Command::new("git").args([
        "-C",
        root,
        "rev-parse",
        "--short=12",
        "HEAD",
    ])) else {
        return "unknown (not a git checkout)".into();
    };
    let dirty =
        probe(std::process::Command::new("git").args(["-C", root, "status", "--porcelain"]))
            .is_some_and(|s| !s.trim().is_empty());
    format!("{}{}", head.trim(), if dirty { "-dirty" } else { "" })
}

/// `YYYY-MM-DD HH:MM:SS UTC` for `secs` since the Unix epoch (proleptic Gregorian calendar).
pub fn utc_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Now, as [`utc_date`].
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_date(secs)
}

/// The load averages from `/proc/loadavg`, e.g. `1.02 0.87 0.55`.
pub fn load() -> Option<String> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

impl Machine {
    /// Gathers the facts (the git commit is the workspace's at `root`).
    pub fn detect(root: &std::path::Path) -> Result<Self> {
        let rustc = RustcInfo::detect()?;
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let (level, source) = simd_level();
        Ok(Self {
            cpu: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".into()),
            simd_level: level.into(),
            simd_source: source,
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            rustc: rustc.release,
            llvm: rustc.llvm,
            host: rustc.host,
            git_commit: git_commit(root),
            date: now(),
            load: load(),
        })
    }

    /// `(label, value)` rows for report headers.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows = vec![
            ("CPU", self.cpu.clone()),
            (
                "SIMD level",
                format!("{} ({})", self.simd_level, self.simd_source),
            ),
            ("cores", self.cores.to_string()),
            ("rustc", format!("{} ({})", self.rustc, self.host)),
            ("LLVM", self.llvm.clone()),
            ("git commit", self.git_commit.clone()),
            ("date", self.date.clone()),
        ];
        if let Some(load) = &self.load {
            rows.push(("load average (1/5/15 min)", load.clone()));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPYC: &str = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse sse2 pni ssse3 fma sse4_1 sse4_2 popcnt avx abm bmi1 avx2 bmi2\n";

    #[test]
    fn reads_model_and_flags() {
        assert_eq!(cpu_model(EPYC).as_deref(), Some("AMD EPYC"));
        assert_eq!(cpu_model(""), None);
    }

    #[test]
    fn simd_level_is_perfkits_own() {
        let (level, source) = simd_level();
        assert_eq!(level, perfkit_simd::Level::detected().name());
        assert!(source.starts_with("perfkit_simd::Level::detected()"));
    }

    #[test]
    fn rustc_vv() {
        let info = RustcInfo::parse(
            "rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\nLLVM version: 22.1.2\n",
        )
        .unwrap();
        assert_eq!(info.release, "1.95.0");
        assert_eq!(info.llvm, "22.1.2");
        assert_eq!(info.llvm_major(), Some(22));
        assert_eq!(info.host, "x86_64-unknown-linux-gnu");
        assert_eq!(RustcInfo::parse("rustc 1.0\n"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_date(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_date(1_795_307_478), "2026-11-22 00:31:18 UTC");
    }
}
