//! Data layouts for speed: struct-of-arrays containers by derive, bit sets, bit-packed
//! integers, string interning, typed ids and struct layout reports.
//!
//! How data sits in memory decides how fast a loop over it runs: a loop that reads two
//! fields of a 28-byte struct wastes most of every cache line, a `HashSet<u32>` of dense
//! ids spends 100 bits per member where one would do, and a `Vec<String>` of repeated names
//! spends an allocation and 24 bytes per name. This crate packages the classic fixes:
//!
//! | module | what | instead of |
//! | --- | --- | --- |
//! | [`soa`] | `#[derive(Soa)]`: one `Vec` per field, with split borrows and chunked access | `Vec<Struct>` |
//! | [`bits`] | [`BitSet`], [`PackedVec`] (1..=64 bits per value) | `HashSet<usize>`, `Vec<u64>` |
//! | [`strings`] | [`StringTable`], [`Interner`] / [`Symbol`] | `Vec<String>`, `HashMap<String, u32>` |
//! | [`id`] | [`Id<T>`], [`Id64<T>`]: indices that know what they index | bare `u32` |
//! | [`report`] | `#[derive(Layout)]` → [`LayoutReport`] | guessing at padding |
//!
//! `#![no_std]`; needs `alloc`. The derives come from `perfkit-layout-derive` (feature
//! `derive`, on by default).
//!
//! ```
//! use perfkit_layout::{Layout, Soa};
//!
//! #[derive(Soa, Layout, Debug, Clone, PartialEq)]
//! pub struct Particle {
//!     pub x: f32,
//!     pub y: f32,
//!     pub vx: f32,
//!     pub vy: f32,
//!     pub mass: f32,
//! }
//!
//! let mut ps: ParticleSoa = (0..1000)
//!     .map(|i| Particle { x: 0.0, y: 0.0, vx: i as f32, vy: 1.0, mass: 1.0 })
//!     .collect();
//!
//! // The position update touches four columns and vectorizes; `mass` is never loaded.
//! let dt = 0.5;
//! let c = ps.columns_mut();
//! for (x, vx) in c.x.iter_mut().zip(c.vx.iter()) {
//!     *x += vx * dt;
//! }
//! for (y, vy) in c.y.iter_mut().zip(c.vy.iter()) {
//!     *y += vy * dt;
//! }
//! assert_eq!(*ps.get(10).unwrap().x, 5.0);
//!
//! let report = Particle::layout_report();
//! assert_eq!((report.size(), report.padding()), (20, 0));
//! ```
// On docs.rs (and in .ci/run's nightly doc build), both built with `--cfg docsrs`, every
// feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![no_std]
// `unsafe` is allowed only in the modules that opt in, each block with its `// SAFETY:`
// argument: unchecked slicing where an invariant already proves the bounds (`strings`),
// unaligned word loads and the AVX2 instantiations behind a `Simd` token (`bits`), and the
// derived `push`'s write into a slot its `Room` proved spare (`__private`).
#![deny(unsafe_code)]

extern crate alloc;
// `SeededHash::new`'s random seed (std's per-process random source).
#[cfg(feature = "std")]
extern crate std;
// The derives name this crate `::perfkit_layout`; let them work inside it too.
extern crate self as perfkit_layout;

pub mod bits;
pub mod id;
pub mod report;
#[cfg(feature = "serde")]
mod serde_impl;
pub mod soa;
pub mod strings;

pub use bits::{BitSet, PackedVec};
pub use id::{Id, Id64};
pub use report::{FieldLayout, Layout, LayoutReport};
pub use strings::{Interner, StringTable, Symbol};

#[cfg(feature = "derive")]
pub use perfkit_layout_derive::{Layout, Soa};

/// Items the generated code uses. Not public API: may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use alloc::vec;
    pub use alloc::vec::{IntoIter, Vec};

    /// Proof that a column has room for one more value: made only by [`room`], which checks
    /// it, and holding the column's unique borrow, so nothing can take the room away before
    /// [`Room::push`] uses it.
    #[derive(Debug)]
    pub struct Room<'a, T>(&'a mut Vec<T>);

    /// The column's spare slot, or `None` when it is full. A derived `push` asks every column
    /// first and writes only when all have room, so the common case is one check per column
    /// and no growth branch between the writes.
    #[inline(always)]
    pub fn room<T>(column: &mut Vec<T>) -> Option<Room<'_, T>> {
        if column.len() < column.capacity() {
            Some(Room(column))
        } else {
            None
        }
    }

    impl<T> Room<'_, T> {
        /// Appends `value` in the spare slot that [`room`] found.
        #[inline(always)]
        pub fn push(self, value: T) {
            let column = self.0;
            let len = column.len();
            // `room` checked `len < capacity` on this very vector, and the unique borrow held
            // since then means no other code changed its length or buffer.
            #[allow(unsafe_code)]
            // SAFETY: by the above, slot `len` is allocated and uninitialised; writing it and
            // then raising the length by one keeps every slot below the length initialised.
            unsafe {
                column.as_mut_ptr().add(len).write(value);
                column.set_len(len + 1);
            }
        }
    }

    /// Reorders rows so that new row `i` is old row `perm[i]`, calling `swap(a, b)` to
    /// exchange two rows in every column. `perm` must be a permutation of `0..perm.len()`;
    /// it is left as the identity.
    pub fn apply_permutation(perm: &mut [usize], mut swap: impl FnMut(usize, usize)) {
        for start in 0..perm.len() {
            // Follow the cycle through `start`: each swap puts one row in its final place.
            let mut cur = start;
            loop {
                let next = perm[cur];
                perm[cur] = cur;
                if next == start {
                    break;
                }
                swap(cur, next);
                cur = next;
            }
        }
    }
}

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
