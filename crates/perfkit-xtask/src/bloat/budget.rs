//! `bloat-budget.toml`: size limits per binary, and the check against them.
//!
//! The file is TOML (read with the `toml` crate): `[example.NAME]` / `[bin.NAME]` tables with
//! `stripped_size`, `text_size` and `largest_function`, a `[example.NAME.crates]` table of
//! per-crate `.text` limits, and sizes as integers (bytes) or strings with a unit
//! (`"420 KiB"`, `"1.5 MiB"`, `"800 B"`). `cargo xtask bloat --init` writes a starter table
//! from the current sizes.
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

/// A size written as a string with a unit (`"420 KiB"`, `"1.5 MiB"`, `"800 B"`, `"2 KB"`), or
/// plain digits (bytes).
#[must_use]
pub fn parse_size(value: &str) -> Option<u64> {
    let v = value.trim();
    if let Ok(n) = v.parse::<u64>() {
        return Some(n);
    }
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

/// One size value of the file: an integer (bytes) or a string with a unit.
fn size_of_value(value: &toml::Value, at: &str) -> Result<u64, String> {
    match value {
        toml::Value::Integer(n) => {
            u64::try_from(*n).map_err(|_| format!("{at}: a size cannot be negative"))
        }
        toml::Value::String(s) => parse_size(s).ok_or_else(|| {
            format!("{at}: `{s}` is not a size (use bytes, or a string like \"420 KiB\")")
        }),
        other => Err(format!(
            "{at}: expected a size (bytes, or a string like \"420 KiB\"), found a {}",
            other.type_str()
        )),
    }
}

/// Parses the file: budgets keyed by `example.NAME` / `bin.NAME`. Errors name the table and
/// key (and, for TOML syntax errors, the line).
pub fn parse(text: &str) -> Result<BTreeMap<String, Budget>, String> {
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut budgets = BTreeMap::new();
    for (kind, binaries) in doc {
        if kind != "example" && kind != "bin" {
            return Err(format!(
                "table kind must be `example` or `bin`, found `[{kind}]`"
            ));
        }
        let toml::Value::Table(binaries) = binaries else {
            return Err(format!(
                "`{kind}` must be a table of `[{kind}.NAME]` tables"
            ));
        };
        for (name, limits) in binaries {
            let key = format!("{kind}.{name}");
            let toml::Value::Table(limits) = limits else {
                return Err(format!("`{key}` must be a table (`[{key}]`)"));
            };
            let mut b = Budget::default();
            for (k, v) in limits {
                let at = format!("[{key}] {k}");
                let slot = match k.as_str() {
                    "stripped_size" => &mut b.stripped_size,
                    "text_size" => &mut b.text_size,
                    "largest_function" => &mut b.largest_function,
                    "crates" => {
                        let toml::Value::Table(crates) = v else {
                            return Err(format!(
                                "`{key}.crates` must be a table (`[{key}.crates]`)"
                            ));
                        };
                        for (c, size) in crates {
                            b.crates.insert(
                                c.clone(),
                                size_of_value(&size, &format!("[{key}.crates] {c}"))?,
                            );
                        }
                        continue;
                    }
                    _ => {
                        return Err(format!(
                            "{at}: unknown key (expected stripped_size, text_size, largest_function or a crates table)"
                        ));
                    }
                };
                *slot = Some(size_of_value(&v, &at)?);
            }
            budgets.insert(key, b);
        }
    }
    Ok(budgets)
}

/// A starter budget table for `key` (`example.NAME` / `bin.NAME`): the measured sizes plus
/// `headroom_percent` (at least 1 KiB, so a tiny crate is not failed by a few bytes), rounded
/// up to a tenth of a KiB, with the date and the measurement in a comment.
#[must_use]
pub fn starter(key: &str, sizes: &Sizes, headroom_percent: u64, date: &str) -> String {
    let limit = |bytes: u64| {
        let with = bytes + (bytes * headroom_percent).div_ceil(100).max(1024);
        format!("\"{:.1} KiB\"", (with as f64 / 1024.0 * 10.0).ceil() / 10.0)
    };
    let mut s = format!(
        "# Written by `cargo xtask bloat --init` on {date}: the sizes measured then, plus {headroom_percent}% (at least 1 KiB).\n\
         # Measured: stripped {} B, .text {} B",
        sizes.stripped_size, sizes.text_size
    );
    if let Some((name, size)) = &sizes.largest_function {
        s.push_str(&format!(", largest function {size} B ({name})"));
    }
    s.push_str(&format!(
        ".\n[{key}]\nstripped_size = {}\ntext_size = {}\n",
        limit(sizes.stripped_size),
        limit(sizes.text_size)
    ));
    if let Some((_, size)) = &sizes.largest_function {
        s.push_str(&format!("largest_function = {}\n", limit(*size)));
    }
    s.push_str(&format!("\n[{key}.crates]\n"));
    for (name, size) in &sizes.crates {
        let quoted = if name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            name.clone()
        } else {
            format!("{name:?}")
        };
        s.push_str(&format!("{quoted} = {}\n", limit(*size)));
    }
    s
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
        assert_eq!(parse_size("420 KiB"), Some(430_080));
        assert_eq!(parse_size("1.5 MiB"), Some(1_572_864));
        assert_eq!(parse_size("800 B"), Some(800));
        assert_eq!(parse_size("2KB"), Some(2000));
        assert_eq!(parse_size("12 parsecs"), None);
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
    fn parses_the_file() {
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
    fn reads_toml_a_hand_parser_would_not() {
        // Inline tables, dotted keys, literal strings and underscores in integers.
        let b = parse(
            "example.a = { text_size = 1_000, crates = { std = '2 KiB' } }\n\
             [bin.'my tool']\nstripped_size = \"1 MB\"\n",
        )
        .unwrap();
        assert_eq!(b["example.a"].text_size, Some(1000));
        assert_eq!(b["example.a"].crates["std"], 2048);
        assert_eq!(b["bin.my tool"].stripped_size, Some(1_000_000));
    }

    #[test]
    fn parse_errors_say_where() {
        let err = |s: &str| parse(s).unwrap_err();
        assert!(err("x = 1").contains("table kind must be `example` or `bin`"));
        assert!(
            err("[example.a]\nstripped_size = \"lots\"")
                .starts_with("[example.a] stripped_size: `lots` is not a size")
        );
        assert!(err("[example.a]\nsize = 1").starts_with("[example.a] size: unknown key"));
        assert!(err("[example.a]\ntext_size = -5").contains("cannot be negative"));
        assert!(err("[example.a]\ntext_size = true").contains("found a boolean"));
        // TOML's own errors (a duplicate key, a broken header) come with their line.
        assert!(err("[example.a]\ntext_size = 1\ntext_size = 2").contains("line 3"));
        assert!(err("[example.a").contains("line 1"));
    }

    #[test]
    fn starter_budget_reads_back_with_headroom() {
        let text = starter("example.pgo_workload", &sizes(), 10, "2026-12-07");
        let b = &parse(&text).unwrap()["example.pgo_workload"];
        let s = sizes();
        for (limit, actual) in [
            (b.stripped_size.unwrap(), s.stripped_size),
            (b.text_size.unwrap(), s.text_size),
            (b.largest_function.unwrap(), 17_458),
            (b.crates["std"], 277_363),
            (b.crates["perfkit_testkit"], 3_865),
        ] {
            assert!(limit >= actual + 1024, "at least 1 KiB of room");
            assert!(limit >= actual + actual / 10, "{limit} >= {actual} + 10%");
            assert!(
                limit <= actual + (actual / 10).max(1024) + 110,
                "{limit} rounds up by < 0.1 KiB"
            );
        }
        assert!(check(b, &s).is_empty(), "the sizes it came from fit");
        assert!(text.starts_with("# Written by `cargo xtask bloat --init` on 2026-12-07"));
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
