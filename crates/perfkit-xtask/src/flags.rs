//! A small flag parser: each subcommand declares its flags in a [`Spec`]; [`parse`] checks
//! the arguments against it and every mistake is a one-line [`Failure`] that names the flag
//! and points at `--help`.

use crate::util::{Failure, Result};

/// One flag a subcommand accepts.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// `--name`.
    pub long: &'static str,
    /// `-n`, if any.
    pub short: Option<&'static str>,
    /// Whether it takes a value (`--save NAME` or `--save=NAME`).
    pub value: Option<&'static str>,
    /// One line of help.
    pub help: &'static str,
}

/// What a subcommand accepts.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The subcommand's name, for messages.
    pub command: &'static str,
    /// The usage line after `cargo xtask <command>`.
    pub usage: &'static str,
    /// A paragraph describing what it does.
    pub about: &'static str,
    /// Its flags (`--help` is implied).
    pub flags: &'static [Flag],
    /// Names of the positional arguments, at most one value each.
    pub positional: &'static [&'static str],
    /// Whether arguments after `--` are collected (otherwise `--` is an error).
    pub trailing: Option<&'static str>,
    /// Whether the command builds one binary and takes [`TARGET_FLAGS`].
    pub build_target: bool,
}

/// `--example NAME | --bin NAME | --bench NAME` and `-p PKG`, for commands that build one
/// binary (resolved by `util::BuildTarget::resolve`).
pub const TARGET_FLAGS: [Flag; 4] = [
    Flag {
        long: "--example",
        short: None,
        value: Some("NAME"),
        help: "this example [default: `default-target` in [workspace.metadata.perfkit], else the only binary]",
    },
    Flag {
        long: "--bin",
        short: None,
        value: Some("NAME"),
        help: "this binary",
    },
    Flag {
        long: "--bench",
        short: None,
        value: Some("NAME"),
        help: "this bench target (pgo only)",
    },
    Flag {
        long: "--package",
        short: Some("-p"),
        value: Some("PKG"),
        help: "the package that has it [default: the one that has it]",
    },
];

impl Spec {
    /// Every flag the command accepts, `--help` aside.
    pub fn all_flags(&self) -> impl Iterator<Item = &Flag> {
        let target: &[Flag] = if self.build_target {
            &TARGET_FLAGS
        } else {
            &[]
        };
        target.iter().chain(self.flags)
    }
}

/// The arguments, checked against a [`Spec`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// `--help` or `-h` was given.
    pub help: bool,
    /// Flags given, with their value (empty for switches), in order.
    pub flags: Vec<(&'static str, String)>,
    /// Positional arguments, in order.
    pub positional: Vec<String>,
    /// Everything after `--`.
    pub trailing: Vec<String>,
}

impl Parsed {
    /// Whether the switch `long` was given.
    pub fn switch(&self, long: &str) -> bool {
        self.flags.iter().any(|(f, _)| *f == long)
    }

    /// The value of `long`, if given.
    pub fn value(&self, long: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(f, _)| *f == long)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `long` parsed as a number, if given.
    pub fn number<T: std::str::FromStr>(&self, spec: &Spec, long: &str) -> Result<Option<T>> {
        self.value(long)
            .map(|v| {
                v.parse()
                    .map_err(|_| usage_error(spec, format!("`{long}` expects a number, got `{v}`")))
            })
            .transpose()
    }

    /// Fails unless at most one of `longs` was given.
    pub fn exclusive(&self, spec: &Spec, longs: &[&str]) -> Result<()> {
        let given: Vec<&str> = self
            .flags
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| longs.contains(f))
            .collect();
        if given.len() > 1 {
            return Err(usage_error(
                spec,
                format!("`{}` and `{}` cannot be used together", given[0], given[1]),
            ));
        }
        Ok(())
    }
}

fn usage_error(spec: &Spec, msg: String) -> Failure {
    Failure::new(format!("{msg} (see `cargo xtask {} --help`)", spec.command))
}

/// Checks `args` against `spec`.
pub fn parse(spec: &Spec, args: &[String]) -> Result<Parsed> {
    let mut out = Parsed::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--" {
            if spec.trailing.is_none() {
                return Err(usage_error(
                    spec,
                    "unexpected `--`: this command takes no trailing arguments".into(),
                ));
            }
            out.trailing = it.by_ref().cloned().collect();
            break;
        }
        if arg == "-h" || arg == "--help" {
            out.help = true;
            continue;
        }
        if arg.starts_with('-') && arg.len() > 1 {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v)),
                _ => (arg.as_str(), None),
            };
            let flag = spec
                .all_flags()
                .find(|f| f.long == name || f.short == Some(name))
                .ok_or_else(|| usage_error(spec, format!("unknown flag `{name}`")))?;
            if out.switch(flag.long) {
                return Err(usage_error(spec, format!("`{}` given twice", flag.long)));
            }
            let value = match (flag.value, inline) {
                (None, None) => String::new(),
                (None, Some(_)) => {
                    return Err(usage_error(spec, format!("`{}` takes no value", flag.long)));
                }
                (Some(_), Some(v)) => v.to_string(),
                (Some(meta), None) => match it.next() {
                    Some(v) if !v.starts_with('-') || v.parse::<f64>().is_ok() => v.clone(),
                    _ => {
                        return Err(usage_error(
                            spec,
                            format!("`{}` needs a value ({meta})", flag.long),
                        ));
                    }
                },
            };
            if flag.value.is_some() && value.is_empty() {
                return Err(usage_error(
                    spec,
                    format!("`{}` needs a non-empty value", flag.long),
                ));
            }
            out.flags.push((flag.long, value));
            continue;
        }
        if out.positional.len() >= spec.positional.len() {
            return Err(usage_error(spec, format!("unexpected argument `{arg}`")));
        }
        out.positional.push(arg.clone());
    }
    Ok(out)
}

