//! `packed_tags`: the `interned` row with the tags dictionary-encoded: the vocabulary's
//! strings once in a `StringTable`, every record's tags as 5-bit positions in that table,
//! back to back in one shared `PackedVec` (`stores.rs`), and the record holding where its run
//! starts and how long it is, instead of a `Vec<String>` and a heap copy per tag.

use perfkit::layout::{Layout, Symbol};

use super::stores::{Loader, Stores};
use crate::measure::{Measured, measure};
use crate::model::{Fold, Source, Status};

/// One user, tags as a run of the shared packed vector.
#[derive(Debug, Clone, PartialEq, Eq, Layout)]
#[repr(C)]
pub struct User {
    /// The user id.
    pub id: u32,
    /// The name.
    pub name: Symbol,
    /// Seconds since the epoch.
    pub created_at: u32,
    /// Seconds since the epoch.
    pub last_login: u32,
    /// The first of the record's tags in the shared packed vector.
    pub tags_start: u32,
    /// The score.
    pub score: u16,
    /// The status, 1 byte.
    pub status: Status,
    /// How many tags the record has.
    pub tags_len: u8,
}

/// The records and their stores.
#[derive(Debug)]
pub struct Users {
    /// The records.
    pub users: Vec<User>,
    /// Flags, names and tags.
    pub stores: Stores,
}

/// Builds the records from the source.
#[must_use]
pub fn build(src: &Source) -> Users {
    let mut users = Vec::new();
    let mut loader = Loader::new();
    for (i, r) in src.records().enumerate() {
        let placed = loader.add(i, &r);
        users.push(User {
            id: r.id as u32,
            name: placed.name,
            created_at: r.created_at as u32,
            last_login: r.last_login as u32,
            tags_start: placed.tags_start,
            score: r.score as u16,
            status: r.status,
            tags_len: placed.tags_len,
        });
    }
    Users {
        users,
        stores: loader.finish(),
    }
}

/// Reads every field of every record into the checksum.
#[must_use]
pub fn scan(held: &Users) -> u64 {
    let (mut fold, s) = (Fold::new(), held.stores.view());
    for (i, u) in held.users.iter().enumerate() {
        fold.record(
            u64::from(u.id),
            u.status as u8,
            s.flags(i),
            s.name(u.name),
            s.tags(u.tags_start, u.tags_len),
            u64::from(u.created_at),
            u64::from(u.last_login),
            u64::from(u.score),
        );
    }
    fold.finish()
}

/// Builds, measures and scans the row.
pub fn run(src: &Source, scans: usize) -> Measured {
    measure(size_of::<User>(), scans, || build(src), scan)
}
