//! The heap profiler on a program with known allocation sites (feature `heap-profile`).
//!
//! A test binary of its own: it installs the tracking allocator as its `#[global_allocator]`,
//! and a process records one heap profile at a time, so everything runs in one test.
// Each box is one allocation at a known site: the point of the test.
#![allow(clippy::vec_box)]

use std::alloc::System;
use std::hint::black_box;

use perfkit_memory::TrackingAllocator;
use perfkit_memory::heap::{HeapError, Profiler, Unwind};
use serde_json::Value;

#[global_allocator]
static ALLOC: TrackingAllocator = TrackingAllocator::new(System);

/// 2000 blocks of 16 bytes, all freed before returning.
#[inline(never)]
fn small_site(out: &mut Vec<Box<[u8; 16]>>) {
    for i in 0..2000 {
        out.push(black_box(Box::new([i as u8; 16])));
    }
    out.clear();
}

/// 500 blocks of 256 bytes, kept: the heap's peak is reached with all of them live.
#[inline(never)]
fn big_site(out: &mut Vec<Box<[u8; 256]>>) {
    for i in 0..500 {
        out.push(black_box(Box::new([i as u8; 256])));
    }
}

/// One block of 40 bytes that outlives the profile.
#[inline(never)]
fn leaked_site() -> Box<[u8; 40]> {
    black_box(Box::new([1; 40]))
}

fn number(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not an unsigned integer in {v}"))
}

#[test]
fn known_sites_exact_counts_and_the_viewer_format() {
    let dir = std::env::temp_dir().join(format!("perfkit-heap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dhat-heap.json");
    // Room for every box, reserved before the profile starts, so the vectors never grow while
    // it records.
    let mut small = Vec::with_capacity(2000);
    let mut big = Vec::with_capacity(500);

    let profiler = Profiler::builder().file(&file).start().expect("starts");
    if std::env::var_os("PERFKIT_EXPECT_FRAME_POINTERS").is_some() {
        // Set by .ci/run for the build with `-C force-frame-pointers=yes`.
        assert_eq!(profiler.unwind(), Unwind::FramePointers);
    }
    assert!(matches!(
        Profiler::builder().no_file().start(),
        Err(HeapError::AlreadyRunning)
    ));
    small_site(&mut small);
    big_site(&mut big);
    let kept = leaked_site();
    drop(std::mem::take(&mut big));
    let profile = profiler.finish().expect("writes the file");
    drop(kept);

    // The top site (most bytes) is `big_site`'s box, counted exactly.
    let top = &profile.sites[0];
    assert!(
        top.frames.iter().any(|f| f.contains("big_site")),
        "top site: {:#?}",
        top.frames
    );
    assert_eq!((top.total_blocks, top.total_bytes), (500, 500 * 256));
    assert_eq!((top.max_blocks, top.max_bytes), (500, 500 * 256));
    assert_eq!((top.at_peak_blocks, top.at_peak_bytes), (500, 500 * 256));
    assert_eq!((top.at_end_blocks, top.at_end_bytes), (0, 0));
    let small_site = profile
        .sites
        .iter()
        .find(|s| s.frames.iter().any(|f| f.contains("small_site")))
        .expect("small_site recorded");
    assert_eq!(
        (small_site.total_blocks, small_site.total_bytes),
        (2000, 2000 * 16)
    );
    assert_eq!(
        (small_site.at_peak_blocks, small_site.at_end_blocks),
        (0, 0)
    );
    let leaked = profile
        .sites
        .iter()
        .find(|s| s.frames.iter().any(|f| f.contains("leaked_site")))
        .expect("leaked_site recorded");
    assert_eq!((leaked.at_end_blocks, leaked.at_end_bytes), (1, 40));
    assert_eq!(leaked.at_peak_bytes, 40, "live at the peak too");
    assert!(profile.peak_bytes >= 500 * 256 + 40);
    assert!(profile.total_bytes >= 500 * 256 + 2000 * 16 + 40);
    // No frame of the allocator itself heads a stack.
    for s in &profile.sites {
        let f = s.function().unwrap_or("");
        assert!(
            !f.contains("perfkit_memory::") && !f.starts_with("__rust"),
            "untrimmed: {:#?}",
            s.frames
        );
    }

    // The file has every field DHAT's viewer (dh_view.js, `buildTree` and `checkPP`) reads,
    // with its type.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).expect("the file is JSON");
    assert_eq!(json["dhatFileVersion"], 2);
    for key in ["mode", "verb", "tu", "Mtu", "cmd"] {
        assert!(json[key].is_string(), "{key}");
    }
    assert_eq!(json["bklt"], true);
    assert_eq!(json["bkacc"], false);
    for key in ["pid", "te", "tg", "tuth"] {
        number(&json, key);
    }
    assert!(number(&json, "tg") <= number(&json, "te"));
    let ftbl = json["ftbl"].as_array().expect("ftbl is an array");
    assert_eq!(ftbl[0], "[root]");
    assert!(ftbl.iter().all(Value::is_string));
    let pps = json["pps"].as_array().expect("pps is an array");
    assert_eq!(pps.len(), profile.sites.len());
    let mut seen = std::collections::HashSet::new();
    for pp in pps {
        for key in ["tb", "tbk", "tl", "mb", "mbk", "gb", "gbk", "eb", "ebk"] {
            number(pp, key);
        }
        let fs: Vec<u64> = pp["fs"]
            .as_array()
            .expect("fs is an array")
            .iter()
            .map(|f| f.as_u64().expect("frame index"))
            .collect();
        assert!(fs.iter().all(|&f| f > 0 && (f as usize) < ftbl.len()));
        // The viewer requires each program point's stack to be unique.
        assert!(seen.insert(fs.clone()), "duplicate stack {fs:?}");
    }
    let top_pp = &pps[0];
    assert_eq!(
        (number(top_pp, "tbk"), number(top_pp, "tb")),
        (500, 128_000)
    );
    assert_eq!(
        (number(top_pp, "gbk"), number(top_pp, "gb")),
        (500, 128_000)
    );
    std::fs::remove_dir_all(&dir).ok();
}
