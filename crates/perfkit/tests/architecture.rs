//! ARCHITECTURE.md names files and directories; every one must exist, so the map cannot drift
//! from the tree unnoticed.
//!
//! A path is a backticked token outside code blocks that has a `/` or ends in `.rs`, `.md` or
//! `.toml` (and looks like nothing else: no spaces, no `::`, no brackets). A path from the
//! repository root (`crates/...`, `benches/...`, `examples/...`, `xtask/...`, `.ci/...` or a
//! root file) must exist there; a shorter one (`bench/compare.rs`, `model.rs`) must exist under
//! the directory of the last root path named before it, or one of that directory's parents up
//! to the root.

use std::path::{Path, PathBuf};

/// The backticked tokens outside fenced code blocks.
fn inline_code(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        out.extend(
            line.split('`')
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, s)| s.to_string()),
        );
    }
    out
}

fn looks_like_path(s: &str) -> bool {
    !s.is_empty()
        && !s.contains(char::is_whitespace)
        && !s.contains("::")
        && !s.contains(['<', '>', '{', '}', '*', '(', ')', '$', '=', ',', '#', '!'])
        && !s.starts_with("target/")
        && (s.contains('/') || [".rs", ".md", ".toml"].iter().any(|e| s.ends_with(e)))
}

fn is_from_root(s: &str, root: &Path) -> bool {
    ["crates/", "benches/", "examples/", "xtask/", ".ci/"]
        .iter()
        .any(|r| s.starts_with(r))
        || (!s.contains('/') && root.join(s).is_file())
}

#[test]
fn every_path_architecture_md_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut base: PathBuf = root.clone();
    let mut checked = 0;
    let mut missing = Vec::new();
    for token in inline_code(&text) {
        if !looks_like_path(&token) {
            continue;
        }
        checked += 1;
        if is_from_root(&token, &root) {
            let p = root.join(&token);
            if p.exists() {
                base = if p.is_dir() {
                    p
                } else {
                    p.parent().map_or_else(|| root.clone(), Path::to_path_buf)
                };
            } else {
                missing.push(token);
            }
            continue;
        }
        let found = base
            .ancestors()
            .take_while(|a| a.starts_with(&root))
            .any(|a| a.join(&token).exists());
        if !found {
            missing.push(format!("{token} (under {})", base.display()));
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:#?}"
    );
    assert!(
        checked >= 40,
        "only {checked} paths found: is the parser right?"
    );
}

#[test]
fn the_parser_finds_paths_and_skips_code() {
    let text =
        "see `crates/a/b.rs` and `Foo::bar`, `x <y>` and `mod.rs`\n```\n`not/this.rs`\n```\n";
    let paths: Vec<String> = inline_code(text)
        .into_iter()
        .filter(|t| looks_like_path(t))
        .collect();
    assert_eq!(paths, ["crates/a/b.rs", "mod.rs"]);
}