/// Parses `args`; prints the help and returns `None` for `--help`. Commands that build one
/// binary also get `--example`/`--bin` checked for exclusivity here.
pub fn parse_or_help(spec: &Spec, args: &[String]) -> Result<Option<Parsed>> {
    let p = parse(spec, args)?;
    if p.help {
        print!("{}", crate::util::as_invoked(&help(spec)));
        return Ok(None);
    }
    if spec.build_target {
        p.exclusive(spec, &["--example", "--bin", "--bench"])?;
    }
    Ok(Some(p))
}

/// The `--help` text of `spec`.
pub fn help(spec: &Spec) -> String {
    let mut s = format!(
        "cargo xtask {}: {}\n\nUSAGE:\n    cargo xtask {} {}\n\nOPTIONS:\n",
        spec.command, spec.about, spec.command, spec.usage
    );
    let mut rows: Vec<(String, &str)> = spec
        .all_flags()
        .map(|f| {
            let mut left = match f.short {
                Some(short) => format!("{short}, {}", f.long),
                None => format!("    {}", f.long),
            };
            if let Some(meta) = f.value {
                left.push(' ');
                left.push_str(meta);
            }
            (left, f.help)
        })
        .collect();
    rows.push(("-h, --help".into(), "print this help"));
    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (left, help) in rows {
        s.push_str(&format!("    {left:<width$}  {help}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        command: "demo",
        usage: "[FILTER] [--quick] [--save NAME]",
        about: "a demo",
        flags: &[
            Flag {
                long: "--quick",
                short: None,
                value: None,
                help: "go fast",
            },
            Flag {
                long: "--save",
                short: None,
                value: Some("NAME"),
                help: "save",
            },
            Flag {
                long: "--threshold",
                short: None,
                value: Some("PCT"),
                help: "pct",
            },
        ],
        positional: &["FILTER"],
        trailing: Some("ARGS"),
        build_target: true,
    };

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| (*a).to_string()).collect()
    }

    fn err(s: &[&str]) -> String {
        parse(&SPEC, &args(s)).unwrap_err().message
    }

    #[test]
    fn parses_switches_values_positionals_and_trailing() {
        let p = parse(
            &SPEC,
            &args(&[
                "sum_f32",
                "--quick",
                "--save=main",
                "-p",
                "perfkit",
                "--threshold",
                "-5",
                "--",
                "--records",
                "10",
            ]),
        )
        .unwrap();
        assert!(p.switch("--quick"));
        assert!(!p.help);
        assert_eq!(p.value("--save"), Some("main"));
        assert_eq!(p.value("--package"), Some("perfkit"));
        assert_eq!(p.number::<f64>(&SPEC, "--threshold").unwrap(), Some(-5.0));
        assert_eq!(p.positional, ["sum_f32"]);
        assert_eq!(p.trailing, ["--records", "10"]);
        assert!(parse(&SPEC, &args(&["-h"])).unwrap().help);
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            err(&["--fast"]),
            "unknown flag `--fast` (see `cargo xtask demo --help`)"
        );
        assert!(err(&["--save"]).starts_with("`--save` needs a value (NAME)"));
        assert!(err(&["--save", "--quick"]).starts_with("`--save` needs a value"));
        assert!(err(&["--save="]).starts_with("`--save` needs a non-empty value"));
        assert!(err(&["--quick=yes"]).starts_with("`--quick` takes no value"));
        assert!(err(&["--quick", "--quick"]).starts_with("`--quick` given twice"));
        assert!(err(&["a", "b"]).starts_with("unexpected argument `b`"));
        let p = parse(&SPEC, &args(&["--threshold", "ten"])).unwrap();
        assert!(
            p.number::<f64>(&SPEC, "--threshold")
                .unwrap_err()
                .message
                .starts_with("`--threshold` expects a number, got `ten`")
        );
        let p = parse(&SPEC, &args(&["--bin", "a", "--example", "b"])).unwrap();
        assert!(
            p.exclusive(&SPEC, &["--example", "--bin"])
                .unwrap_err()
                .message
                .starts_with("`--bin` and `--example` cannot be used together")
        );
        let no_trailing = Spec {
            trailing: None,
            build_target: false,
            ..SPEC
        };
        assert!(
            parse(&no_trailing, &args(&["--bin", "x"]))
                .unwrap_err()
                .message
                .starts_with("unknown flag `--bin`")
        );
        assert!(
            parse(&no_trailing, &args(&["--", "x"]))
                .unwrap_err()
                .message
                .starts_with("unexpected `--`")
        );
    }

    #[test]
    fn help_lists_every_flag() {
        let h = help(&SPEC);
        for f in SPEC.flags.iter().chain(&TARGET_FLAGS) {
            assert!(h.contains(f.long), "{h}");
        }
        assert!(h.contains("-p, --package PKG"));
        assert!(h.contains("-h, --help"));
        assert!(h.contains("USAGE:\n    cargo xtask demo [FILTER]"));
    }
}
