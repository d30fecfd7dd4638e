//! The rows of the table: one implementation per technique, each adding one step to the one
//! before it. Every row reads the same frames, rejects the same batches and emits the same
//! aggregates (the checksum proves it); they differ only in how they do the work.

use std::collections::HashMap;

use perfkit::layout::{BitSet, Interner, Soa, Symbol};
use perfkit::memory::arena;
use perfkit::profile::Histogram;
use perfkit::{encoding::varint, simd};
use smallvec::SmallVec;

use crate::model::{
    Agg, Cursor, HIST_PRECISION, MAX_LABELS, PayloadError, Row, Sink, read_head, valid_value,
    window_of,
};

/// One row of the table.
pub trait Variant {
    /// Processes one batch payload; returns its event count, or rejects it whole.
    fn batch(&mut self, payload: &[u8], sink: &mut Sink) -> Result<usize, PayloadError>;
    /// Emits the window still open.
    fn finish(&mut self, sink: &mut Sink);
}

/// One row of the table.
#[derive(Debug)]
pub struct RowSpec {
    /// Its name (`--variant NAME`).
    pub name: &'static str,
    /// What it adds to the row above.
    pub what: &'static str,
    /// Whether its allocations come from mimalloc (else the system allocator).
    pub mimalloc: bool,
    /// Builds its state.
    pub make: fn() -> Box<dyn Variant>,
}

/// The rows, in table order.
pub const ROWS: &[RowSpec] = &[
    RowSpec {
        name: "naive",
        what: "per-event String/Vec, collect per stage, (String, window) keys, byte-loop varints",
        mimalloc: false,
        make: || Box::new(Naive::default()),
    },
    RowSpec {
        name: "fused",
        what: "+ iterator fusion: one pass from bytes to aggregates, no per-stage Vec",
        mimalloc: false,
        make: || Box::new(Fused::<Vec<u32>>::default()),
    },
    RowSpec {
        name: "smallvec",
        what: "+ SmallVec<[u32; 4]> labels: no allocation for labels",
        mimalloc: false,
        make: || Box::new(Fused::<SmallVec<[u32; MAX_LABELS]>>::default()),
    },
    RowSpec {
        name: "arena",
        what: "+ mimalloc, arena scratch per batch, names borrowed, aggregates reused across windows",
        mimalloc: true,
        make: || Box::new(ArenaRow::default()),
    },
    RowSpec {
        name: "simd",
        what: "+ batch varint decoding, group by metric, SIMD sum/min/max per group",
        mimalloc: true,
        make: || Box::new(SimdRow::default()),
    },
    RowSpec {
        name: "perfkit",
        what: "+ interned names, struct-of-arrays aggregates, bit set of touched metrics",
        mimalloc: true,
        make: || Box::new(PerfkitRow::default()),
    },
];

// ---------------------------------------------------------------------------------------
// naive

/// A decoded event, as naive code writes it: owned name, owned labels.
#[derive(Debug, Clone)]
struct Event {
    name: String,
    ts: u64,
    value: f32,
    labels: Vec<u32>,
}

/// The textbook LEB128 loop: one byte at a time, with the same acceptance rules as
/// perfkit's decoder (at most 10 bytes, the 10th at most 1).
fn naive_varint(buf: &[u8], pos: &mut usize, field: &'static str) -> Result<u64, PayloadError> {
    let offset = *pos;
    let mut value = 0u64;
    for i in 0..10 {
        let Some(&b) = buf.get(*pos) else { break };
        *pos += 1;
        if i == 9 && b > 1 {
            break;
        }
        value |= u64::from(b & 0x7F) << (7 * i);
        if b < 0x80 {
            return Ok(value);
        }
    }
    Err(PayloadError::Malformed { field, offset })
}

fn naive_column(
    buf: &[u8],
    pos: &mut usize,
    n: usize,
    field: &'static str,
) -> Result<Vec<u64>, PayloadError> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(naive_varint(buf, pos, field)?);
    }
    Ok(out)
}

