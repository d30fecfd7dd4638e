//! The builds `pgo` compares: the flags each gets (the user's rustflags, read as cargo reads
//! them, plus the profile flags) and the `pgo` profile a workspace may lack.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::util::{self, BuildTarget, Failure, Result};

/// The user's rustc flags as cargo would read them: `CARGO_ENCODED_RUSTFLAGS` (separated by
/// `\x1f`) wins over `RUSTFLAGS` (separated by whitespace), as in cargo itself.
#[must_use]
pub fn user_rustflags(encoded: Option<&str>, plain: Option<&str>) -> Vec<String> {
    match (encoded, plain) {
        (Some(e), _) => e
            .split('\x1f')
            .filter(|f| !f.is_empty())
            .map(String::from)
            .collect(),
        (None, Some(p)) => p.split_whitespace().map(String::from).collect(),
        (None, None) => Vec::new(),
    }
}

/// The rustc flags cargo's config files give builds for `host` when no environment variable
/// sets them: `target.<host>.rustflags` if any file sets it, else `build.rustflags`, each
/// merged over the files cargo reads (`$CARGO_HOME/config.toml`, then `.cargo/config.toml`
/// from the filesystem root down to `dir`; later files' flags come later). A string value is
/// split on whitespace, as cargo does. (`target.'cfg(..)'.rustflags` tables are not read.)
///
/// `pgo` passes every build its flags through `CARGO_ENCODED_RUSTFLAGS`, which makes cargo
/// ignore these files; so it reads them itself, and every build it compares gets them.
pub fn config_rustflags(
    dir: &Path,
    cargo_home: Option<&Path>,
    host: &str,
) -> std::result::Result<Vec<String>, String> {
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(home) = cargo_home {
        files.push(home.join("config.toml"));
        files.push(home.join("config"));
    }
    let ancestors: Vec<&Path> = dir.ancestors().collect();
    for a in ancestors.into_iter().rev() {
        files.push(a.join(".cargo").join("config.toml"));
        files.push(a.join(".cargo").join("config"));
    }
    let (mut build, mut target, mut seen_target) = (Vec::new(), Vec::new(), false);
    let mut read_files = std::collections::HashSet::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        // `$CARGO_HOME` may also be an ancestor's `.cargo`: read each file once.
        if !read_files.insert(f.canonicalize().unwrap_or_else(|_| f.clone())) {
            continue;
        }
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| format!("{}: {e}", f.display()))?;
        let flags = |v: Option<&toml::Value>| -> std::result::Result<Option<Vec<String>>, String> {
            match v {
                None => Ok(None),
                Some(toml::Value::String(s)) => {
                    Ok(Some(s.split_whitespace().map(String::from).collect()))
                }
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(String::from)
                            .ok_or_else(|| format!("{}: rustflags must be strings", f.display()))
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map(Some),
                Some(_) => Err(format!(
                    "{}: rustflags must be a string or an array of strings",
                    f.display()
                )),
            }
        };
        if let Some(b) = flags(doc.get("build").and_then(|b| b.get("rustflags")))? {
            build.extend(b);
        }
        let t = doc
            .get("target")
            .and_then(|t| t.get(host))
            .and_then(|t| t.get("rustflags"));
        if let Some(t) = flags(t)? {
            seen_target = true;
            target.extend(t);
        }
    }
    Ok(if seen_target { target } else { build })
}

/// The rustc flags the user's builds get, as cargo would pick them: `CARGO_ENCODED_RUSTFLAGS`
/// or `RUSTFLAGS` when set, else the config files' (see [`config_rustflags`]). Tools that
/// pass their own flags through `CARGO_ENCODED_RUSTFLAGS` (which hides the config files from
/// cargo) start from these, so every build they compare keeps the user's flags.
pub fn effective_rustflags(host: &str) -> Result<Vec<String>> {
    let encoded = std::env::var("CARGO_ENCODED_RUSTFLAGS").ok();
    let plain = std::env::var("RUSTFLAGS").ok();
    if encoded.is_some() || plain.is_some() {
        return Ok(user_rustflags(encoded.as_deref(), plain.as_deref()));
    }
    let cwd =
        std::env::current_dir().map_err(|e| Failure::new(format!("no current directory: {e}")))?;
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    config_rustflags(&cwd, home.as_deref(), host).map_err(Failure::new)
}

