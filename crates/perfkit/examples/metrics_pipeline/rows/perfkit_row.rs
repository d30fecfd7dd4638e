//! The `perfkit` row: interned names, struct-of-arrays totals, a bit set of the metrics a
//! window touched.

use std::collections::HashMap;

use perfkit::layout::{BitSet, Interner, Soa, Symbol};
use perfkit::profile::Histogram;

use super::Variant;
use super::columns::{Decoded, reduce, window_end};
use crate::model::{Cursor, HIST_PRECISION, PayloadError, Row, Sink, read_head, window_of};

/// The running totals of one metric in the open window, stored column by column.
#[derive(Debug, Clone, Default, PartialEq, Soa)]
pub struct Totals {
    /// Events.
    pub count: u64,
    /// Sum of values.
    pub sum: f64,
    /// Smallest value.
    pub min: f32,
    /// Largest value.
    pub max: f32,
    /// Label checksum.
    pub label_sum: u64,
}

/// Everything perfkit: names interned to dense symbols (no string keys anywhere), totals in
/// struct-of-arrays columns indexed by symbol, a bit set of the metrics the open window
/// touched (so closing a window visits only those), batch decoding and SIMD reductions.
#[derive(Debug)]
pub(super) struct PerfkitRow {
    interner: Interner,
    /// Dense slot of each interned name (looked up once per batch and name).
    slot_of: HashMap<Symbol, usize>,
    /// The symbol of each slot.
    symbols: Vec<Symbol>,
    totals: TotalsSoa,
    hists: Vec<Histogram>,
    touched: BitSet,
    local: Vec<usize>,
    current: u64,
    dec: Decoded,
}

/// The seed of the `perfkit` row's interner when `--interner-seed` fixes it; `None` (the
/// default): a fresh random seed per run, which crafted colliding names cannot target.
pub static INTERNER_SEED: std::sync::Mutex<Option<u64>> = std::sync::Mutex::new(None);

impl Default for PerfkitRow {
    fn default() -> Self {
        let seed = *INTERNER_SEED.lock().unwrap_or_else(|p| p.into_inner());
        Self {
            interner: seed.map_or_else(Interner::new, Interner::with_seed),
            slot_of: HashMap::new(),
            symbols: Vec::new(),
            totals: TotalsSoa::new(),
            hists: Vec::new(),
            touched: BitSet::new(),
            local: Vec::new(),
            current: 0,
            dec: Decoded::default(),
        }
    }
}

impl PerfkitRow {
    fn close(&mut self, sink: &mut Sink, window: u64) {
        let cols = self.totals.columns_mut();
        for slot in self.touched.iter() {
            let hist = &mut self.hists[slot];
            sink.emit(Row {
                name: self.interner.resolve(self.symbols[slot]),
                window,
                count: cols.count[slot],
                sum: cols.sum[slot],
                min: cols.min[slot],
                max: cols.max[slot],
                p99: hist.percentile(99.0).unwrap_or(0),
                label_sum: cols.label_sum[slot],
            });
            cols.count[slot] = 0;
            cols.sum[slot] = 0.0;
            cols.min[slot] = f32::INFINITY;
            cols.max[slot] = f32::NEG_INFINITY;
            cols.label_sum[slot] = 0;
            hist.clear();
        }
        self.touched.clear();
    }
}

impl Variant for PerfkitRow {
    fn batch(&mut self, payload: &[u8], sink: &mut Sink) -> Result<usize, PayloadError> {
        let mut cur = Cursor::new(payload);
        self.local.clear();
        let head = read_head(&mut cur, |name| {
            let sym = self.interner.intern(name);
            let next = self.symbols.len();
            let slot = *self.slot_of.entry(sym).or_insert(next);
            if slot == next {
                self.symbols.push(sym);
                self.totals.push(Totals {
                    count: 0,
                    sum: 0.0,
                    min: f32::INFINITY,
                    max: f32::NEG_INFINITY,
                    label_sum: 0,
                });
                self.hists.push(Histogram::with_precision(HIST_PRECISION));
            }
            self.local.push(slot);
        })?;
        self.dec
            .decode(payload, cur.pos, head.count, head.names, head.base_ts)?;
        let ts = std::mem::take(&mut self.dec.ts);
        let mut start = 0;
        while start < ts.len() {
            let w = window_of(ts[start], self.current);
            if w > self.current {
                let open = self.current;
                self.close(sink, open);
                self.current = w;
            }
            let end = window_end(&ts, start, w);
            self.dec.group(start..end, head.names);
            let cols = self.totals.columns_mut();
            for (k, &slot) in self.local.iter().enumerate() {
                let group = self.dec.group_of(k);
                if group.is_empty() {
                    continue;
                }
                let (sum, min, max) = reduce(group);
                cols.count[slot] += group.len() as u64;
                cols.sum[slot] += sum;
                cols.min[slot] = cols.min[slot].min(min);
                cols.max[slot] = cols.max[slot].max(max);
                cols.label_sum[slot] = cols.label_sum[slot].wrapping_add(self.dec.label_sums[k]);
                let hist = &mut self.hists[slot];
                hist.extend(group.iter().map(|&v| v as u64));
                self.touched.insert(slot);
            }
            start = end;
        }
        self.dec.ts = ts;
        Ok(head.count)
    }

    fn finish(&mut self, sink: &mut Sink) {
        let open = self.current;
        self.close(sink, open);
    }
}
