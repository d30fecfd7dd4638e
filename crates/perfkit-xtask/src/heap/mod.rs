//! `cargo xtask heap`: where a program's allocations come from, as a DHAT heap profile.
//!
//! 1. build the target with the package's `heap-profile` feature, frame pointers and symbols
//!    (as `flamegraph` builds, in `target/perfkit/heap/target`);
//! 2. run it with `PERFKIT_HEAP_FILE=target/perfkit/heap/NAME.dhat-heap.json`: the program's
//!    `perfkit_memory::heap::Profiler` (started under `#[cfg(feature = "heap-profile")]`)
//!    writes there when it drops;
//! 3. print the sites that allocated the most, and where the file is (it opens in DHAT's
//!    viewer, `dh_view.html`, shipped with valgrind).
//!
//! The package opts in by declaring the feature, e.g. `heap-profile =
//! ["perfkit-memory/heap-profile"]` (or `["perfkit/heap-profile"]` through the facade), and
//! starting the profiler under it; the command says so when either is missing.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::flags::{self, Heap};
use crate::flamegraph;
use crate::machine::RustcInfo;
use crate::pgo;
use crate::util::{self, BuildTarget, Failure, Result, Workspace, progress};

/// The package feature the command turns on.
pub const FEATURE: &str = "heap-profile";

/// One site of a DHAT file, for the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Bytes allocated there.
    pub bytes: u64,
    /// Blocks allocated there.
    pub blocks: u64,
    /// Bytes live at the global peak.
    pub at_peak: u64,
    /// Bytes live at the end.
    pub at_end: u64,
    /// Its frames, innermost first.
    pub frames: Vec<String>,
}

