//! The records every row holds, the seeded generator that makes them, and the checksum every
//! row's scan folds.
//!
//! A user record, of the kind performance guides shrink: an id, a status, six flags, a name
//! drawn from a smaller set of names, zero to four tags from a fixed vocabulary, two
//! timestamps and a score. The generator draws them once, compactly ([`Draw`]), and hands
//! them to each row as [`Record`]s with borrowed strings, as a loader would; what the source
//! itself holds is not counted against any row.
//!
//! Every row's scan reads every field of every record and folds it into a [`Fold`] in the
//! same order (strings by their bytes, never by a handle), so equal checksums mean the rows
//! hold the same records.

use perfkit_testkit::{Rng, unique_strings};

/// Distinct names the records draw from.
pub const NAMES: usize = 10_000;
/// Tags in the vocabulary.
pub const TAGS: usize = 32;
/// The most tags one record has.
pub const MAX_TAGS: usize = 4;
/// Boolean flags per record: email_verified, admin, newsletter, two_factor, beta, locked, in
/// the order their bits are folded.
pub const FLAGS: usize = 6;
/// The most records the generator makes: ids and tag offsets must fit 32 bits.
pub const MAX_RECORDS: usize = 100_000_000;

/// 2015-01-01T00:00:00Z, the earliest `created_at`.
const CREATED_FROM: u64 = 1_420_070_400;
/// 2025-01-01T00:00:00Z, the end of the `created_at` range.
const CREATED_TO: u64 = 1_735_689_600;
/// `last_login` is at most two years after `created_at` (so below 2^32 s: year 2106).
const LOGIN_SPAN: u64 = 2 * 365 * 86_400;
/// Scores are in `0..=MAX_SCORE`.
pub const MAX_SCORE: u64 = 50_000;

/// A user's status, one byte (`#[repr(u8)]`): the rows from `narrow` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// Signed up and in good standing.
    Active = 0,
    /// Waiting for e-mail confirmation.
    Pending = 1,
    /// Locked out by a moderator.
    Suspended = 2,
    /// Deleted, kept for the records.
    Deleted = 3,
}

/// The same status with C's enum width (`#[repr(C)]`, an `int`: 4 bytes), as a struct
/// mirrored from C or from a schema declares it: the `naive` row. (A plain Rust enum would
/// take one byte on its own; `#[repr(C)]` is what keeps the width here.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub enum StatusC {
    /// Signed up and in good standing.
    Active = 0,
    /// Waiting for e-mail confirmation.
    Pending = 1,
    /// Locked out by a moderator.
    Suspended = 2,
    /// Deleted, kept for the records.
    Deleted = 3,
}

impl From<Status> for StatusC {
    fn from(s: Status) -> Self {
        match s {
            Status::Active => Self::Active,
            Status::Pending => Self::Pending,
            Status::Suspended => Self::Suspended,
            Status::Deleted => Self::Deleted,
        }
    }
}

/// One generated record, compact (the source, not a row: not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draw {
    id: u64,
    status: Status,
    /// Bit `f` is flag `f` of [`FLAGS`].
    flags: u8,
    /// Index into the name pool.
    name: u32,
    /// Indices into the tag vocabulary; the first `tag_count` are the record's tags.
    tags: [u8; MAX_TAGS],
    tag_count: u8,
    created_at: u64,
    last_login: u64,
    score: i64,
}

/// One record as a loader hands it to a row: numbers at their natural (wide) types, strings
/// borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Unique, increasing, below 2^32 (see [`MAX_RECORDS`]), not the record's position.
    pub id: u64,
    /// The status.
    pub status: Status,
    /// The flags, in [`FLAGS`] order.
    pub flags: [bool; FLAGS],
    /// The name, one of [`NAMES`] distinct names.
    pub name: &'a str,
    tag_ids: &'a [u8],
    vocabulary: &'a [String],
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    /// Seconds since the Unix epoch, not before `created_at`.
    pub last_login: u64,
    /// In `0..=MAX_SCORE`.
    pub score: i64,
}

impl<'a> Record<'a> {
    /// The tags, in order (0 to [`MAX_TAGS`] of them, repeats allowed).
    pub fn tags(&self) -> impl ExactSizeIterator<Item = &'a str> + use<'a> {
        let vocabulary = self.vocabulary;
        self.tag_ids
            .iter()
            .map(move |&t| vocabulary[usize::from(t)].as_str())
    }
}

/// The generated records and the strings they draw from.
#[derive(Debug, Clone)]
pub struct Source {
    names: Vec<String>,
    tags: Vec<String>,
    draws: Vec<Draw>,
}

