//! What every subcommand shares: the failure type, progress lines, running tools, and the
//! workspace's layout as cargo reports it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use std::sync::OnceLock;

use serde::Deserialize;

/// `--manifest-path`, when given before the command.
static MANIFEST_PATH: OnceLock<PathBuf> = OnceLock::new();
/// How the user invoked the tools (`cargo xtask` or `cargo perfkit`), for messages.
static PROGRAM: OnceLock<String> = OnceLock::new();

/// Takes a global `--manifest-path PATH` (or `--manifest-path=PATH`) out of `args`: it may
/// come anywhere before `--` and selects the workspace every command works on (the process
/// moves into that manifest's directory, so every cargo command it runs agrees).
pub fn take_manifest_path(args: &mut Vec<String>) -> Result<()> {
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let Some(i) = args[..end]
        .iter()
        .position(|a| a == "--manifest-path" || a.starts_with("--manifest-path="))
    else {
        return Ok(());
    };
    let value = match args[i].strip_prefix("--manifest-path=") {
        Some(v) => {
            let v = v.to_string();
            args.remove(i);
            v
        }
        None if i + 1 < end => {
            let v = args.remove(i + 1);
            args.remove(i);
            v
        }
        None => {
            return Err(Failure::new(
                "--manifest-path needs a value: the path of a Cargo.toml",
            ));
        }
    };
    let path = PathBuf::from(&value);
    let path = match path.canonicalize() {
        Ok(p) if p.is_file() => p,
        _ => {
            return Err(Failure::new(format!(
                "--manifest-path {value}: no such file (give the path of a Cargo.toml; see `{} --help`)",
                program()
            )));
        }
    };
    // Every cargo command the tools run then sees the same workspace as `cargo metadata`.
    if let Some(dir) = path.parent() {
        std::env::set_current_dir(dir).map_err(|e| Failure::io("enter", dir, &e))?;
    }
    let _ = MANIFEST_PATH.set(path);
    Ok(())
}

/// Records how the tools were invoked (`cargo xtask`, `cargo perfkit`).
pub fn set_program(program: &str) {
    let _ = PROGRAM.set(program.to_string());
}

/// How the tools were invoked, for messages: `cargo xtask` unless told otherwise.
pub fn program() -> &'static str {
    PROGRAM.get().map_or("cargo xtask", String::as_str)
}

/// Why a subcommand stopped: one line for the user, and the process exit status.
///
/// Exit status 2 means the task could not run (bad flags, a missing tool, a failed build);
/// 1 means it ran and found a problem (a regression, a budget exceeded, a missing tool in
/// `doctor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, one line.
    pub message: String,
    /// The command that fixes it, when there is one.
    pub fix: Option<String>,
    /// The process exit status.
    pub code: u8,
}

impl Failure {
    /// The task could not run (exit 2).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            fix: None,
            code: 2,
        }
    }

    /// A tool or file is missing; `fix` is the command that provides it (exit 2).
    pub fn missing(message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            fix: Some(fix.into()),
            ..Self::new(message)
        }
    }

    /// The task ran and found a problem (exit 1).
    pub fn found(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            ..Self::new(message)
        }
    }

    /// An I/O error on `path`.
    pub fn io(what: &str, path: &Path, err: &io::Error) -> Self {
        Self::new(format!("cannot {what} {}: {err}", path.display()))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", as_invoked(&self.message))?;
        if let Some(fix) = &self.fix {
            write!(f, " (fix: `{}`)", as_invoked(fix))?;
        }
        Ok(())
    }
}

/// `text` with the tools' name as the user invoked them: messages are written for
/// `cargo xtask`, and read `cargo perfkit` under that binary.
pub fn as_invoked(text: &str) -> String {
    text.replace("cargo xtask", program())
}

/// Every subcommand returns this.
pub type Result<T> = std::result::Result<T, Failure>;

