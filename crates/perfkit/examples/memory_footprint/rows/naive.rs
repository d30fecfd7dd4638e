//! `naive`: the record as a first version holds it. Owned `String` name, `Vec<String>` tags,
//! a C-width enum, 64-bit integers, one `bool` per flag, fields in the order a schema lists
//! them, one `Vec<User>` (array of structs) grown one push at a time.
//!
//! `#[repr(C)]` keeps that declared order (as a struct mirrored from C or a wire schema does);
//! a plain `repr(Rust)` struct would let the compiler reorder it, which is what the
//! `reorder` row does by hand.

use perfkit::layout::Layout;

use crate::measure::{Measured, measure};
use crate::model::{Fold, Source, StatusC};

/// One user, the naive way.
#[derive(Debug, Clone, PartialEq, Eq, Layout)]
#[repr(C)]
pub struct User {
    /// The user id.
    pub id: u64,
    /// The status, 4 bytes.
    pub status: StatusC,
    /// Flag 0.
    pub email_verified: bool,
    /// An owned copy of the name.
    pub name: String,
    /// Flag 1.
    pub admin: bool,
    /// Owned copies of the tags.
    pub tags: Vec<String>,
    /// Seconds since the epoch.
    pub created_at: u64,
    /// Flag 2.
    pub newsletter: bool,
    /// Seconds since the epoch.
    pub last_login: u64,
    /// Flag 3.
    pub two_factor: bool,
    /// The score.
    pub score: i64,
    /// Flag 4.
    pub beta: bool,
    /// Flag 5.
    pub locked: bool,
}

/// Builds the records from the source.
#[must_use]
pub fn build(src: &Source) -> Vec<User> {
    let mut users = Vec::new();
    for r in src.records() {
        let [email_verified, admin, newsletter, two_factor, beta, locked] = r.flags;
        users.push(User {
            id: r.id,
            status: r.status.into(),
            email_verified,
            name: r.name.to_string(),
            admin,
            tags: r.tags().map(str::to_string).collect(),
            created_at: r.created_at,
            newsletter,
            last_login: r.last_login,
            two_factor,
            score: r.score,
            beta,
            locked,
        });
    }
    users
}

/// Reads every field of every record into the checksum.
#[must_use]
pub fn scan(users: &[User]) -> u64 {
    let mut fold = Fold::new();
    for u in users {
        let flags = u8::from(u.email_verified)
            | u8::from(u.admin) << 1
            | u8::from(u.newsletter) << 2
            | u8::from(u.two_factor) << 3
            | u8::from(u.beta) << 4
            | u8::from(u.locked) << 5;
        fold.record(
            u.id,
            u.status as u8,
            flags,
            &u.name,
            u.tags.iter().map(String::as_str),
            u.created_at,
            u.last_login,
            u.score as u64,
        );
    }
    fold.finish()
}

/// Builds, measures and scans the row.
pub fn run(src: &Source, scans: usize) -> Measured {
    measure(size_of::<User>(), scans, || build(src), |u| scan(u))
}
