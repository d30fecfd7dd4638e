//! A finished trace as data: its events, threads and call paths, gathered from every
//! thread's log by [`Trace::finish`](super::Trace::finish).

use std::mem;
use std::sync::atomic::Ordering;

use super::recorder::{PathNode, Session};

/// One traced scope: where and when it ran, and how deep in its thread's stack of scopes.
///
/// Made by [`Trace::finish`](crate::Trace::finish); read through [`TraceData::events`].
///
/// ```
/// use perfkit_profile::{Trace, profile};
///
/// let trace = Trace::start()?;
/// {
///     profile!("doc/event/outer");
///     profile!("doc/event/inner", ());
/// }
/// let data = trace.finish();
/// let inner = data.events().iter().find(|e| e.name() == "doc/event/inner").unwrap();
/// assert_eq!(inner.depth(), 1);
/// assert_eq!(data.stack(inner), ["doc/event/outer", "doc/event/inner"]);
/// # Ok::<(), perfkit_profile::TraceError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceEvent {
    name: &'static str,
    thread: u64,
    start: u64,
    duration: u64,
    depth: u32,
    /// Index into [`TraceData::paths`].
    path: u32,
}

impl TraceEvent {
    /// The scope's name, as given to [`profile!`](crate::profile) or
    /// [`ScopeGuard::new`](crate::ScopeGuard::new).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The id of the thread it ran on: [`TraceThread::id`], the `tid` of the Chrome trace.
    #[must_use]
    pub const fn thread_id(&self) -> u64 {
        self.thread
    }

    /// When it started, in nanoseconds since the trace started.
    #[must_use]
    pub const fn start_nanos(&self) -> u64 {
        self.start
    }

    /// How long it ran, in nanoseconds: the value its scope recorded in the scope's
    /// histogram too.
    #[must_use]
    pub const fn duration_nanos(&self) -> u64 {
        self.duration
    }

    /// When it ended, in nanoseconds since the trace started (`start + duration`,
    /// saturating).
    #[must_use]
    pub const fn end_nanos(&self) -> u64 {
        self.start.saturating_add(self.duration)
    }

    /// How many traced scopes enclosed it on its thread (0 for an outermost scope).
    #[must_use]
    pub const fn depth(&self) -> u32 {
        self.depth
    }
}

/// A thread that recorded at least one traced scope.
///
/// ```
/// use perfkit_profile::{Trace, profile};
///
/// let trace = Trace::start()?;
/// std::thread::Builder::new()
///     .name("doc-worker".into())
///     .spawn(|| profile!("doc/thread/work", ()))
///     .unwrap()
///     .join()
///     .unwrap();
/// let data = trace.finish();
/// let worker = data.threads().iter().find(|t| t.name() == "doc-worker").unwrap();
/// assert!(data.events().iter().any(|e| e.thread_id() == worker.id()));
/// # Ok::<(), perfkit_profile::TraceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TraceThread {
    id: u64,
    name: String,
}

impl TraceThread {
    /// The thread's trace id: 1, 2, … in the order threads first recorded a traced scope in
    /// this process (stable across traces). Written as the `tid` of Chrome trace events.
    #[must_use]
    pub const fn id(&self) -> u64 {
        self.id
    }

    /// The thread's name ([`std::thread::Thread::name`]), or its [`std::thread::ThreadId`]
    /// (`"ThreadId(7)"`) when it has none.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Everything a [`Trace`](crate::Trace) recorded: the finished scopes of every thread, with
/// their start, duration and nesting.
///
/// Write it as Chrome trace-event JSON ([`write_chrome_json`](Self::write_chrome_json), for
/// Perfetto and `chrome://tracing`) or as folded stacks
/// ([`write_folded`](Self::write_folded), for flame graphs), or read the events directly.
///
/// ```
/// use perfkit_profile::{Trace, profile};
///
/// fn leaf() {
///     profile!("doc/data/leaf");
/// }
///
/// let trace = Trace::start()?;
/// {
///     profile!("doc/data/root");
///     leaf();
///     leaf();
/// }
/// let data = trace.finish();
/// assert_eq!(data.dropped(), 0);
/// let leaves = data.events().iter().filter(|e| e.name() == "doc/data/leaf");
/// assert_eq!(leaves.count(), 2);
/// # Ok::<(), perfkit_profile::TraceError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceData {
    pid: u32,
    capacity: usize,
    dropped: u64,
    /// By id.
    threads: Vec<TraceThread>,
    /// Every thread's call paths; a path's parent index is into this list too.
    paths: Vec<PathNode>,
    /// By thread, then start, then depth (so an enclosing scope comes before the scopes it
    /// encloses, even when they start in the same nanosecond).
    events: Vec<TraceEvent>,
}

