//! `bloat-budget.toml`: size limits per binary, and the check against them.
//!
//! The file uses a small TOML subset, read by hand here so xtask needs no TOML dependency:
//! `[example.NAME]` / `[bin.NAME]` tables with `stripped_size`, `text_size` and
//! `largest_function`, a `[example.NAME.crates]` table of per-crate `.text` limits, sizes as
//! integers (bytes) or strings with a unit (`"420 KiB"`, `"1.5 MiB"`, `"800 B"`), and `#`
//! comments.
//!
//! ```toml
//! [example.pgo_workload]
//! stripped_size = "420 KiB"   # the binary users ship
//! text_size = "320 KiB"
//! largest_function = "24 KiB"
//!
//! [example.pgo_workload.crates]
//! std = "300 KiB"
//! ```

use std::collections::BTreeMap;

use crate::util::human_bytes;

/// Limits for one binary. `None` means unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    /// The stripped binary's size, bytes.
    pub stripped_size: Option<u64>,
    /// The `.text` section's size, bytes.
    pub text_size: Option<u64>,
    /// The largest single function, bytes.
    pub largest_function: Option<u64>,
    /// `.text` bytes per crate.
    pub crates: BTreeMap<String, u64>,
}

/// What was measured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sizes {
    /// The binary as built (with symbols), bytes.
    pub file_size: u64,
    /// The binary after stripping, bytes.
    pub stripped_size: u64,
    /// `.text`, bytes.
    pub text_size: u64,
    /// The largest function: (name, bytes).
    pub largest_function: Option<(String, u64)>,
    /// `.text` bytes per crate, largest first.
    pub crates: Vec<(String, u64)>,
}

/// A limit that was exceeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overrun {
    /// What was measured (`stripped size`, `crate `std``, ...).
    pub what: String,
    /// Its size, bytes.
    pub actual: u64,
    /// Its limit, bytes.
    pub limit: u64,
}

impl std::fmt::Display for Overrun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let over = self.actual - self.limit;
        write!(
            f,
            "{} is {} ({}), {} ({:.1}%) over its {} budget",
            self.what,
            human_bytes(self.actual),
            self.actual,
            human_bytes(over),
            over as f64 * 100.0 / self.limit.max(1) as f64,
            human_bytes(self.limit)
        )
    }
}

/// A size: an integer (bytes) or a quoted number with a unit (`B`, `KiB`, `MiB`, `KB`, `MB`).
#[must_use]
pub fn parse_size(value: &str) -> Option<u64> {
    let v = value.trim();
    if let Ok(n) = v.parse::<u64>() {
        return Some(n);
    }
    let v = v.strip_prefix('"')?.strip_suffix('"')?.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "KB" | "kB" => 1000.0,
        "MB" => 1e6,
        _ => return None,
    };
    Some((num * mult).round() as u64)
}

fn strip_comment(line: &str) -> &str {
    // `#` inside a quoted string would not be a comment; sizes and names never contain one,
    // but keep the rule honest anyway.
    let mut in_str = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '#' if !in_str => return &line[..i],
            _ => {}
        }
    }
    line
}

fn unquote_key(k: &str) -> Option<String> {
    let k = k.trim();
    if let Some(inner) = k.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return Some(inner.to_string());
    }
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    bare.then(|| k.to_string())
}

/// Parses the file: budgets keyed by `example.NAME` / `bin.NAME`. Errors say which line.
pub fn parse(text: &str) -> Result<BTreeMap<String, Budget>, String> {
    let mut budgets: BTreeMap<String, Budget> = BTreeMap::new();
    // (binary key, whether we are in its `.crates` table)
    let mut current: Option<(String, bool)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header
                .strip_suffix(']')
                .ok_or_else(|| format!("line {n}: unterminated table header `{line}`"))?;
            let parts: Vec<&str> = header.split('.').map(str::trim).collect();
            let (kind, name, crates) = match parts.as_slice() {
                [kind, name] => (*kind, *name, false),
                [kind, name, "crates"] => (*kind, *name, true),
                _ => {
                    return Err(format!(
                        "line {n}: expected `[example.NAME]`, `[bin.NAME]` or `[example.NAME.crates]`, found `[{header}]`"
                    ));
                }
            };
            if kind != "example" && kind != "bin" {
                return Err(format!(
                    "line {n}: table kind must be `example` or `bin`, found `{kind}`"
                ));
            }
            let name = unquote_key(name).ok_or_else(|| format!("line {n}: bad name `{name}`"))?;
            let key = format!("{kind}.{name}");
            budgets.entry(key.clone()).or_default();
            current = Some((key, crates));
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| format!("line {n}: expected `key = size`, found `{line}`"))?;
        let key = unquote_key(k).ok_or_else(|| format!("line {n}: bad key `{}`", k.trim()))?;
        let size = parse_size(v).ok_or_else(|| {
            format!(
                "line {n}: `{}` is not a size (use bytes, or a string like \"420 KiB\")",
                v.trim()
            )
        })?;
        let Some((table, crates)) = &current else {
            return Err(format!(
                "line {n}: `{key}` is outside any [example.NAME] table"
            ));
        };
        let b = budgets.get_mut(table).expect("inserted at its header");
        if *crates {
            if b.crates.insert(key.clone(), size).is_some() {
                return Err(format!("line {n}: crate `{key}` given twice"));
            }
            continue;
        }
        let slot = match key.as_str() {
            "stripped_size" => &mut b.stripped_size,
            "text_size" => &mut b.text_size,
            "largest_function" => &mut b.largest_function,
            _ => {
                return Err(format!(
                    "line {n}: unknown key `{key}` (expected stripped_size, text_size or largest_function)"
                ));
            }
        };
        if slot.replace(size).is_some() {
            return Err(format!("line {n}: `{key}` given twice"));
        }
    }
    Ok(budgets)
}

