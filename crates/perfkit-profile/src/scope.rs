//! Scope timers: [`profile!`](crate::profile), [`ScopeGuard`] and [`record`].
//!
//! A scope is named by a `&'static str`. The time between a guard's creation and its drop
//! (measured with [`std::time::Instant`], in nanoseconds) is recorded into the calling
//! thread's own slot for that name (see [`registry`](crate::registry) for why that needs no
//! lock), and shows up in [`snapshot`](crate::snapshot) and [`report`](crate::report()).
//!
//! Two ways to find the slot:
//!
//! - [`profile!`](crate::profile) caches it per call site in a `thread_local!` the macro
//!   declares: after a thread's first pass, a record is one TLS access, a pointer compare
//!   and the counter updates.
//! - [`ScopeGuard::new`] and [`record`] look the name up in a small per-thread list, by
//!   pointer and length (names are `&'static str`, so the same literal is the same key);
//!   a linear scan that stays cheap for the few dozen names a program profiles.

use std::cell::{OnceCell, RefCell};
use std::thread::LocalKey;
use std::time::{Duration, Instant};

use crate::registry::{Owned, record_detached};
use crate::stopwatch::nanos;
use crate::trace::{self, Token};

/// Times the rest of the enclosing block as the scope `name` (a `&'static str`).
///
/// `profile!("name");` starts a [`ScopeGuard`] bound to a hidden local, so it records when
/// the block ends (including by `?`, `return` or unwinding). `profile!("name", expr)`
/// times just `expr` and returns its value.
///
/// While a [`Trace`](crate::Trace) is recording, each scope is also recorded as a timed
/// event with its place in the thread's stack of scopes. When no trace is running, that
/// costs one relaxed atomic load per scope.
///
/// ```
/// use perfkit_profile::{profile, snapshot};
///
/// fn parse(input: &str) -> usize {
///     profile!("doc/parse");
///     input.split(',').count()
/// }
///
/// let fields = parse("a,b,c");
/// let doubled = profile!("doc/double", fields * 2);
/// assert_eq!(doubled, 6);
/// let snap = snapshot();
/// assert!(snap.get("doc/parse").is_some_and(|s| s.count() >= 1));
/// assert!(snap.get("doc/double").is_some_and(|s| s.count() >= 1));
/// ```
///
/// # Compiling it out
///
/// Built with `--cfg perfkit_profile_disabled` (for instance
/// `RUSTFLAGS="--cfg perfkit_profile_disabled" cargo build --release`), `profile!` expands
/// to no code at all: no clock read, no thread-local, no trace check. `profile!(name, expr)`
/// becomes `expr`. The name is still type-checked as a `&'static str` (inside a closure that
/// is never called, so it is not evaluated), so code that builds one way builds the other.
/// [`ScopeGuard::new`], [`record`](crate::record()) and everything else keep working: only
/// the macro's call sites disappear.
///
/// The name must be a `&'static str` either way:
///
/// ```compile_fail
/// perfkit_profile::profile!(42); // error: expected `&str`, found integer
/// ```
#[cfg(not(perfkit_profile_disabled))]
#[macro_export]
macro_rules! profile {
    ($name:expr) => {
        let _perfkit_profile_scope = {
            ::std::thread_local! {
                static SITE: $crate::__private::SiteSlot =
                    const { $crate::__private::SiteSlot::new() };
            }
            $crate::__private::enter_site($name, &SITE)
        };
    };
    ($name:expr, $body:expr) => {{
        $crate::profile!($name);
        $body
    }};
}

/// Times the rest of the enclosing block as the scope `name` (a `&'static str`).
///
/// This build has `--cfg perfkit_profile_disabled`: `profile!` expands to no code (the name
/// is type-checked, not evaluated) and `profile!(name, expr)` to `expr`.
///
/// ```
/// let v = perfkit_profile::profile!("doc/disabled", 6 * 7);
/// assert_eq!(v, 42);
/// ```
#[cfg(perfkit_profile_disabled)]
#[macro_export]
macro_rules! profile {
    ($name:expr) => {
        $crate::__profile_disabled!($name)
    };
    ($name:expr, $body:expr) => {
        $crate::__profile_disabled!($name, $body)
    };
}

/// What [`profile!`](crate::profile) expands to under `--cfg perfkit_profile_disabled`,
/// available in every build so its tests run in every build. Not a public API.
///
/// The name is type-checked as a `&'static str` and never evaluated:
///
/// ```compile_fail
/// perfkit_profile::__profile_disabled!(42); // error: expected `&str`, found integer
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __profile_disabled {
    ($name:expr) => {
        // A closure that is never called: `$name` is type-checked, no code is generated.
        let _ = || -> &'static str { $name };
    };
    ($name:expr, $body:expr) => {{
        let _ = || -> &'static str { $name };
        $body
    }};
}