/// A progress line on stderr, so stdout stays clean for reports.
pub fn progress(msg: impl fmt::Display) {
    eprintln!("==> {msg}");
}

/// A warning line on stderr.
pub fn warn(msg: impl fmt::Display) {
    eprintln!("warning: {msg}");
}

/// `cargo`, as the `CARGO` environment variable names it (the cargo running `cargo xtask`).
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `rustc`, as `RUSTC` names it, else the one on `PATH` (rustup honours the toolchain pin).
pub fn rustc() -> Command {
    Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
}

/// A command line as the user would type it, for messages.
pub fn display(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        let a = a.to_string_lossy();
        s.push(' ');
        if a.contains(' ') || a.is_empty() {
            s.push_str(&format!("'{a}'"));
        } else {
            s.push_str(&a);
        }
    }
    s
}

/// Runs `cmd` with inherited stdio; a non-zero exit is a failure naming the command.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .map_err(|e| Failure::new(format!("cannot run `{}`: {e}", display(cmd))))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "`{}` failed ({status})",
            display(cmd)
        )))
    }
}

/// Runs `cmd` and returns its stdout; a non-zero exit is a failure with stderr's last line.
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure::new(format!("cannot run `{}`: {e}", display(cmd))))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        Err(Failure::new(format!(
            "`{}` failed ({}): {last}",
            display(cmd),
            out.status
        )))
    }
}

/// Runs `cmd` and returns its stdout, or `None` if it cannot run or fails (for probes).
pub fn probe(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Creates `dir` and its parents.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Failure::io("create", dir, &e))
}

/// Writes `contents` to `path`, creating the parent directory.
pub fn write(path: &Path, contents: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        create_dir(dir)?;
    }
    std::fs::write(path, contents).map_err(|e| Failure::io("write", path, &e))
}

/// Reads `path` to a string.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Failure::io("read", path, &e))
}

/// The workspace as `cargo metadata --no-deps` describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Workspace {
    /// The directory holding the root Cargo.toml.
    pub workspace_root: PathBuf,
    /// `target/` (or `CARGO_TARGET_DIR`).
    pub target_directory: PathBuf,
    /// The member packages.
    pub packages: Vec<Package>,
    /// `[workspace.metadata]` of the root Cargo.toml (`null` when absent).
    #[serde(default)]
    pub metadata: serde_json::Value,
}

/// `[workspace.metadata.perfkit]`: a workspace's own settings for these tools.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    /// The binary `pgo` and `bloat` build when none is named:
    /// `default-target = { package = "app", example = "demo" }` (or `bin = "app"`).
    #[serde(default)]
    pub default_target: Option<DefaultTarget>,
    /// Contender roles for `bench` reports: `baseline`, `ours`, `hand` lists of names.
    #[serde(default)]
    pub bench: Option<serde_json::Value>,
}

/// `default-target` in [`Settings`].
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DefaultTarget {
    /// The package that has it.
    pub package: Option<String>,
    /// An example's name.
    pub example: Option<String>,
    /// A binary's name.
    pub bin: Option<String>,
}

/// One member package.
#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    /// Its name.
    pub name: String,
    /// Its build targets.
    pub targets: Vec<Target>,
    /// Its Cargo.toml.
    pub manifest_path: PathBuf,
    /// Its `[features]`.
    #[serde(default)]
    pub features: std::collections::BTreeMap<String, Vec<String>>,
}

/// One build target of a package.
#[derive(Debug, Clone, Deserialize)]
pub struct Target {
    /// Its name.
    pub name: String,
    /// `lib`, `bin`, `example`, `bench`, `test`, ...
    pub kind: Vec<String>,
}

