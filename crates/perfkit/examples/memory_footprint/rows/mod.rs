//! The rows of the table: one way of holding the same records per row, each adding one
//! technique to the row above, one file per row; `stores.rs` is what the rows from
//! `packed_tags` on hold beside their records. Every row's scan folds every field of every
//! record into the same checksum, so no row can hold less.

pub mod arena;
pub mod bitset;
pub mod interned;
pub mod naive;
pub mod narrow;
pub mod packed_tags;
pub mod reorder;
pub mod soa;
pub mod stores;
pub mod typed_ids;

use crate::measure::Measured;
use crate::model::Source;

/// One row of the table.
#[derive(Debug)]
pub struct RowSpec {
    /// Its name (`--row NAME`).
    pub name: &'static str,
    /// What it adds to the row above.
    pub what: &'static str,
    /// Builds the row from the source, then scans it the given number of times.
    pub run: fn(&Source, usize) -> Measured,
}

/// The rows, in table order.
pub const ROWS: &[RowSpec] = &[
    RowSpec {
        name: "naive",
        what: "String name, Vec<String> tags, repr(C) enum (4 B), u64/i64 fields, 6 bools, schema order, Vec<User>",
        run: naive::run,
    },
    RowSpec {
        name: "narrow",
        what: "+ #[repr(u8)] status, u32 id and timestamps, u16 score (same field order)",
        run: narrow::run,
    },
    RowSpec {
        name: "reorder",
        what: "+ fields sorted by alignment, as the layout report of `narrow` computes",
        run: reorder::run,
    },
    RowSpec {
        name: "bitset",
        what: "+ flags as one BitSet per flag (a bit per record) instead of 6 bools",
        run: bitset::run,
    },
    RowSpec {
        name: "interned",
        what: "+ names interned: a 4-byte Symbol into one Interner instead of a String each",
        run: interned::run,
    },
    RowSpec {
        name: "packed_tags",
        what: "+ tags as 5-bit positions in a StringTable vocabulary, in one shared PackedVec",
        run: packed_tags::run,
    },
    RowSpec {
        name: "typed_ids",
        what: "+ the user id as Id<User> instead of a bare u32 (same bytes: type safety)",
        run: typed_ids::run,
    },
    RowSpec {
        name: "soa",
        what: "+ struct of arrays: #[derive(Soa)], one Vec per field",
        run: soa::run,
    },
    RowSpec {
        name: "arena",
        what: "+ the columns as exactly sized slices in one Arena, not Vecs grown by doubling",
        run: arena::run,
    },
];