/// Every limit in `budget` that `sizes` exceeds.
#[must_use]
pub fn check(budget: &Budget, sizes: &Sizes) -> Vec<Overrun> {
    let mut over = Vec::new();
    let mut cmp = |what: String, actual: u64, limit: Option<u64>| {
        if let Some(limit) = limit.filter(|&l| actual > l) {
            over.push(Overrun {
                what,
                actual,
                limit,
            });
        }
    };
    cmp(
        "stripped size".into(),
        sizes.stripped_size,
        budget.stripped_size,
    );
    cmp(".text".into(), sizes.text_size, budget.text_size);
    if let Some((name, size)) = &sizes.largest_function {
        cmp(
            format!("largest function `{name}`"),
            *size,
            budget.largest_function,
        );
    }
    for (name, limit) in &budget.crates {
        let actual = sizes
            .crates
            .iter()
            .find(|(c, _)| c == name)
            .map_or(0, |(_, s)| *s);
        cmp(format!("crate `{name}`"), actual, Some(*limit));
    }
    over
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_strings() {
        assert_eq!(parse_size("1234"), Some(1234));
        assert_eq!(parse_size("\"420 KiB\""), Some(430_080));
        assert_eq!(parse_size("\"1.5 MiB\""), Some(1_572_864));
        assert_eq!(parse_size("\"800 B\""), Some(800));
        assert_eq!(parse_size("\"2KB\""), Some(2000));
        assert_eq!(parse_size("\"12 parsecs\""), None);
        assert_eq!(parse_size("420 KiB"), None);
        assert_eq!(parse_size("-1"), None);
    }

    const FILE: &str = r#"
# budgets
[example.pgo_workload]
stripped_size = "420 KiB"   # shipped size
text_size = 300000
largest_function = "24 KiB"

[example.pgo_workload.crates]
std = "300 KiB"
perfkit_testkit = "8 KiB"
"[Unknown]" = 1024

[bin.tool]
text_size = "1 MiB"
"#;

    #[test]
    fn parses_the_subset() {
        let b = parse(FILE).unwrap();
        assert_eq!(b.len(), 2);
        let w = &b["example.pgo_workload"];
        assert_eq!(w.stripped_size, Some(430_080));
        assert_eq!(w.text_size, Some(300_000));
        assert_eq!(w.largest_function, Some(24_576));
        assert_eq!(w.crates["std"], 307_200);
        assert_eq!(w.crates["[Unknown]"], 1024);
        assert_eq!(b["bin.tool"].text_size, Some(1 << 20));
        assert_eq!(b["bin.tool"].stripped_size, None);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let err = |s: &str| parse(s).unwrap_err();
        assert_eq!(
            err("x = 1"),
            "line 1: `x` is outside any [example.NAME] table"
        );
        assert!(
            err("[example.a]\nstripped_size = \"lots\"")
                .starts_with("line 2: `\"lots\"` is not a size")
        );
        assert!(err("[example.a]\nsize = 1").starts_with("line 2: unknown key `size`"));
        assert!(
            err("[example.a]\ntext_size = 1\ntext_size = 2")
                .starts_with("line 3: `text_size` given twice")
        );
        assert!(err("[lib.a]").starts_with("line 1: table kind must be"));
        assert!(err("[example]").starts_with("line 1: expected `[example.NAME]`"));
        assert!(err("[example.a").starts_with("line 1: unterminated"));
        assert!(err("[example.a]\njunk").starts_with("line 2: expected `key = size`"));
    }

    fn sizes() -> Sizes {
        Sizes {
            file_size: 2_324_632,
            stripped_size: 440_000,
            text_size: 302_399,
            largest_function: Some(("std::sys::backtrace::_print_fmt".into(), 17_458)),
            crates: vec![
                ("std".into(), 277_363),
                ("pgo_workload".into(), 17_269),
                ("perfkit_testkit".into(), 3_865),
            ],
        }
    }

    #[test]
    fn check_names_what_is_over_and_by_how_much() {
        let b = &parse(FILE).unwrap()["example.pgo_workload"];
        let over = check(b, &sizes());
        assert_eq!(
            over,
            [
                Overrun {
                    what: "stripped size".into(),
                    actual: 440_000,
                    limit: 430_080
                },
                Overrun {
                    what: ".text".into(),
                    actual: 302_399,
                    limit: 300_000
                },
            ]
        );
        assert_eq!(
            over[0].to_string(),
            "stripped size is 429.7 KiB (440000), 9.7 KiB (2.3%) over its 420.0 KiB budget"
        );
        // Within every limit.
        let mut roomy = b.clone();
        roomy.stripped_size = Some(500_000);
        roomy.text_size = Some(400_000);
        assert!(check(&roomy, &sizes()).is_empty());
        // A crate over its limit, and the largest function.
        roomy.crates.insert("pgo_workload".into(), 10_000);
        roomy.largest_function = Some(16_000);
        let over = check(&roomy, &sizes());
        let whats: Vec<&str> = over.iter().map(|o| o.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "largest function `std::sys::backtrace::_print_fmt`",
                "crate `pgo_workload`"
            ]
        );
        // A budgeted crate that is absent weighs nothing.
        assert!(
            check(
                &Budget {
                    crates: [("gone".to_string(), 0)].into(),
                    ..Budget::default()
                },
                &sizes()
            )
            .is_empty()
        );
    }
}