impl Workspace {
    /// Asks cargo.
    pub fn load() -> Result<Self> {
        let mut cmd = cargo();
        cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
        if let Some(path) = MANIFEST_PATH.get() {
            cmd.arg("--manifest-path").arg(path);
        }
        let json = output(&mut cmd).map_err(|f| {
            Failure::missing(
                format!("no Cargo workspace here ({})", f.message),
                format!(
                    "cd into a Cargo project, or pass --manifest-path PATH/Cargo.toml to {}",
                    program()
                ),
            )
        })?;
        serde_json::from_str(&json)
            .map_err(|e| Failure::new(format!("cannot read `cargo metadata` output: {e}")))
    }

    /// `target/perfkit/<task>`.
    pub fn out_dir(&self, task: &str) -> PathBuf {
        self.target_directory.join("perfkit").join(task)
    }

    /// `[workspace.metadata.perfkit]`, or the defaults when there is none.
    pub fn settings(&self) -> Result<Settings> {
        match self.metadata.get("perfkit") {
            None => Ok(Settings::default()),
            Some(v) => Settings::deserialize(v).map_err(|e| {
                Failure::new(format!(
                    "[workspace.metadata.perfkit] in {}: {e}",
                    self.workspace_root.join("Cargo.toml").display()
                ))
            }),
        }
    }

    /// The package called `name`.
    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.name == name)
    }
}

impl Package {
    /// The names of this package's targets of `kind` (`bench`, `example`, `bin`).
    pub fn targets_of(&self, kind: &str) -> Vec<&str> {
        self.targets
            .iter()
            .filter(|t| t.kind.iter().any(|k| k == kind))
            .map(|t| t.name.as_str())
            .collect()
    }
}

/// The one binary a command builds: `--example`, `--bin` or `--bench`, and `-p`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetArgs<'a> {
    /// `--example NAME`.
    pub example: Option<&'a str>,
    /// `--bin NAME`.
    pub bin: Option<&'a str>,
    /// `--bench NAME` (pgo only).
    pub bench: Option<&'a str>,
    /// `-p PKG`.
    pub package: Option<&'a str>,
}

/// A binary to build: `--example NAME` or `--bin NAME` of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildTarget {
    /// The package.
    pub package: String,
    /// `example`, `bin` or `bench`.
    pub kind: &'static str,
    /// The target's name.
    pub name: String,
}

impl BuildTarget {
    /// `-p PKG --example NAME` (or `--bin NAME`).
    pub fn cargo_args(&self) -> Vec<String> {
        vec![
            "-p".into(),
            self.package.clone(),
            format!("--{}", self.kind),
            self.name.clone(),
        ]
    }

    /// The target `--example`/`--bin`/`--package` names. With none named: the workspace's
    /// `default-target` (`[workspace.metadata.perfkit]`), else its only binary.
    pub fn resolve(ws: &Workspace, p: TargetArgs<'_>) -> Result<Self> {
        let pkg_flag = p.package;
        let owned = pkg_flag.map(str::to_string);
        let (kind, name, pkg_flag) = match (p.example, p.bin, p.bench) {
            (Some(e), _, _) => ("example", e.to_string(), owned),
            (None, Some(b), _) => ("bin", b.to_string(), owned),
            (None, None, Some(b)) => ("bench", b.to_string(), owned),
            (None, None, None) => Self::default_for(ws, pkg_flag)?,
        };
        let pkg_flag = pkg_flag.as_deref();
        let candidates: Vec<&Package> = match pkg_flag {
            Some(pk) => vec![
                ws.package(pk)
                    .ok_or_else(|| Failure::new(format!("no package `{pk}` in this workspace")))?,
            ],
            None => ws.packages.iter().collect(),
        };
        let owners: Vec<&str> = candidates
            .iter()
            .filter(|pk| pk.targets_of(kind).contains(&name.as_str()))
            .map(|pk| pk.name.as_str())
            .collect();
        match owners.as_slice() {
            [one] => Ok(Self {
                package: (*one).to_string(),
                kind,
                name,
            }),
            [] => Err(Failure::new(format!(
                "no {kind} named `{name}` in {}",
                pkg_flag.map_or_else(
                    || "this workspace".to_string(),
                    |p| format!("package `{p}`")
                )
            ))),
            many => Err(Failure::new(format!(
                "{kind} `{name}` exists in several packages ({}); pick one with -p",
                many.join(", ")
            ))),
        }
    }
}

