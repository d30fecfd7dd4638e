//! Which comparisons run: the bench binary's command line, read as criterion reads it.

/// Criterion options that take a value, so the filter is not mistaken for one of them.
const VALUED: [&str; 14] = [
    "--warm-up-time",
    "--measurement-time",
    "--sample-size",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--save-baseline",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--plotting-backend",
    "--output-format",
    "--color",
];

/// Which paired comparisons run (see [`Options::selection`](crate::Options::selection)).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Selection {
    /// As the bench binary's command line says, the way criterion reads it (see
    /// [`selected`]). The default.
    #[default]
    CommandLine,
    /// Every comparison, whatever the command line says.
    All,
    /// The comparisons whose id (`group/size`) matches this filter, whatever the command line
    /// says (a regular expression with the `regex` feature, else a substring; see
    /// [`selected`]).
    Filter(String),
}

impl Selection {
    /// Whether the comparison `id` (`group/size`) runs under this selection.
    #[must_use]
    pub fn matches(&self, id: &str) -> bool {
        match self {
            Self::CommandLine => selected(id),
            Self::All => true,
            Self::Filter(f) => filter_matches(f, id),
        }
    }
}

/// Whether the comparison `id` (`group/size`, e.g. `sum_f32_paired/4096`) should run in this
/// invocation of the bench binary.
///
/// It runs when the binary was started to measure, that is without `--list`, `--test` or
/// `--profile-time` (as `cargo test --benches` and criterion's own modes start it), and when
/// `id` matches the filter: criterion's filter, the first positional argument (`cargo bench --
/// <filter>`; the values of criterion's options, such as `--sample-size 10`, are skipped).
/// Without a filter every comparison runs.
///
/// With the `regex` feature the filter is a regular expression searched for in `id`, as
/// criterion reads it (one that does not parse is a plain substring); without it, the filter
/// is a plain substring of `id`.
#[must_use]
pub fn selected(id: &str) -> bool {
    let args: Vec<String> = std::env::args().collect();
    selected_by(&args, id)
}

/// [`selected`] for the command line `args` (program name first).
pub(crate) fn selected_by(args: &[String], id: &str) -> bool {
    if !measuring(args) {
        return false;
    }
    match filter(args) {
        None => true,
        Some(f) => filter_matches(f, id),
    }
}

/// Under `--list` (as criterion's `--list`, which prints `<id>: benchmark` for each of its
/// benchmarks), prints `<id>: paired` for a comparison the filter selects and returns true;
/// tools such as `cargo xtask bench --compare` find the paired comparisons this way.
pub(crate) fn list_if_asked(selection: &Selection, id: &str) -> bool {
    if *selection != Selection::CommandLine {
        return false;
    }
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--list") {
        return false;
    }
    if filter(&args).is_none_or(|f| filter_matches(f, id)) {
        println!("{id}: paired");
    }
    true
}

/// Whether the binary was started to measure (not to list, test or profile).
fn measuring(args: &[String]) -> bool {
    !args
        .iter()
        .any(|a| matches!(a.as_str(), "--list" | "--test" | "--profile-time"))
}

/// The filter: the first positional argument after the program name.
fn filter(args: &[String]) -> Option<&str> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if VALUED.contains(&a.as_str()) {
            it.next();
        } else if !a.starts_with('-') {
            return Some(a);
        }
    }
    None
}

/// Whether `id` matches the filter `f`: a regular expression (falling back to a substring when
/// it does not parse) with the `regex` feature, a substring without.
fn filter_matches(f: &str, id: &str) -> bool {
    #[cfg(feature = "regex")]
    {
        regex::Regex::new(f).map_or_else(|_| id.contains(f), |re| re.is_match(id))
    }
    #[cfg(not(feature = "regex"))]
    {
        id.contains(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn the_filter_is_the_first_positional_argument() {
        assert_eq!(filter(&args(&["bin", "--bench"])), None);
        assert_eq!(
            filter(&args(&["bin", "--bench", "sum_f32"])),
            Some("sum_f32")
        );
        assert_eq!(
            filter(&args(&[
                "bin",
                "--measurement-time",
                "0.5",
                "--bench",
                "dot"
            ])),
            Some("dot")
        );
        assert_eq!(filter(&args(&["bin", "--sample-size", "10"])), None);
        assert_eq!(
            filter(&args(&["bin", "--color", "never", "a", "b"])),
            Some("a")
        );
    }

    #[test]
    fn listing_and_testing_do_not_measure() {
        assert!(measuring(&args(&["bin", "--bench"])));
        assert!(!measuring(&args(&["bin", "--list"])));
        assert!(!measuring(&args(&["bin", "--bench", "--test"])));
        assert!(!measuring(&args(&["bin", "--profile-time", "5"])));
    }

    #[test]
    fn selection_follows_the_command_line() {
        let id = "sum_f32_paired/4096";
        assert!(selected_by(&args(&["bin", "--bench"]), id));
        assert!(selected_by(&args(&["bin", "--bench", "sum_f32"]), id));
        assert!(selected_by(&args(&["bin", "--bench", "paired/4096"]), id));
        assert!(!selected_by(&args(&["bin", "--bench", "dot_f32"]), id));
        assert!(!selected_by(&args(&["bin", "--list"]), id));
        assert!(!selected_by(&args(&["bin", "--test", "sum_f32"]), id));
    }

    #[test]
    fn explicit_selections() {
        assert!(Selection::All.matches("anything/1"));
        assert!(Selection::Filter("sum".into()).matches("sum_f32_paired/4096"));
        assert!(!Selection::Filter("dot".into()).matches("sum_f32_paired/4096"));
        assert_eq!(Selection::default(), Selection::CommandLine);
    }

    #[test]
    fn a_filter_that_is_not_a_valid_regex_is_a_substring() {
        assert!(filter_matches("sum(", "sum(x)/1"));
        assert!(!filter_matches("sum(", "sum_f32/1"));
    }

    #[cfg(feature = "regex")]
    #[test]
    fn with_regex_the_filter_is_a_regular_expression() {
        let id = "sum_f32_paired/4096";
        assert!(filter_matches("^sum", id));
        assert!(filter_matches("dot|sum", id));
        assert!(filter_matches("paired/[0-9]+$", id));
        assert!(!filter_matches("^paired", id));
    }

    #[cfg(not(feature = "regex"))]
    #[test]
    fn without_regex_the_filter_is_a_substring() {
        let id = "sum_f32_paired/4096";
        assert!(filter_matches("f32_paired", id));
        assert!(!filter_matches("^sum", id));
        assert!(!filter_matches("dot|sum", id));
    }
}
