//! Traces: every [`profile!`](crate::profile) scope (and [`ScopeGuard`](crate::ScopeGuard))
//! recorded as a timed event with its thread and nesting, while a [`Trace`] runs.
//!
//! One file per part: `recorder.rs` (the switch the scopes check, per-thread stacks and
//! buffers), `data.rs` (the finished trace), `chrome.rs` and `folded.rs` (its two text forms).

mod chrome;
mod data;
mod folded;
mod recorder;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

pub use data::{TraceData, TraceEvent, TraceThread};
use recorder::{Session, is_active};
pub(crate) use recorder::{Token, enter, exit};

/// Why a [`Trace`] could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// Another [`Trace`] is recording: one trace runs at a time (every thread records into
    /// it), so finish or drop that one first.
    #[error("a trace is already recording: finish or drop it before starting another")]
    AlreadyRunning,
}

/// A trace recording in progress: while it runs, every scope timed by
/// [`profile!`](crate::profile) or [`ScopeGuard`](crate::ScopeGuard), on every thread, is also
/// recorded as an event — its name, thread, start, duration and the scopes enclosing it.
/// [`finish`](Self::finish) stops the recording and returns the [`TraceData`], which writes
/// Chrome trace-event JSON (Perfetto, `chrome://tracing`) and folded stacks (flame graphs).
///
/// # Cost
///
/// Off (no `Trace` alive), a scope pays one relaxed atomic load for tracing, and a test of
/// one field when it ends. On, it pushes and pops an entry on its thread's own stack of open
/// scopes and appends a 24-byte record to the thread's own buffer: no lock, no shared write,
/// no allocation except once per 1 024 events and once per new call path.
///
/// # Memory is bounded
///
/// A trace keeps at most [`capacity`](Self::capacity) records (default
/// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY), 24 MB of events): one per finished scope,
/// and one per distinct call path per thread (the first time it runs). Past that, scopes
/// still record their time in the [`snapshot`](crate::snapshot) statistics but not in the
/// trace, and [`TraceData::dropped`] counts them; so does a scope opened deeper than
/// [`MAX_DEPTH`](Self::MAX_DEPTH) on one thread. Nothing grows without bound and nothing
/// panics.
///
/// # What is recorded
///
/// - Scopes that **start and end** while the trace runs, on any thread. A scope that was
///   open when the trace started is not recorded (the scopes inside it are, as outermost
///   ones); nor is one still open at [`finish`](Self::finish) (its inner scopes still show
///   it in their [`stack`](TraceData::stack) and folded path). So open the outermost scope
///   after `Trace::start` and close it before `finish`.
/// - Each thread has its own stack: nesting is per thread, and a scope's parent is the
///   innermost scope open on its thread when it started.
/// - [`record`](crate::record()) calls are not events (they have no start time).
/// - Scopes that end while `finish` runs, on other threads, may be left out.
///
/// ```
/// use perfkit_profile::{Trace, profile};
///
/// fn parse(line: &str) -> usize {
///     profile!("doc/trace/parse");
///     line.split(',').count()
/// }
///
/// let trace = Trace::start()?;
/// let fields = {
///     profile!("doc/trace/load");
///     ["a,b", "c,d,e"].iter().map(|l| parse(l)).sum::<usize>()
/// };
/// let data = trace.finish();
/// assert_eq!(fields, 5);
///
/// let parses: Vec<_> = data.events().iter().filter(|e| e.name() == "doc/trace/parse").collect();
/// assert_eq!(parses.len(), 2);
/// assert_eq!(data.stack(parses[0]), ["doc/trace/load", "doc/trace/parse"]);
///
/// // Open in Perfetto (ui.perfetto.dev) or chrome://tracing:
/// let json = data.to_chrome_json();
/// # let _ = json;
/// // std::fs::write("trace.json", json)?;
/// // Or draw a flame graph: `inferno-flamegraph < trace.folded > trace.svg`.
/// let folded = data.to_folded();
/// # let _ = folded;
/// # Ok::<(), perfkit_profile::TraceError>(())
/// ```
#[must_use = "the trace records until it is finished or dropped: bind it with `let trace = ...`"]
pub struct Trace {
    /// Invariant: `Some` until `finish` takes it (then `drop` has nothing to stop).
    session: Option<Arc<Session>>,
}

