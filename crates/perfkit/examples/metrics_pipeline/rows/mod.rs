//! The rows of the table: one implementation per technique, each adding one step to the one
//! before it, one file per row (`fused.rs` serves two rows that differ in one type), and the
//! two pieces several rows share (`single_pass.rs`, `columns.rs`). Every row reads the same frames,
//! rejects the same batches and emits the same aggregates (the checksum proves it); they
//! differ only in how they do the work.

mod arena;
mod columns;
mod fused;
mod naive;
mod perfkit_row;
mod simd;
mod single_pass;

use arena::ArenaRow;
use fused::Fused;
use naive::Naive;
use perfkit_row::PerfkitRow;
use simd::SimdRow;

pub use perfkit_row::INTERNER_SEED;
pub use single_pass::check;

use smallvec::SmallVec;

use crate::model::{MAX_LABELS, PayloadError, Sink};

/// One row of the table.
pub trait Variant {
    /// Processes one batch payload; returns its event count, or rejects it whole.
    fn batch(&mut self, payload: &[u8], sink: &mut Sink) -> Result<usize, PayloadError>;
    /// Emits the window still open.
    fn finish(&mut self, sink: &mut Sink);
}

/// One row of the table.
#[derive(Debug)]
pub struct RowSpec {
    /// Its name (`--variant NAME`).
    pub name: &'static str,
    /// What it adds to the row above.
    pub what: &'static str,
    /// Whether its allocations come from mimalloc (else the system allocator).
    pub mimalloc: bool,
    /// Builds its state.
    pub make: fn() -> Box<dyn Variant>,
}

/// The rows, in table order.
pub const ROWS: &[RowSpec] = &[
    RowSpec {
        name: "naive",
        what: "per-event String/Vec, collect per stage, (String, window) keys, byte-loop varints",
        mimalloc: false,
        make: || Box::new(Naive::default()),
    },
    RowSpec {
        name: "fused",
        what: "+ iterator fusion: one pass from bytes to aggregates, no per-stage Vec",
        mimalloc: false,
        make: || Box::new(Fused::<Vec<u32>>::default()),
    },
    RowSpec {
        name: "smallvec",
        what: "+ SmallVec<[u32; 4]> labels: no allocation for labels",
        mimalloc: false,
        make: || Box::new(Fused::<SmallVec<[u32; MAX_LABELS]>>::default()),
    },
    RowSpec {
        name: "arena",
        what: "+ mimalloc, arena scratch per batch, names borrowed, aggregates reused across windows",
        mimalloc: true,
        make: || Box::new(ArenaRow::default()),
    },
    RowSpec {
        name: "simd",
        what: "+ batch varint decoding, group by metric, SIMD sum/min/max per group",
        mimalloc: true,
        make: || Box::new(SimdRow::default()),
    },
    RowSpec {
        name: "perfkit",
        what: "+ interned names, struct-of-arrays aggregates, bit set of touched metrics",
        mimalloc: true,
        make: || Box::new(PerfkitRow::default()),
    },
];
