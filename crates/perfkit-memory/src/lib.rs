//! Memory tools for hot paths: a bump arena, object pools, a generational slab and a counting
//! global allocator over mimalloc.
//!
//! Most slow Rust services are slow because they allocate: one `Box`, `String` or `Vec` per
//! item, per request, per message. The remedies are well known — allocate from an arena and
//! free everything at once, reuse objects from a pool, keep values in a slab addressed by
//! handles, use a faster allocator and count what you allocate — and this crate packages them
//! so each costs no more than the hand-written version:
//!
//! - [`arena`]: [`Arena`] over bumpalo, with destructors that run ([`Arena::alloc_with_drop`]),
//!   a byte limit that returns an error, and [`arena::with_frame`] for per-request scratch.
//! - [`pool`]: [`LocalPool`] (one thread, a plain stack) and [`Pool`] (per-thread caches in
//!   front of a shared store), [`Reset`] on return, bounded idle capacity, stats, and the
//!   [`Pooled`] guard.
//! - [`slab`]: [`Slab`] with generational [`Handle`]s: a stale handle finds nothing.
//! - [`tracking`]: [`TrackingAllocator`], a `#[global_allocator]` (over mimalloc or any other
//!   allocator) that counts
//!   per thread without contention, with [`tracking::measure`] and
//!   [`tracking::assert_no_alloc`].
//!
//! ```
//! use perfkit_memory::{Arena, LocalPool, Slab};
//!
//! // Parse a batch into an arena: one pointer bump per value, one free for the batch.
//! let arena = Arena::new();
//! let words: Vec<&str> = "a quick brown fox".split(' ').map(|w| &*arena.alloc_str(w)).collect();
//! assert_eq!(words.len(), 4);
//!
//! // Reuse buffers instead of allocating one per request.
//! let buffers = LocalPool::new(16, || Vec::<u8>::with_capacity(4096));
//! for request in [&b"GET /"[..], b"POST /items"] {
//!     let mut buf = buffers.get();
//!     buf.extend_from_slice(request);
//! }
//! assert_eq!(buffers.stats().misses, 1); // the second request reused the first buffer
//!
//! // Stable ids for values that come and go.
//! let mut sessions = Slab::new();
//! let id = sessions.insert("alice");
//! sessions.remove(id);
//! assert_eq!(sessions.get(id), None);
//! ```
//!
//! Features: `mimalloc` (default) builds mimalloc and re-exports its allocator as
//! [`MiMalloc`]; `TrackingAllocator<MiMalloc>` then calls mimalloc's fastest entry points.
//! [`TrackingAllocator`]'s default inner allocator is [`std::alloc::System`] with or without
//! it, so enabling the feature changes no type. `serde` implements `Serialize` for
//! [`AllocStats`] and [`PoolStats`]. `heap-profile` adds [`heap`]: per-site heap profiles
//! that DHAT's viewer opens.
// On docs.rs (and in .ci/run's nightly doc build), both built with `--cfg docsrs`, every
// feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod arena;
#[cfg(feature = "heap-profile")]
pub mod heap;
pub mod pool;
#[cfg(feature = "serde")]
mod serde_impl;
pub mod slab;
mod sync;
pub mod tracking;

pub use arena::{Arena, ArenaError};
pub use pool::{LocalPool, Pool, PoolStats, Pooled, Reset};
pub use slab::{Handle, Slab};
pub use tracking::{AllocStats, TrackingAllocator};

/// mimalloc's global allocator type: `TrackingAllocator<MiMalloc>` counts over mimalloc.
#[cfg(feature = "mimalloc")]
pub use mimalloc::MiMalloc;

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
