//! From `perf script` text to a flame graph, with the `inferno` crate as a library: its perf
//! folder turns each sample's stack into one `outer;...;inner count` line (the `.folded`
//! file, which other tools read too), and its flamegraph module draws the SVG from those.

use std::collections::HashMap;

use inferno::collapse::Collapse as _;
use inferno::collapse::perf::Folder;
use inferno::flamegraph::{self, Options};

use crate::util::{Failure, Result};

/// Folds `perf script` output: one line per distinct stack, `frame;frame;... count`, sorted,
/// outermost frame first. Frames are demangled function names (perf demangles Rust's).
pub fn fold(script: &str) -> Result<String> {
    let mut folded = Vec::new();
    Folder::default()
        .collapse(script.as_bytes(), &mut folded)
        .map_err(|e| Failure::new(format!("cannot fold `perf script` output: {e}")))?;
    String::from_utf8(folded).map_err(|e| Failure::new(format!("folded stacks are not UTF-8: {e}")))
}

/// Draws the flame graph of `folded` lines as SVG, titled `title`. Colours come from a hash
/// of each function's name, so a function keeps its colour from one run to the next.
pub fn svg(folded: &str, title: &str) -> Result<String> {
    let mut lines: Vec<&str> = folded.lines().filter(|l| !l.trim().is_empty()).collect();
    // `from_lines` expects sorted lines (the folder's are; sorting again costs little).
    lines.sort_unstable();
    let mut opts = Options::default();
    opts.title = title.to_string();
    opts.hash = true;
    let mut out = Vec::new();
    flamegraph::from_lines(&mut opts, lines, &mut out)
        .map_err(|e| Failure::new(format!("cannot draw the flame graph: {e}")))?;
    String::from_utf8(out).map_err(|e| Failure::new(format!("the SVG is not UTF-8: {e}")))
}

/// One function's share of the samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfSamples {
    /// The function (the innermost frame of the stacks it tops).
    pub function: String,
    /// Samples taken while it was running its own code (not a callee's).
    pub samples: u64,
}

/// The total number of samples in `folded`, and every function by its self samples, most
/// first (ties by name, so the order is stable).
#[must_use]
pub fn self_samples(folded: &str) -> (u64, Vec<SelfSamples>) {
    let mut by_function: HashMap<&str, u64> = HashMap::new();
    let mut total = 0;
    for line in folded.lines() {
        let Some((stack, count)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(count) = count.trim().parse::<u64>() else {
            continue;
        };
        let leaf = stack.rsplit(';').next().unwrap_or(stack);
        *by_function.entry(leaf).or_default() += count;
        total += count;
    }
    let mut v: Vec<SelfSamples> = by_function
        .into_iter()
        .map(|(function, samples)| SelfSamples {
            function: function.to_string(),
            samples,
        })
        .collect();
    v.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.function.cmp(&b.function)));
    (total, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three samples as `perf script -F comm,pid,tid,time,event,ip,sym,dso` prints them: two
    /// in the hot function, one in a sort that `main` calls.
    const SCRIPT: &str = "\
hot-spin 4242/4242  9127.100694: cpu-clock:
\t           14181 hot_spin::perfkit_hot_spin (/t/hot-spin)
\t           143dd hot_spin::main (/t/hot-spin)
\t           3a6d4 std::rt::lang_start_internal (/t/hot-spin)
\t           14544 main (/t/hot-spin)

hot-spin 4242/4242  9127.101695: cpu-clock:
\t           14188 hot_spin::perfkit_hot_spin (/t/hot-spin)
\t           143dd hot_spin::main (/t/hot-spin)
\t           3a6d4 std::rt::lang_start_internal (/t/hot-spin)
\t           14544 main (/t/hot-spin)

hot-spin 4242/4242  9127.102696: cpu-clock:
\t           15000 core::slice::sort::unstable::quicksort::quicksort (/t/hot-spin)
\t           14400 hot_spin::main (/t/hot-spin)
\t           3a6d4 std::rt::lang_start_internal (/t/hot-spin)
\t           14544 main (/t/hot-spin)

";

    #[test]
    fn stacks_fold_outermost_first_one_count_per_sample() {
        let folded = fold(SCRIPT).unwrap();
        assert_eq!(
            folded,
            "hot-spin;main;std::rt::lang_start_internal;hot_spin::main;core::slice::sort::unstable::quicksort::quicksort 1\n\
             hot-spin;main;std::rt::lang_start_internal;hot_spin::main;hot_spin::perfkit_hot_spin 2\n"
        );
        let (total, top) = self_samples(&folded);
        assert_eq!(total, 3);
        assert_eq!(
            top[0],
            SelfSamples {
                function: "hot_spin::perfkit_hot_spin".into(),
                samples: 2
            }
        );
        assert_eq!(
            top[1].function,
            "core::slice::sort::unstable::quicksort::quicksort"
        );
        assert_eq!(top.len(), 2, "main has no samples of its own");
    }

    #[test]
    fn the_svg_names_each_function_with_its_samples() {
        let svg = svg(&fold(SCRIPT).unwrap(), "hot-spin").unwrap();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..40]);
        assert!(svg.contains("hot-spin"), "the title");
        assert!(
            svg.contains("hot_spin::perfkit_hot_spin (2 samples, 66.67%)"),
            "a frame's tooltip"
        );
        assert!(svg.contains("hot_spin::main (3 samples, 100.00%)"));
        // The same input draws the same picture.
        assert_eq!(svg, super::svg(&fold(SCRIPT).unwrap(), "hot-spin").unwrap());
        assert!(self_samples("").1.is_empty());
    }
}
