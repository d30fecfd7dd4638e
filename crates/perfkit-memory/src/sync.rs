//! The synchronisation primitives of the concurrent modules ([`pool`](crate::pool)'s `Pool`
//! and [`tracking`](crate::tracking)): std's, or — built with `--cfg loom` — loom's, so that
//! `tests/loom.rs` model-checks this very code rather than a copy of it.
//!
//! In a normal build every item is std's own type, re-exported, except [`UnsafeCell`], a
//! `#[repr(transparent)]` wrapper whose one method inlines to `get()`: the shim adds no
//! cost. Loom's types cannot initialise a `static` (their constructors are not `const`), so
//! the statics that hold them are `loom::lazy_static!` under loom (see
//! `const_unless_loom`).

#[cfg(loom)]
pub(crate) use loom::cell::Cell;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::cell::Cell;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::thread_local;

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `std::cell::UnsafeCell` with loom's access API: [`with_mut`](Self::with_mut) hands the
/// closure the raw pointer (under loom, the access is checked against the other threads').
#[cfg(not(loom))]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a pointer to the value, for a mutable access that ends when `f` returns.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// loom's `thread_local!`, which takes no `const { .. }` initialiser: this one drops it.
#[cfg(loom)]
macro_rules! loom_thread_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const $init:block; $($rest:tt)*) => {
        loom::thread_local!($(#[$attr])* $vis static $name: $t = $init;);
        $crate::sync::thread_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        loom::thread_local!($(#[$attr])* $vis static $name: $t = $init;);
        $crate::sync::thread_local!($($rest)*);
    };
}
#[cfg(loom)]
pub(crate) use loom_thread_local as thread_local;

/// A `const fn` in a normal build (a `static` needs it), a plain `fn` under loom, whose
/// atomics have no `const` constructor.
macro_rules! const_unless_loom {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$attr])* $vis const fn $($rest)*
        #[cfg(loom)]
        $(#[$attr])* $vis fn $($rest)*
    };
}
pub(crate) use const_unless_loom;