impl TraceData {
    /// Takes everything `session` recorded out of its thread logs (which keep only the chunk
    /// each thread is filling, so a finished trace holds no memory behind the data).
    pub(crate) fn collect(session: &Session) -> Self {
        let logs = mem::take(&mut *session.threads.lock().unwrap_or_else(|e| e.into_inner()));
        let mut data = Self {
            pid: std::process::id(),
            capacity: session.capacity,
            dropped: session.orphaned.load(Ordering::Relaxed),
            ..Self::default()
        };
        for log in logs {
            let (paths, chunks) = {
                let mut inner = log.inner.lock().unwrap_or_else(|e| e.into_inner());
                (mem::take(&mut inner.paths), mem::take(&mut inner.chunks))
            };
            data.dropped = data
                .dropped
                .saturating_add(log.dropped.load(Ordering::Relaxed));
            // Path numbers are per thread; offset them into the shared list.
            let base = u32::try_from(data.paths.len()).unwrap_or(u32::MAX);
            data.paths.extend(paths.iter().map(|p| PathNode {
                parent: p.parent.map(|i| base.saturating_add(i)),
                ..*p
            }));
            for [path, start, duration] in chunks.iter().flat_map(|c| c.events()) {
                // A path is published before any event that names it.
                let Some(node) = usize::try_from(path).ok().and_then(|i| paths.get(i)) else {
                    data.dropped = data.dropped.saturating_add(1);
                    continue;
                };
                data.events.push(TraceEvent {
                    name: node.name,
                    thread: log.tid,
                    start,
                    duration,
                    depth: node.depth,
                    path: base.saturating_add(path as u32),
                });
            }
            // A thread joins a session once, so each log is a different thread.
            data.threads.push(TraceThread {
                id: log.tid,
                name: log.name.clone(),
            });
        }
        data.threads.sort_by_key(|t| t.id);
        data.events
            .sort_by_key(|e| (e.thread, e.start, e.depth, e.duration));
        data
    }

    /// A trace built by hand, for the writers' unit tests: `(thread, path, start, duration)`
    /// events over `paths`.
    #[cfg(test)]
    pub(crate) fn from_parts(
        pid: u32,
        threads: &[(u64, &str)],
        paths: Vec<PathNode>,
        events: &[(u64, u32, u64, u64)],
    ) -> Self {
        Self {
            pid,
            capacity: 100,
            dropped: 2,
            threads: threads
                .iter()
                .map(|&(id, name)| TraceThread {
                    id,
                    name: name.to_owned(),
                })
                .collect(),
            events: events
                .iter()
                .map(|&(thread, path, start, duration)| TraceEvent {
                    name: paths[path as usize].name,
                    thread,
                    start,
                    duration,
                    depth: paths[path as usize].depth,
                    path,
                })
                .collect(),
            paths,
        }
    }

    /// Every recorded scope, by thread, then start time, then depth (an enclosing scope
    /// before the scopes it encloses).
    #[must_use]
    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    /// Every thread that recorded a traced scope, by id.
    #[must_use]
    pub fn threads(&self) -> &[TraceThread] {
        &self.threads
    }

    /// How many scopes were not recorded: the record budget was spent
    /// ([`capacity`](Self::capacity)), the thread had [`Trace::MAX_DEPTH`](crate::Trace::MAX_DEPTH)
    /// scopes open already, or the guard was dropped on another thread than it was made on.
    /// Scopes still open when the trace finished are not counted: they were never recorded.
    #[must_use]
    pub const fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The record budget the trace had ([`Trace::with_capacity`](crate::Trace::with_capacity)).
    #[must_use]
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// The process id, written as the `pid` of Chrome trace events.
    #[must_use]
    pub const fn pid(&self) -> u32 {
        self.pid
    }

    /// The names of the scopes that were open on `event`'s thread when it started,
    /// outermost first, ending with `event`'s own name. Empty for an event of another
    /// `TraceData`.
    #[must_use]
    pub fn stack(&self, event: &TraceEvent) -> Vec<&'static str> {
        let mut names = Vec::with_capacity(event.depth as usize + 1);
        let mut next = Some(event.path);
        while let Some(node) = next.and_then(|i| self.paths.get(i as usize)) {
            names.push(node.name);
            next = node.parent;
        }
        names.reverse();
        if names.last() != Some(&event.name) {
            names.clear();
        }
        names
    }

    /// The call paths (index = an event's path), for the folded-stacks writer.
    pub(crate) fn paths(&self) -> &[PathNode] {
        &self.paths
    }

    /// An event's index into [`paths`](Self::paths).
    pub(crate) const fn path_of(event: &TraceEvent) -> u32 {
        event.path
    }
}
