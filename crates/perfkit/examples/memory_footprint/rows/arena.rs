//! `arena`: the `soa` columns, each an exactly sized slice in one `Arena` chunk reserved for
//! the record count up front, instead of a `Vec` per column grown by doubling (which leaves up
//! to half of each column unused: 4.9% at one million records, 2^20 slots for 10^6). One
//! allocation for all the columns, freed at once. What the stores hold (`stores.rs`) stays as
//! it is: the bit sets, interner, string table and packed vector own their buffers.

use std::hint::black_box;

use perfkit::layout::{Id, Symbol};
use perfkit::memory::Arena;

use super::soa::{User, record_size};
use super::stores::{Loader, Stores};
use crate::measure::{self, Measured, Meter};
use crate::model::{Fold, Source, Status};

/// The records, one arena slice per field (all of the same length).
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    /// The user ids.
    pub id: &'a [Id<User>],
    /// The names.
    pub name: &'a [Symbol],
    /// Seconds since the epoch.
    pub created_at: &'a [u32],
    /// Seconds since the epoch.
    pub last_login: &'a [u32],
    /// Where each record's tags start in the shared packed vector.
    pub tags_start: &'a [u32],
    /// The scores.
    pub score: &'a [u16],
    /// The statuses.
    pub status: &'a [Status],
    /// How many tags each record has.
    pub tags_len: &'a [u8],
}

/// The arena capacity for `records` records: every column, plus alignment slack.
#[must_use]
pub fn arena_bytes(records: usize) -> usize {
    records * record_size() + 8 * 8
}

/// Builds the records from the source into `arena`, one column at a time.
#[must_use]
pub fn build<'a>(arena: &'a Arena, src: &Source) -> (Columns<'a>, Stores) {
    let mut loader = Loader::new();
    // The loader stores each record's flags, name and tags in record order; the name column
    // is what it returns, the tag runs follow from the tag counts in the same order.
    let name = &*arena.alloc_slice_fill_iter(
        src.records()
            .enumerate()
            .map(|(i, r)| loader.add(i, &r).name),
    );
    let mut next = 0u32;
    let tags_start = &*arena.alloc_slice_fill_iter(src.records().map(|r| {
        let start = next;
        next += r.tags().len() as u32;
        start
    }));
    let columns = Columns {
        id: arena.alloc_slice_fill_iter(src.records().map(|r| Id::new(r.id as u32))),
        name,
        created_at: arena.alloc_slice_fill_iter(src.records().map(|r| r.created_at as u32)),
        last_login: arena.alloc_slice_fill_iter(src.records().map(|r| r.last_login as u32)),
        tags_start,
        score: arena.alloc_slice_fill_iter(src.records().map(|r| r.score as u16)),
        status: arena.alloc_slice_fill_iter(src.records().map(|r| r.status)),
        tags_len: arena.alloc_slice_fill_iter(src.records().map(|r| r.tags().len() as u8)),
    };
    (columns, loader.finish())
}

/// Reads every field of every record into the checksum.
#[must_use]
pub fn scan(c: &Columns<'_>, stores: &Stores) -> u64 {
    let (mut fold, s) = (Fold::new(), stores.view());
    let n = c.id.len();
    // Cut every column to the same length, so the indexing below needs no bounds checks.
    let (name, created_at, last_login) = (&c.name[..n], &c.created_at[..n], &c.last_login[..n]);
    let (tags_start, tags_len) = (&c.tags_start[..n], &c.tags_len[..n]);
    let (score, status) = (&c.score[..n], &c.status[..n]);
    for (i, id) in c.id.iter().enumerate() {
        fold.record(
            u64::from(id.raw()),
            status[i] as u8,
            s.flags(i),
            s.name(name[i]),
            s.tags(tags_start[i], tags_len[i]),
            u64::from(created_at[i]),
            u64::from(last_login[i]),
            u64::from(score[i]),
        );
    }
    fold.finish()
}

/// Builds, measures and scans the row.
pub fn run(src: &Source, scans: usize) -> Measured {
    let mut builds = measure::rehearse(|| {
        let arena = Arena::with_capacity(arena_bytes(src.len()));
        let (columns, stores) = build(&arena, src);
        black_box((columns.id.len(), stores));
        arena
    });
    let meter = Meter::start();
    let arena = Arena::with_capacity(arena_bytes(src.len()));
    let (columns, stores) = build(&arena, src);
    let built = meter.built();
    builds.push(built.time);
    let (checksum, scans) = measure::scans(scans, || scan(black_box(&columns), &stores));
    Measured {
        record_size: record_size(),
        live_bytes: built.bytes,
        live_blocks: built.blocks,
        builds,
        scans,
        checksum,
    }
}