/// The per-thread, per-call-site slot cache declared by [`profile!`](crate::profile).
/// Not a public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct SiteSlot(OnceCell<Owned>);

impl SiteSlot {
    /// An empty cache.
    #[doc(hidden)]
    #[must_use]
    pub const fn new() -> Self {
        Self(OnceCell::new())
    }
}

impl Default for SiteSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts a guard that records into the call site's cached slot. Not a public API.
#[doc(hidden)]
#[inline]
pub fn enter_site(name: &'static str, site: &'static LocalKey<SiteSlot>) -> ScopeGuard {
    // Before the clock read, so the trace's bookkeeping is not part of the measured time.
    let trace = trace::enter(name);
    ScopeGuard {
        name,
        site: Some(site),
        trace,
        start: Instant::now(),
    }
}

/// Measures from its creation to its drop and records the time under its scope name.
///
/// Usually made by [`profile!`](crate::profile). While a [`Trace`](crate::Trace) records,
/// a guard made on a thread is also traced there (one made by [`profile!`](crate::profile) or by
/// [`new`](Self::new) alike); dropped on another thread, it records its time but no trace
/// event.
///
/// ```
/// use perfkit_profile::{ScopeGuard, snapshot};
///
/// let guard = ScopeGuard::new("doc/guard");
/// assert_eq!(guard.name(), "doc/guard");
/// drop(guard); // records now
/// assert!(snapshot().get("doc/guard").is_some_and(|s| s.count() >= 1));
/// ```
#[must_use = "the guard measures until it is dropped: bind it with `let _guard = ...`"]
#[derive(Debug)]
pub struct ScopeGuard {
    name: &'static str,
    site: Option<&'static LocalKey<SiteSlot>>,
    /// The open trace event, when a trace was recording as the guard started.
    trace: Option<Token>,
    start: Instant,
}

impl ScopeGuard {
    /// Starts timing the scope `name` now (the slot is found by name when it drops).
    #[inline]
    pub fn new(name: &'static str) -> Self {
        let trace = trace::enter(name);
        Self {
            name,
            site: None,
            trace,
            start: Instant::now(),
        }
    }

    /// The scope's name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Time since the guard started.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

impl Drop for ScopeGuard {
    #[inline]
    fn drop(&mut self) {
        let ns = nanos(self.start.elapsed());
        match self.site {
            Some(site) => record_at_site(site, self.name, ns),
            None => record(self.name, ns),
        }
        if let Some(token) = self.trace {
            trace::exit(token, self.start, ns);
        }
    }
}

#[inline]
fn same_name(a: &'static str, b: &'static str) -> bool {
    a.as_ptr() == b.as_ptr() && a.len() == b.len()
}

#[inline]
fn record_at_site(site: &'static LocalKey<SiteSlot>, name: &'static str, ns: u64) {
    let done = site.try_with(|s| {
        let owned = s.0.get_or_init(|| Owned::register(name));
        if same_name(owned.slot().name(), name) {
            owned.slot().record(ns);
            true
        } else {
            // One call site used with several names (`profile!(names[i])`): by name.
            false
        }
    });
    if !matches!(done, Ok(true)) {
        record(name, ns);
    }
}

// loom's under `--cfg loom` (`tests/loom.rs` models `record` on loom threads).
crate::sync::thread_local! {
    /// This thread's slots for names recorded without a call-site cache.
    static NAMED: RefCell<Vec<Owned>> = const { RefCell::new(Vec::new()) };
}

/// Retires the calling thread's slots now, as its exit does (`Owned::drop`). For loom
/// models only: loom drops its lazily made statics (the registry) as soon as the model's main
/// closure returns, which may come before a joined thread's locals are destroyed
/// (tokio-rs/loom#152), so a model's threads retire their slots explicitly, last thing.
#[cfg(loom)]
pub fn loom_thread_exit() {
    let slots = NAMED.with(|named| std::mem::take(&mut *named.borrow_mut()));
    drop(slots);
}

/// Records `nanos` nanoseconds under the scope `name` on the calling thread, as if a scope
/// of that name had just taken that long. For time measured by other means (a
/// [`Stopwatch`](crate::Stopwatch), a timestamp pair from elsewhere).
///
/// ```
/// perfkit_profile::record("doc/record", 1_500);
/// let snap = perfkit_profile::snapshot();
/// assert!(snap.get("doc/record").is_some_and(|s| s.max_nanos() >= 1_500));
/// ```
pub fn record(name: &'static str, nanos: u64) {
    let done = NAMED.try_with(|named| {
        let Ok(mut named) = named.try_borrow_mut() else {
            return false;
        };
        if let Some(o) = named.iter().find(|o| same_name(o.slot().name(), name)) {
            o.slot().record(nanos);
        } else {
            let o = Owned::register(name);
            o.slot().record(nanos);
            named.push(o);
        }
        true
    });
    if !matches!(done, Ok(true)) {
        record_detached(name, nanos);
    }
}