impl Trace {
    /// The record budget of [`Trace::start`]: a million events (24 MB).
    pub const DEFAULT_CAPACITY: usize = 1_000_000;

    /// How many scopes one thread can have open at once in a trace; deeper ones are not
    /// traced and count as [dropped](TraceData::dropped).
    pub const MAX_DEPTH: usize = recorder::MAX_DEPTH;

    /// Starts recording every thread's scopes, keeping at most
    /// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) records.
    ///
    /// # Errors
    ///
    /// [`TraceError::AlreadyRunning`] while another `Trace` is alive.
    ///
    /// ```
    /// use perfkit_profile::{Trace, TraceError};
    ///
    /// let trace = Trace::start()?;
    /// assert!(Trace::is_recording());
    /// assert_eq!(Trace::start().unwrap_err(), TraceError::AlreadyRunning);
    /// drop(trace); // stops it; its data is discarded
    /// assert!(!Trace::is_recording());
    /// # Ok::<(), TraceError>(())
    /// ```
    pub fn start() -> Result<Self, TraceError> {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// Starts recording every thread's scopes, keeping at most `capacity` records (events,
    /// plus one per distinct call path per thread). Memory: about 24 bytes per record, taken
    /// as the threads use it (a thread reserves 1 024 records at a time).
    ///
    /// # Errors
    ///
    /// [`TraceError::AlreadyRunning`] while another `Trace` is alive.
    ///
    /// ```
    /// use perfkit_profile::{Trace, profile};
    ///
    /// let trace = Trace::with_capacity(4)?; // one call path + 3 events
    /// for _ in 0..10 {
    ///     profile!("doc/trace/capped");
    /// }
    /// let data = trace.finish();
    /// assert_eq!(data.events().len(), 3);
    /// assert_eq!(data.dropped(), 7);
    /// # Ok::<(), perfkit_profile::TraceError>(())
    /// ```
    pub fn with_capacity(capacity: usize) -> Result<Self, TraceError> {
        let session = recorder::start(capacity).ok_or(TraceError::AlreadyRunning)?;
        Ok(Self {
            session: Some(session),
        })
    }

    /// Whether a trace is recording now (in this process).
    #[must_use]
    pub fn is_recording() -> bool {
        is_active()
    }

    /// The record budget this trace was started with.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.session.as_ref().map_or(0, |s| s.capacity)
    }

    /// Stops recording and returns what was recorded.
    ///
    /// ```
    /// use perfkit_profile::{Trace, profile};
    ///
    /// let trace = Trace::start()?;
    /// profile!("doc/trace/finish", ());
    /// let data = trace.finish();
    /// assert!(data.events().iter().any(|e| e.name() == "doc/trace/finish"));
    /// assert!(!Trace::is_recording());
    /// # Ok::<(), perfkit_profile::TraceError>(())
    /// ```
    #[must_use]
    pub fn finish(mut self) -> TraceData {
        match self.session.take() {
            Some(session) => {
                recorder::stop(&session);
                TraceData::collect(&session)
            }
            None => TraceData::default(),
        }
    }
}

impl Drop for Trace {
    /// Stops recording and discards the data.
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            recorder::stop(&session);
            // Free the recorded events now rather than when each thread next records.
            drop(TraceData::collect(&session));
        }
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Trace");
        if let Some(s) = &self.session {
            d.field("capacity", &s.capacity)
                .field("reserved", &s.reserved());
        }
        d.finish_non_exhaustive()
    }
}