impl Source {
    /// `records` records from `seed` (the same seed always gives the same records).
    ///
    /// # Panics
    /// If `records` is above [`MAX_RECORDS`] (the command line refuses it first).
    #[must_use]
    pub fn generate(records: usize, seed: u64) -> Self {
        assert!(records <= MAX_RECORDS, "at most {MAX_RECORDS} records");
        let names = unique_strings(NAMES, seed);
        let tags = unique_strings(TAGS, seed ^ 0x7A65_7A65);
        let mut rng = Rng::new(seed ^ 0x05E2_5EED);
        let mut id = 100_000;
        let draws = (0..records)
            .map(|_| {
                // Gaps of 0..=2 between ids: increasing, unique, and not the position.
                id += 1 + rng.below(3);
                let status = match rng.below(100) {
                    0..70 => Status::Active,
                    70..85 => Status::Pending,
                    85..95 => Status::Suspended,
                    _ => Status::Deleted,
                };
                // Each flag set with probability 1/4.
                let flags = (rng.next_u32() & rng.next_u32()) as u8 & ((1 << FLAGS) - 1);
                let name = rng.below(NAMES as u64) as u32;
                let tag_count = rng.below(MAX_TAGS as u64 + 1) as u8;
                let mut tag_ids = [0u8; MAX_TAGS];
                for t in &mut tag_ids[..usize::from(tag_count)] {
                    *t = rng.below(TAGS as u64) as u8;
                }
                let created_at = rng.range(CREATED_FROM, CREATED_TO);
                let last_login = created_at + rng.below(LOGIN_SPAN);
                let score = rng.below(MAX_SCORE + 1) as i64;
                Draw {
                    id,
                    status,
                    flags,
                    name,
                    tags: tag_ids,
                    tag_count,
                    created_at,
                    last_login,
                    score,
                }
            })
            .collect();
        Self { names, tags, draws }
    }

    /// The number of records.
    #[must_use]
    pub fn len(&self) -> usize {
        self.draws.len()
    }

    /// The tag vocabulary, in the order of its indices.
    #[cfg(test)]
    #[must_use]
    pub fn vocabulary(&self) -> &[String] {
        &self.tags
    }

    /// The records, in order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = Record<'_>> + '_ {
        self.draws.iter().map(|d| Record {
            id: d.id,
            status: d.status,
            flags: core::array::from_fn(|f| d.flags >> f & 1 == 1),
            name: &self.names[d.name as usize],
            tag_ids: &d.tags[..usize::from(d.tag_count)],
            vocabulary: &self.tags,
            created_at: d.created_at,
            last_login: d.last_login,
            score: d.score,
        })
    }

    /// The checksum of every record, folded straight from the source: what every row's scan
    /// must give.
    #[must_use]
    pub fn checksum(&self) -> u64 {
        let mut fold = Fold::new();
        for r in self.records() {
            fold.record(
                r.id,
                r.status as u8,
                flag_bits(r.flags),
                r.name,
                r.tags(),
                r.created_at,
                r.last_login,
                r.score as u64,
            );
        }
        fold.finish()
    }
}

/// The flags as bits (bit `f` is flag `f`), as every scan folds them.
#[inline(always)]
#[must_use]
pub fn flag_bits(flags: [bool; FLAGS]) -> u8 {
    flags
        .iter()
        .enumerate()
        .fold(0, |bits, (f, &on)| bits | u8::from(on) << f)
}

/// The eight bytes of `c` as a little-endian word.
#[inline(always)]
fn load(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(c);
    u64::from_le_bytes(w)
}

/// An order-dependent checksum over every field of every record (FxHash's multiply-rotate
/// step; strings folded eight bytes at a time, then their length).
#[derive(Debug, Clone, Copy)]
pub struct Fold(u64);

impl Default for Fold {
    fn default() -> Self {
        Self::new()
    }
}

impl Fold {
    const K: u64 = 0x517C_C1B7_2722_0A95;

    /// The empty fold.
    #[must_use]
    pub const fn new() -> Self {
        Self(0x243F_6A88_85A3_08D3)
    }

    /// Folds one word.
    #[inline(always)]
    pub fn word(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(Self::K);
    }

    /// Folds a string's bytes (eight at a time, the last few zero-padded) and its length.
    #[inline(always)]
    pub fn str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut chunks = bytes.chunks_exact(8);
        for c in chunks.by_ref() {
            self.word(load(c));
        }
        let rest = chunks.remainder().len();
        if rest > 0 {
            self.word(if bytes.len() >= 8 {
                // The last eight bytes, overlapping the chunk before, shifted down to the
                // `rest` new ones: one load rather than a copy of a variable length.
                load(&bytes[bytes.len() - 8..]) >> (8 * (8 - rest))
            } else {
                bytes.iter().rev().fold(0, |w, &b| w << 8 | u64::from(b))
            });
        }
        self.word(bytes.len() as u64);
    }

    /// Folds one record, every field, in the one order every row uses. The record's fields
    /// go through a chain of their own, started afresh, and only its result joins the running
    /// checksum: the chains of consecutive records are independent, so the processor overlaps
    /// them and a scan is bound by reading the records, not by one long chain of multiplies.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn record<'a>(
        &mut self,
        id: u64,
        status: u8,
        flags: u8,
        name: &str,
        tags: impl ExactSizeIterator<Item = &'a str>,
        created_at: u64,
        last_login: u64,
        score: u64,
    ) {
        let mut r = Self::new();
        r.word(id);
        r.word(u64::from(status) | u64::from(flags) << 8);
        r.str(name);
        r.word(tags.len() as u64);
        for t in tags {
            r.str(t);
        }
        r.word(created_at);
        r.word(last_login);
        r.word(score);
        self.word(r.0);
    }

    /// The checksum.
    #[must_use]
    pub const fn finish(self) -> u64 {
        self.0
    }
}
