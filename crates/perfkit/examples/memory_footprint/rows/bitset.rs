//! `bitset`: the `reorder` record without its six `bool`s; each flag is a `BitSet` of the
//! positions of the records that have it (one bit per record per flag instead of a byte).

use perfkit::layout::{BitSet, Layout};

use crate::measure::{Measured, measure};
use crate::model::{FLAGS, Fold, Source, Status};

/// One user, without flags.
#[derive(Debug, Clone, PartialEq, Eq, Layout)]
#[repr(C)]
pub struct User {
    /// An owned copy of the name.
    pub name: String,
    /// Owned copies of the tags.
    pub tags: Vec<String>,
    /// The user id.
    pub id: u32,
    /// Seconds since the epoch.
    pub created_at: u32,
    /// Seconds since the epoch.
    pub last_login: u32,
    /// The score.
    pub score: u16,
    /// The status, 1 byte.
    pub status: Status,
}

/// The records and their flags.
#[derive(Debug, Clone, Default)]
pub struct Users {
    /// The records.
    pub users: Vec<User>,
    /// `flags[f]` holds the positions of the records with flag `f`.
    pub flags: [BitSet; FLAGS],
}

/// Builds the records from the source.
#[must_use]
pub fn build(src: &Source) -> Users {
    let mut out = Users::default();
    for (i, r) in src.records().enumerate() {
        for (set, on) in out.flags.iter_mut().zip(r.flags) {
            if on {
                set.insert(i);
            }
        }
        out.users.push(User {
            name: r.name.to_string(),
            tags: r.tags().map(str::to_string).collect(),
            id: r.id as u32,
            created_at: r.created_at as u32,
            last_login: r.last_login as u32,
            score: r.score as u16,
            status: r.status,
        });
    }
    out
}

/// Reads every field of every record into the checksum.
#[must_use]
pub fn scan(held: &Users) -> u64 {
    let mut fold = Fold::new();
    for (i, u) in held.users.iter().enumerate() {
        let flags = held
            .flags
            .iter()
            .enumerate()
            .fold(0, |bits, (f, set)| bits | u8::from(set.contains(i)) << f);
        fold.record(
            u64::from(u.id),
            u.status as u8,
            flags,
            &u.name,
            u.tags.iter().map(String::as_str),
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
