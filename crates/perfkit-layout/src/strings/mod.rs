//! String tables and interning: many strings in one buffer, each named by a small integer.
//!
//! A `Vec<String>` spends a 24-byte header and a heap allocation per string; a
//! [`StringTable`] keeps every string back to back in one buffer with a `u32` offset each,
//! and hands out positions.
//!
//! An [`Interner`] stores each *distinct* string once and names it by a [`Symbol`] (a `u32`
//! newtype), so repeated names (metric names, identifiers, tags) become 4-byte keys that
//! compare and hash in one instruction. Its table is a SwissTable-style open-addressing
//! table over a fast keyed hash ([`SeededHash`], seeded at random per instance under
//! `std`, so crafted collisions cannot flood it), in cache-line groups of 12 one-byte tags and the 12
//! `u32` symbols they tag, so a lookup touches the table once and the strings once; each
//! symbol is the offset of its string in the buffer, so `resolve` is one memory access.
//! After [`Interner::shrink_to_fit`] it holds at most 1.4× the raw bytes of 20-byte strings
//! (a one-byte length header per string plus 6.4 table bytes at a load of at most 10/12);
//! [`Interner::into_resolver`] freezes it into a read-only [`Resolver`] that keeps only
//! the strings.
//!
//! ```
//! use perfkit_layout::strings::{Interner, StringTable};
//!
//! let mut names = Interner::new();
//! let a = names.intern("cpu.user");
//! let b = names.intern("cpu.system");
//! assert_eq!(names.intern("cpu.user"), a); // same string, same symbol
//! assert_ne!(a, b);
//! assert_eq!(names.resolve(b), "cpu.system");
//! assert_eq!(names.get("mem.free"), None);
//! assert_eq!(names.len(), 2);
//!
//! let frozen = names.into_resolver(); // read-only, table dropped
//! assert_eq!(frozen.resolve(a), "cpu.user");
//!
//! let mut table = StringTable::new();
//! let i = table.try_push("hello")?;
//! assert_eq!(table.get(i), Some("hello"));
//! # Ok::<(), perfkit_layout::strings::StringsError>(())
//! ```

mod entry;
#[allow(unsafe_code)]
mod group_table;
mod hash;
#[allow(unsafe_code)]
mod interner;
#[allow(unsafe_code)]
mod string_table;

pub use hash::{SeededHash, SeededHasher};
pub use interner::{Interner, Iter, Resolver, Symbol};
pub use string_table::StringTable;

/// The panic of the non-`try_` methods: the message of the error the `try_` twin returns.
#[cold]
#[inline(never)]
fn too_large(e: StringsError) -> ! {
    panic!("{e}")
}

/// Errors of the string containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StringsError {
    /// The strings would no longer fit the 4 GiB that `u32` offsets address.
    #[error(
        "string storage would pass 4 GiB: {stored} bytes are stored and a string of {given} bytes was given"
    )]
    TooLarge {
        /// Bytes already stored.
        stored: usize,
        /// Length of the string that did not fit.
        given: usize,
    },
}
