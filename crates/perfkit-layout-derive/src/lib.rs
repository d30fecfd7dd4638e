//! Derive macros for [perfkit-layout](https://docs.rs/perfkit-layout).
//!
//! Use them through `perfkit-layout` (or the `perfkit` facade), which re-exports both:
//!
//! - `#[derive(Soa)]` on a struct `Foo` with named fields generates `FooSoa`, a
//!   struct-of-arrays container with one `Vec` per field, and its companions `FooRef`,
//!   `FooRefMut`, `FooColumns`, `FooColumnsMut`, `FooSoaIter`, `FooSoaIterMut` and
//!   `FooSoaIntoIter`.
//! - `#[derive(Layout)]` implements `perfkit_layout::Layout`, whose `layout_report()` returns
//!   the exact size, alignment, field offsets and padding of the struct, measured with
//!   `core::mem::offset_of!` and `size_of`.
//!
//! The generated code names the runtime crate by path. It finds it on its own when the
//! calling package depends on `perfkit-layout` (path `::perfkit_layout`) or on the `perfkit`
//! facade (path `::perfkit::layout`); `#[soa(crate = "path")]` / `#[layout(crate = "path")]`
//! override that.
//!
//! ```ignore
//! use perfkit_layout::Soa;
//!
//! #[derive(Soa, Debug, Clone, PartialEq)]
//! pub struct Particle { pub x: f32, pub vx: f32 }
//!
//! let mut ps = ParticleSoa::new();
//! ps.push(Particle { x: 0.0, vx: 1.0 });
//! let cols = ps.columns_mut();
//! for (x, vx) in cols.x.iter_mut().zip(cols.vx.iter()) {
//!     *x += *vx;
//! }
//! ```
// On docs.rs (and in .ci/run's nightly doc build), both built with `--cfg docsrs`, every
// feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod krate;
mod layout;
mod soa;

/// Generates a struct-of-arrays container `FooSoa` for a struct `Foo` with named fields.
///
/// See the `perfkit_layout::soa` module for the full list of generated items and methods.
#[proc_macro_derive(Soa, attributes(soa))]
pub fn derive_soa(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    soa::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `perfkit_layout::Layout` (an exact `LayoutReport` of the struct).
#[proc_macro_derive(Layout, attributes(layout))]
pub fn derive_layout(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    layout::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