impl BuildTarget {
    /// The target to use when none is named: `(kind, name, package)`.
    fn default_for(
        ws: &Workspace,
        pkg_flag: Option<&str>,
    ) -> Result<(&'static str, String, Option<String>)> {
        let set = |kind| {
            format!(
                "name one with --bin NAME or --example NAME, or set `default-target = {{ package = \"PKG\", {kind} = \"NAME\" }}` under [workspace.metadata.perfkit] in {}",
                ws.workspace_root.join("Cargo.toml").display()
            )
        };
        if let Some(d) = ws.settings()?.default_target {
            let pkg = pkg_flag.map(str::to_string).or(d.package);
            return match (d.example, d.bin) {
                (Some(e), None) => Ok(("example", e, pkg)),
                (None, Some(b)) => Ok(("bin", b, pkg)),
                _ => Err(Failure::new(format!(
                    "[workspace.metadata.perfkit] default-target needs exactly one of `example` or `bin` in {}",
                    ws.workspace_root.join("Cargo.toml").display()
                ))),
            };
        }
        let bins: Vec<(&str, &str)> = ws
            .packages
            .iter()
            .filter(|pk| pkg_flag.is_none_or(|f| f == pk.name))
            .flat_map(|pk| {
                pk.targets_of("bin")
                    .into_iter()
                    .map(|b| (pk.name.as_str(), b))
            })
            .collect();
        match bins.as_slice() {
            [(pkg, bin)] => Ok(("bin", (*bin).to_string(), Some((*pkg).to_string()))),
            [] => Err(Failure::new(format!(
                "no binary target to build here: {}",
                set("example")
            ))),
            many => Err(Failure::new(format!(
                "several binaries ({}): {}",
                many.iter().map(|(_, b)| *b).collect::<Vec<_>>().join(", "),
                set("bin")
            ))),
        }
    }
}

/// A byte count for people: `812 B`, `97.4 KiB`, `3.21 MiB`.
pub fn human_bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f < KIB {
        format!("{n} B")
    } else if f < KIB * KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{:.2} MiB", f / (KIB * KIB))
    }
}

/// A duration in nanoseconds for people: `338.4 ns`, `2.106 µs`, `18.74 ms`, `1.234 s`.
pub fn human_ns(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    // Four significant figures, like criterion.
    if v >= 100.0 {
        format!("{v:.1} {unit}")
    } else if v >= 10.0 {
        format!("{v:.2} {unit}")
    } else {
        format!("{v:.3} {unit}")
    }
}

