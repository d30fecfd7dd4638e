//! What the rows from `packed_tags` on hold beside their records: the flags as one `BitSet`
//! per flag, the names in an `Interner`, the tag vocabulary in a `StringTable` and every
//! record's tags as 5-bit vocabulary positions in one shared `PackedVec`; and the loader that
//! fills them.

use std::collections::HashMap;

use perfkit::layout::{BitSet, Interner, PackedVec, StringTable, Symbol};

use crate::model::{FLAGS, Record, TAGS};

/// Bits per tag: enough for the positions `0..TAGS` of the vocabulary.
pub const TAG_BITS: u32 = usize::BITS - (TAGS - 1).leading_zeros();

/// Everything but the per-record fields.
#[derive(Debug)]
pub struct Stores {
    /// `flags[f]` holds the positions of the records with flag `f`.
    flags: [BitSet; FLAGS],
    /// Every distinct name, once.
    names: Interner,
    /// Every distinct tag, once, addressed by position.
    vocabulary: StringTable,
    /// Every record's tags, as positions in `vocabulary`, record after record.
    tags: PackedVec,
}

/// What a record keeps of the stores: its name and its run of tags.
#[derive(Debug, Clone, Copy)]
pub struct Placed {
    /// The name's symbol.
    pub name: Symbol,
    /// Where the record's tags start in the shared packed vector.
    pub tags_start: u32,
    /// How many tags it has.
    pub tags_len: u8,
}

/// Fills the [`Stores`] record by record.
#[derive(Debug)]
pub struct Loader<'s> {
    stores: Stores,
    /// The loader's dictionary from tag to position; dropped by [`Loader::finish`].
    positions: HashMap<&'s str, u64>,
}

impl<'s> Loader<'s> {
    /// An empty loader.
    #[must_use]
    pub fn new() -> Self {
        Self {
            stores: Stores {
                flags: Default::default(),
                names: Interner::new(),
                vocabulary: StringTable::new(),
                tags: PackedVec::new(TAG_BITS).expect("TAG_BITS is in 1..=64"),
            },
            positions: HashMap::new(),
        }
    }

    /// Stores record `i`'s flags, name and tags; returns what the record keeps.
    pub fn add(&mut self, i: usize, r: &Record<'s>) -> Placed {
        let s = &mut self.stores;
        for (set, on) in s.flags.iter_mut().zip(r.flags) {
            if on {
                set.insert(i);
            }
        }
        let tags_start = s.tags.len() as u32;
        for tag in r.tags() {
            let vocabulary = &mut s.vocabulary;
            let position = *self
                .positions
                .entry(tag)
                .or_insert_with(|| vocabulary.push(tag) as u64);
            s.tags.push(position);
        }
        Placed {
            name: s.names.intern(r.name),
            tags_start,
            tags_len: r.tags().len() as u8,
        }
    }

    /// The stores, the dictionary dropped.
    #[must_use]
    pub fn finish(self) -> Stores {
        self.stores
    }
}

impl Stores {
    /// The stores as a scan reads them: the flag sets as their words, the vocabulary decoded
    /// once into a table of `&str`.
    #[must_use]
    pub fn view(&self) -> View<'_> {
        View {
            flags: self.flags.each_ref().map(BitSet::as_words),
            names: &self.names,
            vocabulary: core::array::from_fn(|t| self.vocabulary.get(t).unwrap_or_default()),
            tags: &self.tags,
        }
    }
}

/// What a scan reads the stores through (see [`Stores::view`]).
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The words of each flag's set: bit `i % 64` of word `i / 64` is record `i`.
    flags: [&'a [u64]; FLAGS],
    names: &'a Interner,
    /// The vocabulary by position.
    vocabulary: [&'a str; TAGS],
    tags: &'a PackedVec,
}

impl View<'_> {
    /// Record `i`'s flags as bits (bit `f` is flag `f`).
    #[inline(always)]
    #[must_use]
    pub fn flags(&self, i: usize) -> u8 {
        let (w, b) = (i / 64, i % 64);
        self.flags.iter().enumerate().fold(0, |bits, (f, words)| {
            let word = words.get(w).copied().unwrap_or(0);
            bits | ((word >> b & 1) as u8) << f
        })
    }

    /// The string of a name.
    #[inline(always)]
    #[must_use]
    pub fn name(&self, name: Symbol) -> &str {
        self.names.resolve(name)
    }

    /// The tags of the run `start..start + len`. A position that does not resolve gives ""
    /// (and so a different checksum).
    #[inline(always)]
    pub fn tags(&self, start: u32, len: u8) -> impl ExactSizeIterator<Item = &str> + '_ {
        let start = start as usize;
        (start..start + usize::from(len)).map(|k| {
            let position = self.tags.get(k).unwrap_or(u64::MAX) as usize;
            self.vocabulary.get(position).copied().unwrap_or_default()
        })
    }
}
