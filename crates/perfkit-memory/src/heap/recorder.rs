//! The running profile's tables: sites by stack, blocks by address, DHAT's figures, and the
//! global peak.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

use super::Unwind;
use super::clock;
use super::profile::{HeapProfile, Site};
use super::symbols::{symbolize, trimmed};

/// A block allocated while recording.
#[derive(Debug, Clone, Copy)]
pub(super) struct Live {
    site: u32,
    size: u64,
    /// Ticks of [`clock::ticks`] from the start.
    at: u64,
}

/// DHAT's figures for one raw stack.
#[derive(Debug, Clone, Copy, Default)]
struct SiteStats {
    total_blocks: u64,
    total_bytes: u64,
    /// In ticks of [`clock::ticks`].
    lifetimes: u64,
    max_bytes: u64,
    max_blocks: u64,
    at_peak_bytes: u64,
    at_peak_blocks: u64,
    bytes: u64,
    blocks: u64,
    /// Changed since its `at_peak_*` were last set (and listed in `Recorder::dirty`).
    dirty: bool,
}

/// A multiply-rotate hasher for the tables' integer keys (addresses and return addresses).
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits of an aligned address's product zero, and the
        // table indexes by the low bits: fold the high half in.
        self.0 ^ (self.0 >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        // A slice of integers (a stack) arrives here as its bytes: eight at a time.
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0; 8];
            word.copy_from_slice(w);
            self.write_u64(u64::from_ne_bytes(word));
        }
        for &b in words.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type Fast = BuildHasherDefault<WordHasher>;

