//! What a row measures: the bytes and blocks its build leaves live (perfkit's tracking
//! allocator, this thread's counters before and after), the median time of [`BUILDS`] builds
//! (the first build of a process also pays for mapping fresh pages, which the rows after it
//! would not), and the median time of several scans.

use std::hint::black_box;
use std::time::{Duration, Instant};

use perfkit::memory::tracking;

/// Builds per row: all but the last are timed and dropped; the last is kept and scanned.
pub const BUILDS: usize = 3;

/// What one row measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Bytes of one record in the row's per-record struct (`size_of`), or for columns the sum
    /// of one row of every column.
    pub record_size: usize,
    /// Bytes the build left live: everything the row holds.
    pub live_bytes: u64,
    /// Heap blocks the build left live.
    pub live_blocks: u64,
    /// Every build's time, in the order they ran.
    pub builds: Vec<Duration>,
    /// Every scan's time, in the order they ran.
    pub scans: Vec<Duration>,
    /// The scans' checksum (every scan gives the same one).
    pub checksum: u64,
}

impl Measured {
    /// The median build time.
    #[must_use]
    pub fn build_median(&self) -> Duration {
        median(&self.builds)
    }

    /// The median scan time.
    #[must_use]
    pub fn scan_median(&self) -> Duration {
        median(&self.scans)
    }
}

/// The median of `times` (the lower middle one for an even count; zero for none).
#[must_use]
pub fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or_default()
}

/// This thread's live bytes and live blocks (as signed totals, so that a delta never
/// saturates).
fn held() -> (i128, i128) {
    let s = tracking::thread_stats();
    (
        i128::from(s.bytes_allocated) - i128::from(s.bytes_deallocated),
        i128::from(s.allocations) - i128::from(s.deallocations),
    )
}

/// A build in progress: started before the row allocates anything.
#[derive(Debug)]
pub struct Meter {
    bytes: i128,
    blocks: i128,
    start: Instant,
}

/// What a build left behind.
#[derive(Debug, Clone, Copy)]
pub struct Built {
    /// Live bytes added by the build.
    pub bytes: u64,
    /// Live blocks added by the build.
    pub blocks: u64,
    /// The build's time.
    pub time: Duration,
}

impl Meter {
    /// Starts measuring a build.
    #[must_use]
    pub fn start() -> Self {
        let (bytes, blocks) = held();
        Self {
            bytes,
            blocks,
            start: Instant::now(),
        }
    }

    /// Ends the build: its time, and what it left live.
    #[must_use]
    pub fn built(self) -> Built {
        let time = self.start.elapsed();
        let (bytes, blocks) = held();
        Built {
            bytes: u64::try_from(bytes - self.bytes).unwrap_or(0),
            blocks: u64::try_from(blocks - self.blocks).unwrap_or(0),
            time,
        }
    }
}

/// Runs `scan` `times` times (at least once); returns its checksum and every run's time.
/// Every run must give the same checksum; a different one is returned as 0, which no row
/// matches.
pub fn scans(times: usize, mut scan: impl FnMut() -> u64) -> (u64, Vec<Duration>) {
    let mut durations = Vec::with_capacity(times.max(1));
    let mut checksum = None;
    for _ in 0..times.max(1) {
        let t = Instant::now();
        let c = black_box(scan());
        durations.push(t.elapsed());
        checksum = match checksum {
            None => Some(c),
            Some(prev) if prev == c => Some(c),
            Some(_) => Some(0),
        };
    }
    (checksum.unwrap_or(0), durations)
}

/// Times `build` `BUILDS - 1` times, dropping what it builds: the first build times.
pub fn rehearse<T>(build: impl Fn() -> T) -> Vec<Duration> {
    (1..BUILDS)
        .map(|_| {
            let meter = Meter::start();
            let held = black_box(build());
            let time = meter.built().time;
            drop(held);
            time
        })
        .collect()
}

/// The usual row: build with `build` ([`BUILDS`] times, keeping the last), then scan the
/// result `times` times with `scan`.
pub fn measure<T>(
    record_size: usize,
    times: usize,
    build: impl Fn() -> T,
    scan: impl Fn(&T) -> u64,
) -> Measured {
    let mut builds = rehearse(&build);
    let meter = Meter::start();
    let held = black_box(build());
    let built = meter.built();
    builds.push(built.time);
    let (checksum, scans) = scans(times, || scan(black_box(&held)));
    drop(held);
    Measured {
        record_size,
        live_bytes: built.bytes,
        live_blocks: built.blocks,
        builds,
        scans,
        checksum,
    }
}
