//! [`TraceData`] as folded stacks: `outer;inner;leaf 1234` lines, the input of flame-graph
//! tools (`flamegraph.pl`, `inferno-flamegraph`, speedscope).
//!
//! The number on each line is the **self time in nanoseconds** of that call path, summed over
//! every thread and every time the path ran: the path's total duration minus the durations
//! of the recorded scopes directly inside it. A flame graph draws a frame as wide as the sum
//! of the lines under its prefix, so each frame comes out as wide as its scope's total time.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};

use super::data::TraceData;

impl TraceData {
    /// Self time per call path, in nanoseconds, summed over threads: `(path, self_nanos)` in
    /// path order, where `path` is the scope names from the outermost, joined by `;`.
    ///
    /// Paths with zero self time are left out (a flame graph still shows them as the prefix
    /// of their children). In names, `;` becomes `:` and line breaks become spaces, so every
    /// line parses back into the same frames. When scopes were [dropped](Self::dropped), an
    /// enclosing path's self time may count time spent in them.
    ///
    /// ```
    /// use perfkit_profile::{Trace, profile};
    ///
    /// let trace = Trace::start()?;
    /// {
    ///     profile!("doc/folded/outer");
    ///     profile!("doc/folded/inner", std::thread::sleep(std::time::Duration::from_micros(50)));
    /// }
    /// let data = trace.finish();
    /// let paths: Vec<String> = data.folded_stacks().into_iter().map(|(p, _)| p).collect();
    /// assert!(paths.contains(&"doc/folded/outer;doc/folded/inner".to_owned()));
    /// # Ok::<(), perfkit_profile::TraceError>(())
    /// ```
    #[must_use]
    pub fn folded_stacks(&self) -> Vec<(String, u64)> {
        let paths = self.paths();
        // Total time of each path, and time of the recorded scopes directly inside it.
        let mut total = vec![0u64; paths.len()];
        let mut inside = vec![0u64; paths.len()];
        for event in self.events() {
            let i = Self::path_of(event) as usize;
            total[i] = total[i].saturating_add(event.duration_nanos());
            if let Some(parent) = paths[i].parent {
                let p = parent as usize;
                inside[p] = inside[p].saturating_add(event.duration_nanos());
            }
        }
        // Each path's folded name, built from its parent's (a parent precedes its children
        // in the list: it was created first, on the same thread).
        let mut names: Vec<String> = Vec::with_capacity(paths.len());
        let mut lines: BTreeMap<String, u64> = BTreeMap::new();
        for (i, node) in paths.iter().enumerate() {
            let mut name = match node.parent {
                Some(p) => {
                    let mut s = names[p as usize].clone();
                    s.push(';');
                    s
                }
                None => String::new(),
            };
            name.extend(node.name.chars().map(|c| match c {
                ';' => ':',
                '\n' | '\r' => ' ',
                c => c,
            }));
            let self_time = total[i].saturating_sub(inside[i]);
            if self_time > 0 {
                let line = lines.entry(name.clone()).or_default();
                *line = line.saturating_add(self_time);
            }
            names.push(name);
        }
        lines.into_iter().collect()
    }

    /// Writes [`folded_stacks`](Self::folded_stacks) as text, one `path self_nanos` line
    /// each: the input of `flamegraph.pl` and `inferno-flamegraph`. Buffers internally.
    ///
    /// # Errors
    ///
    /// Any error of `out`.
    ///
    /// ```
    /// use perfkit_profile::{Trace, profile};
    ///
    /// let trace = Trace::start()?;
    /// profile!("doc/folded/write", std::thread::sleep(std::time::Duration::from_micros(50)));
    /// let mut text = Vec::new();
    /// trace.finish().write_folded(&mut text)?;
    /// let text = String::from_utf8(text)?;
    /// let line = text.lines().find(|l| l.starts_with("doc/folded/write ")).unwrap();
    /// let nanos: u64 = line.rsplit(' ').next().unwrap().parse()?;
    /// assert!(nanos >= 50_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_folded<W: Write>(&self, out: W) -> io::Result<()> {
        let mut out = BufWriter::new(out);
        for (path, nanos) in self.folded_stacks() {
            writeln!(out, "{path} {nanos}")?;
        }
        out.flush()
    }

    /// [`write_folded`](Self::write_folded) into a `String`.
    ///
    /// ```
    /// use perfkit_profile::Trace;
    ///
    /// let trace = Trace::start()?;
    /// let data = trace.finish(); // nothing recorded
    /// assert_eq!(data.to_folded(), "");
    /// # Ok::<(), perfkit_profile::TraceError>(())
    /// ```
    #[must_use]
    pub fn to_folded(&self) -> String {
        let mut out = String::new();
        for (path, nanos) in self.folded_stacks() {
            out.push_str(&path);
            out.push(' ');
            out.push_str(&nanos.to_string());
            out.push('\n');
        }
        out
    }
}
