//! perfkit: the proven Rust performance techniques as small crates you can depend on one at
//! a time, and this facade that re-exports them.
//!
//! The facade adds no logic of its own: each member crate is a module here behind a feature
//! of the same name (`simd`, `encoding`, `memory`, `layout`, `profile`, all on by default), and
//! [`prelude`] gathers the names most programs use. Depend on a single crate
//! (`perfkit-simd`, ...) when you need only that; depend on `perfkit` for all of them.
//!
//! The members' own optional features are forwarded under the same names, each reaching
//! every enabled member that has it: `std` (default; std's CPU detection and the
//! `PERFKIT_SIMD` override in simd, encoding and layout), `derive` (default; `#[derive(Soa)]`
//! and `#[derive(Layout)]`), `mimalloc` (default; `perfkit::memory::MiMalloc`), `serde`,
//! `heap-profile` (`perfkit::memory::heap`: heap profiles for DHAT's viewer), and `deflate`
//! (HdrHistogram's compressed V2 + DEFLATE encoding of `perfkit::profile::Histogram`).
//!
//! ```
//! use perfkit::prelude::*;
//! ```
// On docs.rs (and in .ci/run's nightly doc build), both built with `--cfg docsrs`, every
// feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

/// SIMD kernels with runtime CPU dispatch (the `perfkit-simd` crate).
#[cfg(feature = "simd")]
pub use perfkit_simd as simd;

/// Hardened varint, Stream VByte and frame codecs (the `perfkit-encoding` crate).
#[cfg(feature = "encoding")]
pub use perfkit_encoding as encoding;

/// Arena, object pools, generational slab and the tracking allocator (the `perfkit-memory`
/// crate).
#[cfg(feature = "memory")]
pub use perfkit_memory as memory;

/// Data layouts: struct-of-arrays by derive, bit sets, packed integers, string interning,
/// typed ids and layout reports (the `perfkit-layout` crate). The derives `Soa` and `Layout`
/// are re-exported here and find this path on their own when a package depends on `perfkit`
/// only.
#[cfg(feature = "layout")]
pub use perfkit_layout as layout;

/// Scope timers, latency histograms and regression detection: the `perfkit-profile` crate
/// (feature `profile`).
///
/// ```
/// use perfkit::prelude::*;
///
/// let mut latency = Histogram::new(); // nanoseconds
/// let mut watch = Stopwatch::start();
/// {
///     profile!("facade/scope");
///     latency.record(watch.lap());
/// }
/// assert_eq!(latency.len(), 1);
/// assert_eq!(perfkit::profile::snapshot().get("facade/scope").map(|s| s.count()), Some(1));
/// ```
#[cfg(feature = "profile")]
#[doc(inline)]
pub use perfkit_profile as profile;

/// The names most programs use, from every enabled member crate.
pub mod prelude {
    #[cfg(feature = "simd")]
    pub use perfkit_simd::{Level, Simd};

    #[cfg(feature = "encoding")]
    pub use perfkit_encoding::{DecodeError, FrameError, frame::Frame, frame::FrameReader};

    #[cfg(feature = "memory")]
    pub use perfkit_memory::{
        AllocStats, Arena, Handle, LocalPool, Pool, Pooled, Reset, Slab, TrackingAllocator,
    };

    #[cfg(feature = "layout")]
    pub use perfkit_layout::{
        BitSet, Id, Id64, Interner, Layout, LayoutReport, PackedVec, StringTable, Symbol,
    };

    #[cfg(all(feature = "layout", feature = "derive"))]
    pub use perfkit_layout::Soa;

    #[cfg(feature = "profile")]
    pub use perfkit_profile::{Histogram, Stopwatch, profile};
}

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
