//! A finished profile: its sites and figures, and DHAT's JSON format.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Unwind;

/// One allocation site of a [`HeapProfile`]: its stack and DHAT's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Site {
    /// The call stack, innermost first: `0xADDRESS: function (file:line:column)` per frame,
    /// the allocator's own frames trimmed.
    pub frames: Vec<String>,
    /// Blocks allocated here.
    pub total_blocks: u64,
    /// Bytes allocated here.
    pub total_bytes: u64,
    /// The sum of the lifetimes of the blocks allocated here, in microseconds (blocks still
    /// live at the end count up to the end).
    pub total_lifetime_us: u64,
    /// The most bytes from this site live at once.
    pub max_bytes: u64,
    /// The blocks from this site live when `max_bytes` was reached.
    pub max_blocks: u64,
    /// Bytes from this site live at the global peak (t-gmax).
    pub at_peak_bytes: u64,
    /// Blocks from this site live at the global peak.
    pub at_peak_blocks: u64,
    /// Bytes from this site still live at the end.
    pub at_end_bytes: u64,
    /// Blocks from this site still live at the end.
    pub at_end_blocks: u64,
}

impl Site {
    /// The innermost frame's function name (without address and location), if any.
    #[must_use]
    pub fn function(&self) -> Option<&str> {
        self.frames.first().map(|f| frame_function(f))
    }
}

/// The function name of a frame string `0xADDR: name (location)`.
pub(super) fn frame_function(frame: &str) -> &str {
    let name = frame.split_once(": ").map_or(frame, |(_, rest)| rest);
    name.rsplit_once(" (").map_or(name, |(n, _)| n)
}

/// A finished heap profile: every site, sorted by bytes allocated (most first).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct HeapProfile {
    /// The sites, most bytes allocated first.
    pub sites: Vec<Site>,
    /// Blocks allocated while recording.
    pub total_blocks: u64,
    /// Bytes allocated while recording.
    pub total_bytes: u64,
    /// The most bytes live at once (tracked blocks only).
    pub peak_bytes: u64,
    /// The blocks live at that peak.
    pub peak_blocks: u64,
    /// When the peak was reached, microseconds from the start.
    pub peak_time_us: u64,
    /// The length of the profile, microseconds.
    pub end_time_us: u64,
    /// How stacks were captured.
    pub unwind: Unwind,
    pub(super) file: Option<PathBuf>,
}

impl HeapProfile {
    /// The file the profile was written to, if any.
    #[must_use]
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The profile in DHAT's JSON format (`dhatFileVersion` 2, mode `rust-heap`, block
    /// lifetimes, no access counts), as written to the file.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut ftbl: Vec<&str> = vec!["[root]"];
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut out = String::with_capacity(256 + self.sites.len() * 160);
        let cmd: Vec<String> = std::env::args().collect();
        let _ = write!(
            out,
            "{{\"dhatFileVersion\":2,\"mode\":\"rust-heap\",\"verb\":\"Allocated\",\
             \"bklt\":true,\"bkacc\":false,\"tu\":\"µs\",\"Mtu\":\"s\",\"tuth\":10,\
             \"cmd\":{},\"pid\":{},\"tg\":{},\"te\":{},\"pps\":[",
            json_string(&cmd.join(" ")),
            std::process::id(),
            self.peak_time_us,
            self.end_time_us
        );
        for (i, s) in self.sites.iter().enumerate() {
            let fs: Vec<String> = s
                .frames
                .iter()
                .map(|f| {
                    let n = *index.entry(f.as_str()).or_insert_with(|| {
                        ftbl.push(f);
                        ftbl.len() - 1
                    });
                    n.to_string()
                })
                .collect();
            let _ = write!(
                out,
                "{}\n{{\"tb\":{},\"tbk\":{},\"tl\":{},\"mb\":{},\"mbk\":{},\"gb\":{},\"gbk\":{},\
                 \"eb\":{},\"ebk\":{},\"fs\":[{}]}}",
                if i == 0 { "" } else { "," },
                s.total_bytes,
                s.total_blocks,
                s.total_lifetime_us,
                s.max_bytes,
                s.max_blocks,
                s.at_peak_bytes,
                s.at_peak_blocks,
                s.at_end_bytes,
                s.at_end_blocks,
                fs.join(",")
            );
        }
        out.push_str("\n],\"ftbl\":[");
        for (i, f) in ftbl.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
            } else {
                out.push('\n');
            }
            out.push_str(&json_string(f));
        }
        out.push_str("\n]}\n");
        out
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