/// The median of `xs` (the mean of the middle two for an even count); `None` when empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_is_one_line_with_its_fix() {
        let f = Failure::missing(
            "cargo-bloat is not installed",
            "cargo install cargo-bloat --locked",
        );
        assert_eq!(
            f.to_string(),
            "error: cargo-bloat is not installed (fix: `cargo install cargo-bloat --locked`)"
        );
        assert_eq!(f.code, 2);
        assert_eq!(Failure::found("2 regressions").code, 1);
        assert!(!f.to_string().contains('\n'));
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_bytes(99_737), "97.4 KiB");
        assert_eq!(human_bytes(3_365_000), "3.21 MiB");
        assert_eq!(human_ns(338.38), "338.4 ns");
        assert_eq!(human_ns(2105.8), "2.106 µs");
        assert_eq!(human_ns(18_744.0), "18.74 µs");
        assert_eq!(human_ns(1.234e9), "1.234 s");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    fn workspace() -> Workspace {
        let pkg = |name: &str, targets: &[(&str, &str)]| Package {
            name: name.into(),
            manifest_path: format!("/w/{name}/Cargo.toml").into(),
            features: Default::default(),
            targets: targets
                .iter()
                .map(|(n, k)| Target {
                    name: (*n).into(),
                    kind: vec![(*k).into()],
                })
                .collect(),
        };
        Workspace {
            workspace_root: "/w".into(),
            target_directory: "/w/target".into(),
            metadata: serde_json::json!({
                "perfkit": { "default-target": { "package": "perfkit", "example": "pgo_workload" } }
            }),
            packages: vec![
                pkg(
                    "perfkit",
                    &[("perfkit", "lib"), ("pgo_workload", "example")],
                ),
                pkg("tool", &[("tool", "bin"), ("demo", "example")]),
                pkg("other", &[("demo", "example")]),
            ],
        }
    }

    /// The target flags of `pgo ARGS`.
    fn pgo_flags(args: &[&str]) -> crate::flags::Pgo {
        let mut v = vec!["pgo".to_string()];
        v.extend(args.iter().map(|a| (*a).to_string()));
        match crate::flags::parse(v).unwrap().unwrap().subcommand {
            crate::flags::PerfkitCmd::Pgo(p) => p,
            _ => unreachable!("pgo"),
        }
    }

    fn resolve(args: &[&str]) -> Result<BuildTarget> {
        BuildTarget::resolve(&workspace(), pgo_flags(args).target())
    }

    #[test]
    fn targets_resolve() {
        let t = resolve(&[]).unwrap();
        assert_eq!(
            (t.package.as_str(), t.kind, t.name.as_str()),
            ("perfkit", "example", "pgo_workload")
        );
        assert_eq!(
            t.cargo_args(),
            ["-p", "perfkit", "--example", "pgo_workload"]
        );
        let t = resolve(&["--bin", "tool"]).unwrap();
        assert_eq!((t.package.as_str(), t.kind), ("tool", "bin"));
        assert!(
            resolve(&["--example", "demo"])
                .unwrap_err()
                .message
                .contains("several packages (tool, other)")
        );
        assert_eq!(
            resolve(&["--example", "demo", "-p", "other"])
                .unwrap()
                .package,
            "other"
        );
        assert_eq!(
            resolve(&["--bin", "nope"]).unwrap_err().message,
            "no bin named `nope` in this workspace"
        );
        assert_eq!(
            resolve(&["-p", "zzz"]).unwrap_err().message,
            "no package `zzz` in this workspace"
        );
        // Without a configured default: the workspace's only binary, else a clear error.
        let mut ws = workspace();
        ws.metadata = serde_json::Value::Null;
        let t = BuildTarget::resolve(&ws, pgo_flags(&[]).target()).unwrap();
        assert_eq!(
            (t.package.as_str(), t.kind, t.name.as_str()),
            ("tool", "bin", "tool")
        );
        ws.packages[2].targets.push(Target {
            name: "second".into(),
            kind: vec!["bin".into()],
        });
        let err = BuildTarget::resolve(&ws, pgo_flags(&[]).target())
            .unwrap_err()
            .message;
        assert!(err.contains("several binaries (tool, second)"), "{err}");
        assert!(err.contains("default-target"), "{err}");
        ws.metadata =
            serde_json::json!({ "perfkit": { "default-target": { "bin": "x", "example": "y" } } });
        let err = BuildTarget::resolve(&ws, pgo_flags(&[]).target())
            .unwrap_err()
            .message;
        assert!(err.contains("exactly one of"), "{err}");
        ws.metadata = serde_json::json!({ "perfkit": { "typo": 1 } });
        let err = BuildTarget::resolve(&ws, pgo_flags(&[]).target())
            .unwrap_err()
            .message;
        assert!(err.contains("unknown field `typo`"), "{err}");
    }

    #[test]
    fn command_display_quotes_spaces() {
        let mut c = Command::new("cargo");
        c.args(["bench", "--", "a b"]);
        assert_eq!(display(&c), "cargo bench -- 'a b'");
    }
}