/// Flags for the instrumented build: the user's, then `-Cprofile-generate=<dir>`.
#[must_use]
pub fn instrument_flags(user: &[String], profile_dir: &Path) -> Vec<String> {
    let mut f = user.to_vec();
    f.push(format!("-Cprofile-generate={}", profile_dir.display()));
    f
}

/// Flags for the optimized build: the user's, `-Cprofile-use=<merged>`, and the LLVM option
/// that warns about every function the profile has no data for (counted in the report).
#[must_use]
pub fn optimize_flags(user: &[String], merged: &Path) -> Vec<String> {
    let mut f = user.to_vec();
    f.push(format!("-Cprofile-use={}", merged.display()));
    f.push("-Cllvm-args=-pgo-warn-missing-function".into());
    f
}

/// `CARGO_ENCODED_RUSTFLAGS` for `flags` (`\x1f`-separated, so paths may contain spaces).
#[must_use]
pub fn encode(flags: &[String]) -> String {
    flags.join("\x1f")
}

/// Outcome of one cargo build.
pub struct Built {
    /// The executable cargo reported for the target.
    pub exe: PathBuf,
    /// The "no profile data available for function" warnings (counted, not shown).
    pub missing_profile_warnings: usize,
}

/// Whether the root manifest at `manifest` declares `[profile.pgo]`.
#[must_use]
pub fn declares_pgo_profile(manifest: &str) -> bool {
    manifest
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("profile")?.get("pgo").cloned())
        .is_some()
}

/// `--config` arguments that define the `pgo` profile (release with fat LTO) for a
/// workspace that does not declare one; none when it does (its own settings win).
#[must_use]
pub fn pgo_profile_config(declared: bool) -> Vec<String> {
    if declared {
        Vec::new()
    } else {
        [
            "--config",
            "profile.pgo.inherits=\"release\"",
            "--config",
            "profile.pgo.lto=\"fat\"",
        ]
        .map(String::from)
        .to_vec()
    }
}

/// Builds `target` and returns its executable. Diagnostics are rendered to stderr, except the
/// per-function "no profile data" warnings, which are only counted.
pub fn build(
    target: &BuildTarget,
    extra_config: &[String],
    profile: &str,
    target_dir: Option<&Path>,
    rustflags: Option<&[String]>,
) -> Result<Built> {
    let mut cmd = util::cargo();
    cmd.arg("build")
        .args(target.cargo_args())
        .args(["--profile", profile, "--message-format", "json"])
        .args(extra_config)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(dir) = target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    if let Some(flags) = rustflags {
        cmd.env("CARGO_ENCODED_RUSTFLAGS", encode(flags))
            .env_remove("RUSTFLAGS");
    }
    let shown = util::display(&cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| Failure::new(format!("cannot run `{shown}`: {e}")))?;
    let mut exe = None;
    let mut missing = 0;
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout)
        .lines()
        .map_while(std::result::Result::ok)
    {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        match msg["reason"].as_str() {
            Some("compiler-artifact") if msg["target"]["name"] == target.name.as_str() => {
                if let Some(e) = msg["executable"].as_str() {
                    exe = Some(PathBuf::from(e));
                }
            }
            Some("compiler-message") => {
                let text = msg["message"]["message"].as_str().unwrap_or("");
                if text.contains("no profile data available for function") {
                    missing += 1;
                } else if let Some(r) = msg["message"]["rendered"].as_str() {
                    eprint!("{r}");
                }
            }
            _ => {}
        }
    }
    let status = child
        .wait()
        .map_err(|e| Failure::new(format!("cannot wait for `{shown}`: {e}")))?;
    if !status.success() {
        return Err(Failure::new(format!("`{shown}` failed ({status})")));
    }
    let exe = exe.ok_or_else(|| {
        Failure::new(format!(
            "`{shown}` produced no executable for `{}`",
            target.name
        ))
    })?;
    Ok(Built {
        exe,
        missing_profile_warnings: missing,
    })
}
