//! Which bench targets `bench` runs: every `[[bench]]` with `harness = false` in the
//! workspace's member packages (criterion and perfkit-bench both need their own `main`; a
//! target on libtest's harness needs nightly and has no results `bench` could read).

use serde::Deserialize;

use crate::util::{self, Failure, Result, Workspace};

/// One bench target to run: `cargo bench -p PACKAGE --bench NAME`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BenchTarget {
    /// The package that has it.
    pub package: String,
    /// The target's name.
    pub name: String,
}

impl std::fmt::Display for BenchTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.package, self.name)
    }
}

/// The part of a Cargo.toml this needs.
#[derive(Debug, Default, Deserialize)]
struct Manifest {
    #[serde(default)]
    bench: Vec<BenchEntry>,
}

#[derive(Debug, Deserialize)]
struct BenchEntry {
    name: String,
    #[serde(default = "yes")]
    harness: bool,
}

fn yes() -> bool {
    true
}

/// The `harness = false` bench targets declared in `manifest` (a Cargo.toml's text).
pub fn declared(manifest: &str) -> std::result::Result<Vec<String>, toml::de::Error> {
    let m: Manifest = toml::from_str(manifest)?;
    Ok(m.bench
        .into_iter()
        .filter(|b| !b.harness)
        .map(|b| b.name)
        .collect())
}

/// Every `harness = false` bench target of the workspace's members, sorted.
pub fn harness_false(ws: &Workspace) -> Result<Vec<BenchTarget>> {
    let mut out = Vec::new();
    for pkg in &ws.packages {
        let benches = pkg.targets_of("bench");
        if benches.is_empty() {
            continue;
        }
        let text = util::read(&pkg.manifest_path)?;
        let names = declared(&text).map_err(|e| {
            Failure::new(format!("cannot read {}: {e}", pkg.manifest_path.display()))
        })?;
        out.extend(
            names
                .into_iter()
                .filter(|n| benches.contains(&n.as_str()))
                .map(|name| BenchTarget {
                    package: pkg.name.clone(),
                    name,
                }),
        );
    }
    out.sort();
    Ok(out)
}

/// The bench targets a run covers: every `harness = false` target, narrowed to one package
/// and/or one target name; an error names what exists when nothing is left.
pub fn select(
    ws: &Workspace,
    only_package: Option<&str>,
    only: Option<&str>,
) -> Result<Vec<BenchTarget>> {
    let mut targets = harness_false(ws)?;
    if let Some(pkg) = only_package {
        if ws.package(pkg).is_none() {
            return Err(Failure::new(format!(
                "no package `{pkg}` in this workspace (see `cargo metadata --no-deps`)"
            )));
        }
        targets.retain(|t| t.package == pkg);
    }
    if let Some(only) = only {
        let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
        targets.retain(|t| t.name == only);
        if targets.is_empty() {
            return Err(Failure::new(format!(
                "no bench target `{only}` with `harness = false` (there are: {})",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            )));
        }
    }
    if targets.is_empty() {
        return Err(Failure::missing(
            "this workspace has no bench target with `harness = false`",
            "add `[[bench]] name = \"NAME\"` and `harness = false` to a package's Cargo.toml, \
             with benches/NAME.rs calling criterion or perfkit-bench",
        ));
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_harness_false_targets_count() {
        let manifest = r#"
[package]
name = "demo"

[[bench]]
name = "fast"
harness = false

[[bench]]
name = "libtest"

[[bench]]
name = "also"
harness = false
path = "benches/also_bench.rs"
"#;
        assert_eq!(declared(manifest).unwrap(), ["fast", "also"]);
        assert!(declared("[package]\nname = \"x\"\n").unwrap().is_empty());
        assert!(
            declared("[[bench]]\nharness = false\n").is_err(),
            "a bench needs a name"
        );
    }
}