/// A 64-bit hash of a raw stack, the key of its site: two stacks are taken for the same site
/// only if their hashes are equal, which for distinct stacks has a chance of about 2^-64 per
/// pair (and then merges two sites' figures), and saves comparing whole stacks on every call.
fn stack_hash(stack: &[usize]) -> u64 {
    // Each frame multiplied and rotated by its position, then summed: the multiplies are
    // independent (a chain of rotate-xor-multiply steps over twenty frames cost more than
    // the rest of the bookkeeping), and a frame's position changes its contribution.
    let mut h = (stack.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for (i, &ip) in stack.iter().enumerate() {
        h = h.wrapping_add(
            (ip as u64)
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
                .rotate_left(i as u32 * 7),
        );
    }
    // A final mix, so the table's index bits depend on every frame.
    let x = (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^ (x >> 32)
}

/// The running profile's tables.
pub(super) struct Recorder {
    depth: usize,
    unwind: Unwind,
    start: Instant,
    start_ticks: u64,
    /// Site index by the hash of its raw stack ([`stack_hash`]).
    sites: HashMap<u64, u32, Fast>,
    stats: Vec<SiteStats>,
    stacks: Vec<Box<[usize]>>,
    live: HashMap<usize, Live, Fast>,
    /// Sites whose live figures changed since the last snapshot at a peak.
    dirty: Vec<u32>,
    bytes: u64,
    blocks: u64,
    total_bytes: u64,
    total_blocks: u64,
    peak_bytes: u64,
    peak_blocks: u64,
    peak_at: u64,
    /// A new peak was reached and not yet left (its per-site figures not yet taken).
    at_peak: bool,
}

impl Recorder {
    pub(super) fn new(depth: usize, unwind: Unwind) -> Self {
        Self {
            depth,
            unwind,
            start: Instant::now(),
            start_ticks: clock::ticks(),
            sites: HashMap::default(),
            stats: Vec::new(),
            stacks: Vec::new(),
            live: HashMap::default(),
            dirty: Vec::new(),
            bytes: 0,
            blocks: 0,
            total_bytes: 0,
            total_blocks: 0,
            peak_bytes: 0,
            peak_blocks: 0,
            peak_at: 0,
            at_peak: false,
        }
    }

    /// Ticks of [`clock::ticks`] since the start.
    fn now(&self) -> u64 {
        clock::ticks().wrapping_sub(self.start_ticks)
    }

    fn site(&mut self, stack: &[usize]) -> u32 {
        let hash = stack_hash(stack);
        if let Some(&s) = self.sites.get(&hash) {
            return s;
        }
        let s = u32::try_from(self.stats.len()).unwrap_or(u32::MAX);
        self.sites.insert(hash, s);
        self.stacks.push(stack.into());
        self.stats.push(SiteStats::default());
        s
    }

    fn touch(&mut self, site: u32) {
        let st = &mut self.stats[site as usize];
        if !st.dirty {
            st.dirty = true;
            self.dirty.push(site);
        }
    }

    /// Takes every changed site's figures at the peak, before the heap first shrinks below
    /// it: nothing but allocations (each raising the peak) happened since it was reached.
    fn leave_peak(&mut self) {
        if !self.at_peak {
            return;
        }
        self.at_peak = false;
        for site in self.dirty.drain(..) {
            let st = &mut self.stats[site as usize];
            st.at_peak_bytes = st.bytes;
            st.at_peak_blocks = st.blocks;
            st.dirty = false;
        }
    }

    pub(super) fn alloc(&mut self, ptr: usize, size: u64, stack: &[usize]) {
        let at = self.now();
        let site = self.site(stack);
        self.touch(site);
        let st = &mut self.stats[site as usize];
        st.total_blocks += 1;
        st.total_bytes += size;
        st.blocks += 1;
        st.bytes += size;
        if st.bytes > st.max_bytes {
            st.max_bytes = st.bytes;
            st.max_blocks = st.blocks;
        }
        self.total_blocks += 1;
        self.total_bytes += size;
        self.blocks += 1;
        self.bytes += size;
        if self.bytes > self.peak_bytes {
            self.peak_bytes = self.bytes;
            self.peak_blocks = self.blocks;
            self.peak_at = at;
            self.at_peak = true;
        }
        self.live.insert(ptr, Live { site, size, at });
    }

    /// Takes the entry of the block at `ptr` out of the live table, if it was allocated
    /// while recording.
    pub(super) fn take(&mut self, ptr: usize) -> Option<Live> {
        self.live.remove(&ptr)
    }

    /// Puts a taken entry back (the block at `ptr` is still live).
    pub(super) fn put_back(&mut self, ptr: usize, block: Live) {
        self.live.insert(ptr, block);
    }

    pub(super) fn free(&mut self, block: Live) {
        self.leave_peak();
        let now = self.now();
        self.touch(block.site);
        let st = &mut self.stats[block.site as usize];
        st.blocks -= 1;
        st.bytes -= block.size;
        st.lifetimes += now.saturating_sub(block.at);
        self.blocks -= 1;
        self.bytes -= block.size;
    }

    pub(super) fn finish(mut self) -> HeapProfile {
        self.leave_peak();
        let end = self.now();
        // Ticks to microseconds, from the profile's length in both.
        let elapsed_us = self.start.elapsed().as_secs_f64() * 1e6;
        let us = |ticks: u64| {
            if end == 0 {
                0
            } else {
                (ticks as f64 * elapsed_us / end as f64) as u64
            }
        };
        for block in self.live.values() {
            self.stats[block.site as usize].lifetimes += end.saturating_sub(block.at);
        }
        let names = symbolize(&self.stacks);
        let mut merged: HashMap<Vec<String>, Site> = HashMap::new();
        for (stack, st) in self.stacks.iter().zip(&self.stats) {
            let frames = trimmed(stack, &names, self.depth);
            let site = merged.entry(frames.clone()).or_insert_with(|| Site {
                frames,
                ..Site::default()
            });
            site.total_blocks += st.total_blocks;
            site.total_bytes += st.total_bytes;
            site.total_lifetime_us += us(st.lifetimes);
            site.max_bytes += st.max_bytes;
            site.max_blocks += st.max_blocks;
            site.at_peak_bytes += st.at_peak_bytes;
            site.at_peak_blocks += st.at_peak_blocks;
            site.at_end_bytes += st.bytes;
            site.at_end_blocks += st.blocks;
        }
        let mut sites: Vec<Site> = merged.into_values().collect();
        sites.sort_by(|a, b| {
            b.total_bytes
                .cmp(&a.total_bytes)
                .then(b.total_blocks.cmp(&a.total_blocks))
                .then_with(|| a.frames.cmp(&b.frames))
        });
        HeapProfile {
            sites,
            total_blocks: self.total_blocks,
            total_bytes: self.total_bytes,
            peak_bytes: self.peak_bytes,
            peak_blocks: self.peak_blocks,
            peak_time_us: us(self.peak_at),
            end_time_us: us(end),
            unwind: self.unwind,
            file: None,
        }
    }
}
