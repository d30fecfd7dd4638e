//! `reorder`: the `narrow` record with its fields sorted by decreasing alignment (the order
//! the layout report of `narrow::User` computes), so no padding sits between them. Still
//! `#[repr(C)]`: this is the order `repr(Rust)` would have picked on its own.

use perfkit::layout::Layout;

use crate::measure::{Measured, measure};
use crate::model::{Fold, Source, Status};

/// One user, narrow fields, largest alignment first.
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
    /// Flag 0.
    pub email_verified: bool,
    /// Flag 1.
    pub admin: bool,
    /// Flag 2.
    pub newsletter: bool,
    /// Flag 3.
    pub two_factor: bool,
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
            name: r.name.to_string(),
            tags: r.tags().map(str::to_string).collect(),
            id: r.id as u32,
            created_at: r.created_at as u32,
            last_login: r.last_login as u32,
            score: r.score as u16,
            status: r.status,
            email_verified,
            admin,
            newsletter,
            two_factor,
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
    measure(size_of::<User>(), scans, || build(src), |u| scan(u))
}
