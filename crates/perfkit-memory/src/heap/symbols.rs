//! Symbols for the captured return addresses, once per address, and the trimming of the
//! allocator's own frames.

use std::collections::HashMap;

use super::profile::frame_function;

/// One symbolized return address: its frames, innermost (inlined) first.
fn describe(ip: usize) -> Vec<String> {
    let mut frames = Vec::new();
    backtrace::resolve(ip as *mut std::ffi::c_void, |sym| {
        let name = sym
            .name()
            .map_or_else(|| "???".to_string(), |n| format!("{n:#}"));
        let location = match (sym.filename(), sym.lineno()) {
            (Some(file), Some(line)) => {
                format!(" ({}:{line}:{})", file.display(), sym.colno().unwrap_or(0))
            }
            _ => String::new(),
        };
        frames.push(format!("{ip:#x}: {name}{location}"));
    });
    if frames.is_empty() {
        frames.push(format!("{ip:#x}: ???"));
    }
    frames
}

/// Every distinct address of `stacks`, symbolized once.
pub(super) fn symbolize(stacks: &[Box<[usize]>]) -> HashMap<usize, Vec<String>> {
    let mut names = HashMap::new();
    for &ip in stacks.iter().flat_map(|s| s.iter()) {
        names.entry(ip).or_insert_with(|| describe(ip));
    }
    names
}

/// Whether a frame belongs to the allocator (the `GlobalAlloc` shims, the tracking
/// allocator, this profiler, the unwinder): by its function's path, or, for inlined frames,
/// whose names debug info gives without their path, by its source file.
fn is_allocator_frame(frame: &str) -> bool {
    let file = frame.rsplit_once(" (").map_or("", |(_, location)| {
        location.rsplit_once(':').map_or(location, |(f, _)| f)
    });
    let file = file.rsplit_once(':').map_or(file, |(f, _)| f);
    let allocator_files = [
        "perfkit-memory/src/tracking/",
        "perfkit-memory/src/heap/",
        "/library/alloc/src/alloc.rs",
        "/library/std/src/alloc.rs",
        "/library/core/src/alloc/global.rs",
        "/library/std/src/thread/local.rs",
        "/src/backtrace/",
    ];
    if allocator_files.iter().any(|a| file.contains(a)) {
        return true;
    }
    let f = frame_function(frame);
    let f = f.strip_prefix('<').unwrap_or(f);
    [
        "perfkit_memory::tracking",
        "perfkit_memory::heap",
        "backtrace::",
        "__rust_alloc",
        "__rust_dealloc",
        "__rust_realloc",
        "__rust_alloc_zeroed",
        "__rustc::__rust",
        "__rg_",
        "__rdl_",
        "alloc::alloc::",
        "std::alloc::",
        "std::thread::local::LocalKey",
        "mimalloc::",
    ]
    .iter()
    .any(|p| f.starts_with(p))
}

/// A raw stack's frames without the allocator's own (the innermost run of them), cut to
/// `depth`.
pub(super) fn trimmed(
    stack: &[usize],
    names: &HashMap<usize, Vec<String>>,
    depth: usize,
) -> Vec<String> {
    let all: Vec<&String> = stack.iter().flat_map(|ip| &names[ip]).collect();
    let first_user = all
        .iter()
        .position(|f| !is_allocator_frame(f))
        .unwrap_or(all.len());
    let mut frames: Vec<String> = all[first_user..]
        .iter()
        .take(depth)
        .map(|f| (*f).clone())
        .collect();
    if frames.is_empty() {
        frames.push("[allocator]".to_string());
    }
    frames
}
