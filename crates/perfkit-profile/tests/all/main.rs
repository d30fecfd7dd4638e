//! Integration tests of perfkit-profile.

mod disabled;
mod hdr;
mod histogram;
#[cfg(not(perfkit_profile_disabled))]
mod registry;
mod regression;
#[cfg(feature = "serde")]
mod serde;
#[cfg(not(perfkit_profile_disabled))]
mod trace;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Serialises the tests that use the global scope registry: `reset` clears every scope, so
/// they must not interleave with it. Scope names are unique per test.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}