/// Reads the sites of a DHAT JSON profile, most bytes first.
///
/// # Errors
///
/// If it is not DHAT's format (version 2 with `pps` and `ftbl`).
pub fn sites(json: &str) -> std::result::Result<Vec<Site>, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if v["dhatFileVersion"] != 2 {
        return Err("not a DHAT file of version 2".into());
    }
    let ftbl: Vec<&str> = v["ftbl"]
        .as_array()
        .ok_or("no `ftbl`")?
        .iter()
        .map(|f| f.as_str().unwrap_or("?"))
        .collect();
    let n = |pp: &serde_json::Value, k: &str| pp[k].as_u64().unwrap_or(0);
    let mut out: Vec<Site> = v["pps"]
        .as_array()
        .ok_or("no `pps`")?
        .iter()
        .map(|pp| Site {
            bytes: n(pp, "tb"),
            blocks: n(pp, "tbk"),
            at_peak: n(pp, "gb"),
            at_end: n(pp, "eb"),
            frames: pp["fs"]
                .as_array()
                .map(|fs| {
                    fs.iter()
                        .filter_map(|f| ftbl.get(usize::try_from(f.as_u64()?).ok()?))
                        .map(|f| (*f).to_string())
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(b.blocks.cmp(&a.blocks)));
    Ok(out)
}

/// A frame's function, without the address and the location.
fn function(frame: &str) -> &str {
    let f = frame.split_once(": ").map_or(frame, |(_, rest)| rest);
    f.rsplit_once(" (").map_or(f, |(name, _)| name)
}

/// Whether a frame is the standard library's: by its path, or (inlined frames, named without
/// their path) by its source file under rustc's `library/`.
fn is_std(frame: &str) -> bool {
    let std = [
        "alloc::",
        "core::",
        "std::",
        "<alloc::",
        "<core::",
        "<std::",
        "hashbrown::",
    ];
    let f = function(frame);
    std.iter().any(|s| f.starts_with(s)) || frame.contains("/library/")
}

/// The first frame of the program's own code: not the standard library's.
#[must_use]
pub fn first_own_frame(frames: &[String]) -> Option<&str> {
    frames
        .iter()
        .find(|f| !is_std(f))
        .or_else(|| frames.first())
        .map(|f| function(f))
}

/// The top-`n` table as printed.
#[must_use]
pub fn table(sites: &[Site], n: usize) -> String {
    let total: u64 = sites.iter().map(|s| s.bytes).sum();
    let mut out = format!(
        "{} sites, {} allocated; the top {}:\n{:>4}  {:>10}  {:>6}  {:>10}  {:>10}  {:>10}  site\n",
        sites.len(),
        util::human_bytes(total),
        n.min(sites.len()),
        "#",
        "bytes",
        "share",
        "blocks",
        "at peak",
        "at end"
    );
    for (i, s) in sites.iter().take(n).enumerate() {
        let share = if total == 0 {
            0.0
        } else {
            100.0 * s.bytes as f64 / total as f64
        };
        let _ = writeln!(
            out,
            "{:>4}  {:>10}  {share:>5.1}%  {:>10}  {:>10}  {:>10}  {}",
            i + 1,
            util::human_bytes(s.bytes),
            s.blocks,
            util::human_bytes(s.at_peak),
            util::human_bytes(s.at_end),
            first_own_frame(&s.frames).unwrap_or("?")
        );
    }
    out
}

/// Entry point.
pub fn run(h: &Heap) -> Result<()> {
    flags::exclusive(
        "heap",
        &[
            ("--example", h.example.is_some()),
            ("--bin", h.bin.is_some()),
            ("--bench", h.bench.is_some()),
        ],
    )?;
    let ws = Workspace::load()?;
    let target = BuildTarget::resolve(&ws, h.target())?;
    let declared = ws
        .package(&target.package)
        .is_some_and(|p| p.features.contains_key(FEATURE));
    if !declared {
        return Err(Failure::new(format!(
            "package `{}` has no `{FEATURE}` feature: add `{FEATURE} = \
             [\"perfkit-memory/{FEATURE}\"]` to its [features] and start \
             `perfkit_memory::heap::Profiler` under `#[cfg(feature = \"{FEATURE}\")]` (see \
             `cargo xtask heap --help`)",
            target.package
        )));
    }
    let rustc = RustcInfo::detect()?;
    let user = pgo::effective_rustflags(&rustc.host)?;
    let out = ws.out_dir("heap");
    let profile = flamegraph::profile_for(&target);
    progress(format!(
        "heap profile of {} `{}` of package `{}`: building with --features {FEATURE}, profile \
         `{profile}`, symbols and frame pointers",
        target.kind, target.name, target.package
    ));
    let mut config = flamegraph::symbols_config(profile);
    config.extend(["--features".to_string(), FEATURE.to_string()]);
    let built = pgo::build(
        &target,
        &config,
        profile,
        Some(&out.join("target")),
        Some(&flamegraph::profiling_rustflags(&user)),
    )?;
    let file = out.join(format!("{}.dhat-heap.json", target.name));
    if file.exists() {
        std::fs::remove_file(&file).map_err(|e| Failure::io("remove", &file, &e))?;
    }
    let args = flamegraph::program_args(&target, &h.args);
    let mut cmd = Command::new(&built.exe);
    cmd.args(&args)
        .env(FILE_ENV, &file)
        .current_dir(flamegraph::program_dir(&ws, &target)?);
    progress(format!("running: {}", util::display(&cmd)));
    util::run(&mut cmd)?;
    if !file.is_file() {
        return Err(Failure::new(format!(
            "`{}` wrote no heap profile at {}: it must start `perfkit_memory::heap::Profiler` \
             under `#[cfg(feature = \"{FEATURE}\")]` and let it drop (or finish it) before \
             exiting",
            target.name,
            file.display()
        )));
    }
    report(&file, h.top.unwrap_or(10))
}

/// The environment variable that tells the profiler where to write.
const FILE_ENV: &str = "PERFKIT_HEAP_FILE";

fn report(file: &Path, top: usize) -> Result<()> {
    let sites = sites(&util::read(file)?)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", file.display())))?;
    print!("{}", table(&sites, top));
    println!("heap profile: {}", file.display());
    println!(
        "open it in DHAT's viewer: {} (valgrind's dh_view.html; \"Load\" the file)",
        viewer().unwrap_or_else(|| "dh_view.html".into())
    );
    Ok(())
}

/// Where valgrind installed DHAT's viewer, if it did.
fn viewer() -> Option<String> {
    [
        "/usr/libexec/valgrind/dh_view.html",
        "/usr/lib/valgrind/dh_view.html",
    ]
    .into_iter()
    .find(|p| Path::new(p).is_file())
    .map(|p| format!("file://{p}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"dhatFileVersion":2,"mode":"rust-heap","verb":"Allocated",
"bklt":true,"bkacc":false,"tu":"µs","Mtu":"s","tuth":10,"cmd":"app","pid":1,"tg":5,"te":9,
"pps":[
{"tb":100,"tbk":1,"tl":3,"mb":100,"mbk":1,"gb":100,"gbk":1,"eb":0,"ebk":0,"fs":[1,3]},
{"tb":4096,"tbk":4,"tl":3,"mb":4096,"mbk":4,"gb":0,"gbk":0,"eb":1024,"ebk":1,"fs":[2,3]}
],"ftbl":["[root]",
"0x1: grow_one (/rustc/x/library/alloc/src/raw_vec.rs:1:1)",
"0x2: app::parse (src/main.rs:9:5)",
"0x3: app::main (src/main.rs:2:1)"]}"#;

    #[test]
    fn sites_read_back_most_bytes_first_with_their_own_frame() {
        let s = sites(FILE).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].bytes, s[0].blocks, s[0].at_end), (4096, 4, 1024));
        assert_eq!(first_own_frame(&s[0].frames), Some("app::parse"));
        // The standard library's frames are skipped for the program's own.
        assert_eq!(first_own_frame(&s[1].frames), Some("app::main"));
        let t = table(&s, 1);
        assert!(
            t.contains("2 sites") && t.contains("app::parse") && !t.contains("app::main"),
            "{t}"
        );
        assert!(sites("{}").is_err());
    }
}