fn naive_decode(payload: &[u8]) -> Result<Vec<Event>, PayloadError> {
    let mut cur = Cursor::new(payload);
    let mut names = Vec::new();
    let head = read_head(&mut cur, |s| names.push(s))?;
    let (base_ts, n) = (head.base_ts, head.count);
    let mut pos = cur.pos;
    let name_idx = naive_column(payload, &mut pos, n, "name index")?;
    let deltas = naive_column(payload, &mut pos, n, "delta")?;
    let mut cur = Cursor { buf: payload, pos };
    let values: Vec<f32> = cur
        .bytes("values", n * 4)?
        .chunks(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let counts: Vec<u8> = cur.bytes("label counts", n)?.to_vec();
    let mut pos = cur.pos;
    let mut labels = Vec::new();
    for (event, &c) in counts.iter().enumerate() {
        if usize::from(c) > MAX_LABELS {
            return Err(PayloadError::LabelCount { event, count: c });
        }
        let mut these = Vec::new();
        for _ in 0..c {
            let offset = pos;
            let l = naive_varint(payload, &mut pos, "label")?;
            these.push(u32::try_from(l).map_err(|_| PayloadError::LabelId { offset })?);
        }
        labels.push(these);
    }
    if pos != payload.len() {
        return Err(PayloadError::Trailing { offset: pos });
    }
    let mut events = Vec::new();
    let mut ts = base_ts;
    for i in 0..n {
        let idx = name_idx[i];
        let Some(name) = names.get(idx as usize) else {
            return Err(PayloadError::NameIndex {
                event: i,
                index: idx,
                names: names.len(),
            });
        };
        if !valid_value(values[i]) {
            return Err(PayloadError::Value {
                event: i,
                value: values[i],
            });
        }
        ts = ts.saturating_add(deltas[i]);
        events.push(Event {
            name: name.to_string(),
            ts,
            value: values[i],
            labels: labels[i].clone(),
        });
    }
    Ok(events)
}

/// The baseline: decode into owned events, key them, then aggregate.
#[derive(Debug, Default)]
struct Naive {
    map: HashMap<(String, u64), Agg>,
    current: u64,
}

impl Naive {
    fn close(&mut self, sink: &mut Sink) {
        let mut keys: Vec<(String, u64)> = self.map.keys().cloned().collect();
        keys.sort();
        for key in keys {
            if let Some(agg) = self.map.remove(&key) {
                agg.emit(sink, &key.0, key.1);
            }
        }
    }
}

impl Variant for Naive {
    fn batch(&mut self, payload: &[u8], sink: &mut Sink) -> Result<usize, PayloadError> {
        let events = naive_decode(payload)?;
        let n = events.len();
        let keyed: Vec<(u64, Event)> = events
            .into_iter()
            .map(|e| (e.ts / crate::model::WINDOW_US, e))
            .collect();
        for (w, e) in keyed {
            let w = w.max(self.current);
            if w > self.current {
                self.close(sink);
                self.current = w;
            }
            self.map
                .entry((e.name.clone(), w))
                .or_default()
                .add(e.value, &e.labels);
        }
        Ok(n)
    }

    fn finish(&mut self, sink: &mut Sink) {
        self.close(sink);
    }
}

// ---------------------------------------------------------------------------------------
// shared by the single-pass rows: one validation pass that finds the columns

/// Where each column of a batch starts; produced by [`scan`], which validates every field, so
/// the single-pass rows can aggregate while they read and never meet an error half-way.
#[derive(Debug, Clone, Copy)]
struct Columns {
    base_ts: u64,
    n: usize,
    names: usize,
    deltas: usize,
    values: usize,
    counts: usize,
    labels: usize,
}

fn scan<'a>(payload: &'a [u8], push: impl FnMut(&'a str)) -> Result<Columns, PayloadError> {
    let mut cur = Cursor::new(payload);
    let head = read_head(&mut cur, push)?;
    let (base_ts, n) = (head.base_ts, head.count);
    let names_at = cur.pos;
    for event in 0..n {
        let index = cur.varint("name index")?;
        if index >= head.names as u64 {
            return Err(PayloadError::NameIndex {
                event,
                index,
                names: head.names,
            });
        }
    }
    let deltas = cur.pos;
    for _ in 0..n {
        cur.varint("delta")?;
    }
    let values = cur.pos;
    for (event, c) in cur.bytes("values", n * 4)?.chunks_exact(4).enumerate() {
        let value = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        if !valid_value(value) {
            return Err(PayloadError::Value { event, value });
        }
    }
    let counts = cur.pos;
    let mut total = 0usize;
    for (event, &count) in cur.bytes("label counts", n)?.iter().enumerate() {
        if usize::from(count) > MAX_LABELS {
            return Err(PayloadError::LabelCount { event, count });
        }
        total += usize::from(count);
    }
    let labels = cur.pos;
    for _ in 0..total {
        let offset = cur.pos;
        if cur.varint("label")? > u64::from(u32::MAX) {
            return Err(PayloadError::LabelId { offset });
        }
    }
    cur.finish()?;
    Ok(Columns {
        base_ts,
        n,
        names: names_at,
        deltas,
        values,
        counts,
        labels,
    })
}

/// Reads a varint the scan already validated.
#[inline]
fn next_varint(buf: &[u8], pos: &mut usize) -> u64 {
    match varint::decode_u64(&buf[*pos..]) {
        Ok((v, used)) => {
            *pos += used;
            v
        }
        // `scan` validated every varint of the batch; nothing here can fail.
        Err(_) => 0,
    }
}

/// A container the labels of one event are collected in.
trait Labels: Default + AsRef<[u32]> {
    fn push(&mut self, l: u32);
}

impl Labels for Vec<u32> {
    fn push(&mut self, l: u32) {
        Vec::push(self, l);
    }
}

impl Labels for SmallVec<[u32; MAX_LABELS]> {
    fn push(&mut self, l: u32) {
        SmallVec::push(self, l);
    }
}

/// Walks a scanned batch event by event, handing each to `f` as
/// (name, timestamp, value, labels).
fn for_each_event<'a, L: Labels>(
    payload: &'a [u8],
    names: &[&'a str],
    cols: Columns,
    mut f: impl FnMut(&'a str, u64, f32, L),
) {
    let (mut pn, mut pd, mut pl) = (cols.names, cols.deltas, cols.labels);
    let mut ts = cols.base_ts;
    for i in 0..cols.n {
        let name = names[next_varint(payload, &mut pn) as usize];
        ts = ts.saturating_add(next_varint(payload, &mut pd));
        let v = cols.values + 4 * i;
        let value =
            f32::from_le_bytes([payload[v], payload[v + 1], payload[v + 2], payload[v + 3]]);
        let mut labels = L::default();
        for _ in 0..payload[cols.counts + i] {
            labels.push(next_varint(payload, &mut pl) as u32);
        }
        f(name, ts, value, labels);
    }
}

/// Validates a batch without aggregating it (for the input survey).
pub fn check(payload: &[u8]) -> Result<(), PayloadError> {
    scan(payload, |_| ()).map(|_| ())
}

// ---------------------------------------------------------------------------------------
// fused, smallvec

/// One pass from bytes to aggregates; labels collected in `L`.
#[derive(Debug, Default)]
struct Fused<L> {
    map: HashMap<(String, u64), Agg>,
    current: u64,
    _labels: std::marker::PhantomData<L>,
}

impl<L> Fused<L> {
    fn close(&mut self, sink: &mut Sink) {
        for ((name, w), agg) in self.map.drain() {
            agg.emit(sink, &name, w);
        }
    }
}

impl<L: Labels> Variant for Fused<L> {
    fn batch(&mut self, payload: &[u8], sink: &mut Sink) -> Result<usize, PayloadError> {
        let mut names = Vec::new();
        let cols = scan(payload, |s| names.push(s))?;
        for_each_event::<L>(payload, &names, cols, |name, ts, value, labels| {
            let w = window_of(ts, self.current);
            if w > self.current {
                self.close(sink);
                self.current = w;
            }
            self.map
                .entry((name.to_string(), w))
                .or_default()
                .add(value, labels.as_ref());
        });
        Ok(cols.n)
    }

    fn finish(&mut self, sink: &mut Sink) {
        self.close(sink);
    }
}

// ---------------------------------------------------------------------------------------
// arena

/// No allocation per event: the batch's scratch lives in a frame arena, names are borrowed
/// from the payload, aggregates are looked up by `&str` and cleared (not freed) when their
/// window closes.
#[derive(Debug, Default)]
struct ArenaRow {
    map: HashMap<String, Agg>,
    current: u64,
}

impl ArenaRow {
    fn close(&mut self, sink: &mut Sink) {
        for (name, agg) in &mut self.map {
            if agg.count > 0 {
                agg.emit(sink, name, self.current);
                agg.clear();
            }
        }
    }
}

impl Variant for ArenaRow {
    fn batch(&mut self, payload: &[u8], sink: &mut Sink) -> Result<usize, PayloadError> {
        arena::with_frame(|a| {
            let mut names = a.vec();
            let cols = scan(payload, |s| names.push(s))?;
            for_each_event::<SmallVec<[u32; MAX_LABELS]>>(
                payload,
                &names,
                cols,
                |name, ts, value, labels| {
                    let w = window_of(ts, self.current);
                    if w > self.current {
                        self.close(sink);
                        self.current = w;
                    }
                    match self.map.get_mut(name) {
                        Some(agg) => agg.add(value, &labels),
                        None => {
                            let mut agg = Agg::new();
                            agg.add(value, &labels);
                            self.map.insert(name.to_string(), agg);
                        }
                    }
                },
            );
            Ok(cols.n)
        })
    }

    fn finish(&mut self, sink: &mut Sink) {
        self.close(sink);
    }
}

// ---------------------------------------------------------------------------------------
// simd and perfkit: decode whole columns, group by metric, reduce each group with kernels

/// Decoded columns of one batch, in buffers reused from batch to batch.
#[derive(Debug, Default)]
struct Decoded {
    name_idx: Vec<u64>,
    deltas: Vec<u64>,
    labels: Vec<u64>,
    values: Vec<f32>,
    /// Timestamps (base + running deltas).
    ts: Vec<u64>,
    /// Start of each event's labels in `labels` (n + 1 entries).
    label_at: Vec<u32>,
    /// Each event's label checksum ([`label_hash_iter`] of its labels).
    label_hash: Vec<u64>,
    /// Values grouped by local name index (counting sort).
    grouped: Vec<f32>,
    /// Events per local name index, then group starts.
    counts: Vec<u32>,
    starts: Vec<u32>,
    /// Next free position of each group while scattering.
    fill: Vec<u32>,
    /// Label checksum per local name index.
    label_sums: Vec<u64>,
}

impl Decoded {
    /// Batch-decodes every column of the payload after its head, validating as it goes.
    fn decode(
        &mut self,
        payload: &[u8],
        mut pos: usize,
        n: usize,
        n_names: usize,
        base_ts: u64,
    ) -> Result<(), PayloadError> {
        let column = |out: &mut Vec<u64>, pos: &mut usize, count, field| {
            out.clear();
            let used =
                varint::decode_u64_slice(&payload[*pos..], count, out).map_err(|source| {
                    PayloadError::Varint {
                        field,
                        offset: *pos,
                        source,
                    }
                })?;
            *pos += used;
            Ok::<(), PayloadError>(())
        };
        column(&mut self.name_idx, &mut pos, n, "name index")?;
        if let Some(event) = self.name_idx.iter().position(|&i| i >= n_names as u64) {
            return Err(PayloadError::NameIndex {
                event,
                index: self.name_idx[event],
                names: n_names,
            });
        }
        column(&mut self.deltas, &mut pos, n, "delta")?;
        let mut cur = Cursor { buf: payload, pos };
        let raw = cur.bytes("values", 4 * n)?;
        self.values.clear();
        self.values.extend(
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        if !self.values.iter().all(|&v| valid_value(v)) {
            let event = self
                .values
                .iter()
                .position(|&v| !valid_value(v))
                .unwrap_or(0);
            return Err(PayloadError::Value {
                event,
                value: self.values[event],
            });
        }
        let counts = cur.bytes("label counts", n)?;
        self.label_at.clear();
        self.label_at.push(0);
        let mut total = 0u32;
        for (event, &count) in counts.iter().enumerate() {
            if usize::from(count) > MAX_LABELS {
                return Err(PayloadError::LabelCount { event, count });
            }
            total += u32::from(count);
            self.label_at.push(total);
        }
        let mut pos = cur.pos;
        let labels_at = pos;
        column(&mut self.labels, &mut pos, total as usize, "label")?;
        if self.labels.iter().any(|&l| l > u64::from(u32::MAX)) {
            return Err(PayloadError::LabelId { offset: labels_at });
        }
        Cursor { buf: payload, pos }.finish()?;
        // Each event's label checksum without a branch on its label count (which varies from
        // event to event and would mispredict): read MAX_LABELS slots, mask off the unused.
        self.labels.extend([0; MAX_LABELS]);
        self.label_hash.clear();
        self.label_hash.extend(self.label_at.windows(2).map(|w| {
            let (at, count) = (w[0] as usize, w[1] - w[0]);
            let slots = &self.labels[at..at + MAX_LABELS];
            let mut h = 0u64;
            for (j, &l) in slots.iter().enumerate() {
                let used = if (j as u32) < count { u64::MAX } else { 0 };
                h = h.wrapping_add((l + 1).rotate_left(16 * j as u32) & used);
            }
            h
        }));
        self.ts.clear();
        let mut ts = base_ts;
        self.ts.extend(self.deltas.iter().map(|&d| {
            ts = ts.saturating_add(d);
            ts
        }));
        Ok(())
    }

    /// Groups events `range` by local name index: fills `counts`, `starts`, `grouped` and
    /// `label_sums` for `n_names` names.
    fn group(&mut self, range: std::ops::Range<usize>, n_names: usize) {
        self.counts.clear();
        self.counts.resize(n_names, 0);
        self.label_sums.clear();
        self.label_sums.resize(n_names, 0);
        for i in range.clone() {
            let k = self.name_idx[i] as usize;
            self.counts[k] += 1;
            self.label_sums[k] = self.label_sums[k].wrapping_add(self.label_hash[i]);
        }
        self.starts.clear();
        let mut at = 0u32;
        for &c in &self.counts {
            self.starts.push(at);
            at += c;
        }
        self.starts.push(at);
        self.grouped.clear();
        self.grouped.resize(range.len(), 0.0);
        self.fill.clear();
        self.fill.extend_from_slice(&self.starts);
        for i in range {
            let k = self.name_idx[i] as usize;
            self.grouped[self.fill[k] as usize] = self.values[i];
            self.fill[k] += 1;
        }
    }

    /// The values of local name `k` after [`Decoded::group`].
    fn group_of(&self, k: usize) -> &[f32] {
        &self.grouped[self.starts[k] as usize..self.starts[k + 1] as usize]
    }
}

/// Reduces one group of values with the SIMD kernels (exact: see the model docs).
#[inline]
fn reduce(values: &[f32]) -> (f64, f32, f32) {
    (
        f64::from(simd::sum_f32(values)),
        simd::min_f32(values).unwrap_or(f32::INFINITY),
        simd::max_f32(values).unwrap_or(f32::NEG_INFINITY),
    )
}

/// The end of the run of events from `start` that falls in window `w` (timestamps within a
/// batch never decrease; late events belong to the open window, so the run has at least one).
#[inline]
fn window_end(ts: &[u64], start: usize, w: u64) -> usize {
    let limit = w.saturating_add(1).saturating_mul(crate::model::WINDOW_US);
    start + ts[start..].partition_point(|&t| t < limit).max(1)
}

/// Batch decoding plus SIMD reductions; aggregates found by name through a hash map once per
/// batch and metric, not once per event.
#[derive(Debug, Default)]
struct SimdRow {
    slots: HashMap<String, usize>,
    aggs: Vec<Agg>,
    local: Vec<usize>,
    current: u64,
    dec: Decoded,
    names: Vec<String>,
}

impl SimdRow {
    fn close(&mut self, sink: &mut Sink) {
        for (agg, name) in self.aggs.iter_mut().zip(&self.names) {
            if agg.count > 0 {
                agg.emit(sink, name, self.current);
                agg.clear();
            }
        }
    }
}

impl Variant for SimdRow {
    fn batch(&mut self, payload: &[u8], sink: &mut Sink) -> Result<usize, PayloadError> {
        let mut cur = Cursor::new(payload);
        self.local.clear();
        let head = read_head(&mut cur, |name| {
            let slot = match self.slots.get(name) {
                Some(&slot) => slot,
                None => {
                    let slot = self.aggs.len();
                    self.slots.insert(name.to_string(), slot);
                    self.aggs.push(Agg::new());
                    self.names.push(name.to_string());
                    slot
                }
            };
            self.local.push(slot);
        })?;
        self.dec
            .decode(payload, cur.pos, head.count, head.names, head.base_ts)?;
        let ts = std::mem::take(&mut self.dec.ts);
        let mut start = 0;
        while start < ts.len() {
            let w = window_of(ts[start], self.current);
            if w > self.current {
                self.close(sink);
                self.current = w;
            }
            let end = window_end(&ts, start, w);
            self.dec.group(start..end, head.names);
            for (k, &slot) in self.local.iter().enumerate() {
                let group = self.dec.group_of(k);
                if group.is_empty() {
                    continue;
                }
                let agg = &mut self.aggs[slot];
                let (sum, min, max) = reduce(group);
                agg.count += group.len() as u64;
                agg.sum += sum;
                agg.min = agg.min.min(min);
                agg.max = agg.max.max(max);
                agg.label_sum = agg.label_sum.wrapping_add(self.dec.label_sums[k]);
                agg.hist.extend(group.iter().map(|&v| v as u64));
            }
            start = end;
        }
        self.dec.ts = ts;
        Ok(head.count)
    }

    fn finish(&mut self, sink: &mut Sink) {
        self.close(sink);
    }
}

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
struct PerfkitRow {
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

impl Default for PerfkitRow {
    fn default() -> Self {
        Self {
            interner: Interner::new(),
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
