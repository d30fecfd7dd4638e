//! The data every row shares: the wire format of an event batch, the generator, the frame
//! walker, the per-key aggregate, and the checksummed sink the aggregates are emitted into.
//!
//! # Wire format
//!
//! The input is a byte stream of perfkit frames (`perfkit::encoding::frame`), each of kind
//! [`KIND_EVENTS`] carrying one batch of at most [`MAX_BATCH`] events, column by column:
//!
//! ```text
//! varint  base_ts                 microseconds; event timestamps are base_ts + running deltas
//! varint  n_names                 the batch's name table
//!         n_names × (varint len, len bytes of UTF-8)
//! varint  n_events                at most MAX_BATCH
//!         n_events × varint name  index into the batch's name table
//!         n_events × varint delta microseconds since the previous event (the first: since base_ts)
//!         n_events × f32 LE value a latency in whole microseconds, 0 ≤ value < MAX_VALUE
//!         n_events × u8 n_labels  at most MAX_LABELS
//!         Σ n_labels × varint label id (u32)
//! ```
//!
//! Values are whole numbers below 4096 and batches hold at most 4096 events, so every partial
//! sum any row forms (event by event, or a SIMD kernel's lanes over a group) is exact in `f32`
//! and every total exact in `f64`: the rows can be compared bit for bit. A batch that breaks
//! any rule is rejected whole (no row aggregates part of it) and reported with its offset.
//!
//! # Windows
//!
//! Aggregates are kept per metric name and per window of [`WINDOW_US`]. Windows only move
//! forward: an event whose timestamp falls in an already closed window counts in the open one
//! (late data joins the oldest open window), so exactly one window is open at a time and it is
//! emitted when the first event of a later window arrives.

use std::fmt;

use perfkit::encoding::frame::{self, Frame, Limits};
use perfkit::encoding::{DecodeError, FrameError, varint};
use perfkit::profile::Histogram;
use perfkit_testkit::{Rng, unique_strings};

/// The frame kind of an event batch.
pub const KIND_EVENTS: u8 = 1;
/// The most events one batch may carry.
pub const MAX_BATCH: usize = 4096;
/// The longest metric name, in bytes. Rows that copy a name per event (the naive ones) would
/// otherwise turn one long name, referenced by every event of a batch, into `MAX_BATCH`
/// copies: a payload of 16 MiB asking for 64 GiB.
pub const MAX_NAME_LEN: usize = 255;
/// The most labels one event may carry.
pub const MAX_LABELS: usize = 4;
/// Values are whole microseconds below this.
pub const MAX_VALUE: f32 = 4096.0;
/// Width of an aggregation window in microseconds (1 s).
pub const WINDOW_US: u64 = 1_000_000;
/// Distinct metric names in generated input.
pub const METRICS: usize = 64;
/// Label ids in generated input are below this.
pub const LABEL_IDS: u64 = 1000;
/// Histogram precision used for the p99 column: relative error ≤ 2^-6 (1.6%), 15 KiB per
/// histogram of which values below 4096 touch 2 KiB, so the 64 metrics' histograms stay in
/// L2 (the default precision 7 touches 6 KiB each and spills).
pub const HIST_PRECISION: u32 = 5;

/// What is wrong with a batch's payload, and where (byte offset within the payload).
#[derive(Debug, Clone, PartialEq)]
pub enum PayloadError {
    /// A varint field is malformed or cut short.
    Varint {
        /// Which field.
        field: &'static str,
        /// Offset of the field in the payload.
        offset: usize,
        /// What the decoder said.
        source: DecodeError,
    },
    /// A varint field the byte-at-a-time decoder could not read (cut short, longer than 10
    /// bytes, or over 64 bits).
    Malformed {
        /// Which field.
        field: &'static str,
        /// Offset of the field in the payload.
        offset: usize,
    },
    /// A fixed-size section runs past the end of the payload.
    Truncated {
        /// Which section.
        field: &'static str,
        /// Offset where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
    },
    /// More events than [`MAX_BATCH`].
    TooManyEvents {
        /// The count declared.
        count: u64,
    },
    /// A name table with more entries than [`MAX_BATCH`] (a batch cannot use more names than
    /// it has events).
    TooManyNames {
        /// The count declared.
        count: u64,
    },
    /// A name longer than [`MAX_NAME_LEN`] bytes.
    NameTooLong {
        /// Offset of the name's bytes.
        offset: usize,
        /// Its declared length.
        len: u64,
    },
    /// A name table entry that is not UTF-8.
    NameNotUtf8 {
        /// Offset of the name's bytes.
        offset: usize,
    },
    /// An event's name index is outside the name table.
    NameIndex {
        /// The event's position in the batch.
        event: usize,
        /// The index it gives.
        index: u64,
        /// Names in the table.
        names: usize,
    },
    /// A value that is not a whole number in `0..MAX_VALUE`.
    Value {
        /// The event's position in the batch.
        event: usize,
        /// The value.
        value: f32,
    },
    /// More labels than [`MAX_LABELS`].
    LabelCount {
        /// The event's position in the batch.
        event: usize,
        /// The count.
        count: u8,
    },
    /// A label id above `u32::MAX`.
    LabelId {
        /// Offset of the label's varint.
        offset: usize,
    },
    /// Bytes left over after the last section.
    Trailing {
        /// Offset of the first unused byte.
        offset: usize,
    },
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Varint {
                field,
                offset,
                source,
            } => write!(f, "{field} at payload byte {offset}: {source}"),
            Self::Malformed { field, offset } => {
                write!(f, "{field} at payload byte {offset} is not a valid varint")
            }
            Self::Truncated {
                field,
                offset,
                needed,
            } => write!(
                f,
                "{field} at payload byte {offset} needs {needed} bytes past the end"
            ),
            Self::TooManyEvents { count } => {
                write!(f, "batch declares {count} events, more than {MAX_BATCH}")
            }
            Self::TooManyNames { count } => {
                write!(f, "batch declares {count} names, more than {MAX_BATCH}")
            }
            Self::NameTooLong { offset, len } => write!(
                f,
                "name at payload byte {offset} is {len} bytes long, more than {MAX_NAME_LEN}"
            ),
            Self::NameNotUtf8 { offset } => write!(f, "name at payload byte {offset} is not UTF-8"),
            Self::NameIndex {
                event,
                index,
                names,
            } => write!(
                f,
                "event {event} names entry {index} of a {names}-entry name table"
            ),
            Self::Value { event, value } => write!(
                f,
                "event {event} has value {value}, not a whole number in 0..{MAX_VALUE}"
            ),
            Self::LabelCount { event, count } => {
                write!(
                    f,
                    "event {event} has {count} labels, more than {MAX_LABELS}"
                )
            }
            Self::LabelId { offset } => {
                write!(f, "label id at payload byte {offset} is larger than u32")
            }
            Self::Trailing { offset } => write!(f, "unused bytes from payload byte {offset}"),
        }
    }
}

/// Whether `v` is an acceptable value (a whole number in `0..MAX_VALUE`).
#[inline]
pub fn valid_value(v: f32) -> bool {
    // In range first (NaN is not), then whole: the truncating conversion is exact there.
    (0.0..MAX_VALUE).contains(&v) && (v as u32) as f32 == v
}

/// The label checksum of one event: order-sensitive within the event, summed across events.
#[inline]
pub fn label_hash(labels: &[u32]) -> u64 {
    let mut h = 0u64;
    for (i, &l) in labels.iter().enumerate() {
        h = h.wrapping_add((u64::from(l) + 1).rotate_left(16 * i as u32));
    }
    h
}

/// A cursor over a payload that turns every failure into a [`PayloadError`] naming the field.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    /// The whole payload.
    pub buf: &'a [u8],
    /// The next byte to read.
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Reads one varint with perfkit's decoder.
    #[inline]
    pub fn varint(&mut self, field: &'static str) -> Result<u64, PayloadError> {
        let offset = self.pos;
        match varint::decode_u64(&self.buf[self.pos..]) {
            Ok((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            Err(source) => Err(PayloadError::Varint {
                field,
                offset,
                source,
            }),
        }
    }

    /// Takes `n` bytes.
    #[inline]
    pub fn bytes(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], PayloadError> {
        let offset = self.pos;
        match self.buf.get(offset..).and_then(|rest| rest.get(..n)) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => Err(PayloadError::Truncated {
                field,
                offset,
                needed: n,
            }),
        }
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), PayloadError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(PayloadError::Trailing { offset: self.pos })
        }
    }
}

/// The head of a batch: what [`read_head`] returns.
#[derive(Debug, Clone, Copy)]
pub struct Head {
    /// Timestamp the first delta is relative to.
    pub base_ts: u64,
    /// Entries in the name table.
    pub names: usize,
    /// Events in the batch.
    pub count: usize,
}

/// Reads the batch head, handing each name of the table (borrowed from the payload,
/// validated UTF-8) to `push`, and leaves the cursor at the first column. Shared by every
/// row: a handful of reads per 4096 events.
pub fn read_head<'a>(
    cur: &mut Cursor<'a>,
    mut push: impl FnMut(&'a str),
) -> Result<Head, PayloadError> {
    let base_ts = cur.varint("base timestamp")?;
    let n_names = cur.varint("name count")?;
    if n_names > MAX_BATCH as u64 {
        return Err(PayloadError::TooManyNames { count: n_names });
    }
    let mut names = 0usize;
    for _ in 0..n_names {
        let len = cur.varint("name length")?;
        let offset = cur.pos;
        if len > MAX_NAME_LEN as u64 {
            return Err(PayloadError::NameTooLong { offset, len });
        }
        let len = len as usize;
        let bytes = cur.bytes("name", len)?;
        push(std::str::from_utf8(bytes).map_err(|_| PayloadError::NameNotUtf8 { offset })?);
        names += 1;
    }
    let count = cur.varint("event count")?;
    if count > MAX_BATCH as u64 {
        return Err(PayloadError::TooManyEvents { count });
    }
    Ok(Head {
        base_ts,
        names,
        count: count as usize,
    })
}

/// The window an event at `ts` belongs to, given the open window `current`.
#[inline]
pub fn window_of(ts: u64, current: u64) -> u64 {
    (ts / WINDOW_US).max(current)
}

/// One key's running aggregate (the rows that keep an aggregate per key use this).
#[derive(Debug, Clone)]
pub struct Agg {
    /// Events.
    pub count: u64,
    /// Sum of values (exact: see the module docs).
    pub sum: f64,
    /// Smallest value.
    pub min: f32,
    /// Largest value.
    pub max: f32,
    /// Sum of the events' [`label_hash`]es.
    pub label_sum: u64,
    /// Value distribution, for the p99.
    pub hist: Histogram,
}

impl Agg {
    /// An empty aggregate (allocates its histogram).
    pub fn new() -> Self {
        Self {
            count: 0,
            sum: 0.0,
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
            label_sum: 0,
            hist: Histogram::with_precision(HIST_PRECISION),
        }
    }

    /// Adds one event.
    #[inline]
    pub fn add(&mut self, value: f32, labels: &[u32]) {
        self.count += 1;
        self.sum += f64::from(value);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.label_sum = self.label_sum.wrapping_add(label_hash(labels));
        self.hist.record(value as u64);
    }

    /// Emits this aggregate for `name` in `window`.
    pub fn emit(&self, sink: &mut Sink, name: &str, window: u64) {
        sink.emit(Row {
            name,
            window,
            count: self.count,
            sum: self.sum,
            min: self.min,
            max: self.max,
            p99: self.hist.percentile(99.0).unwrap_or(0),
            label_sum: self.label_sum,
        });
    }

    /// Empties the aggregate for reuse without giving back its memory.
    pub fn clear(&mut self) {
        self.count = 0;
        self.sum = 0.0;
        self.min = f32::INFINITY;
        self.max = f32::NEG_INFINITY;
        self.label_sum = 0;
        self.hist.clear();
    }
}

impl Default for Agg {
    fn default() -> Self {
        Self::new()
    }
}

/// One emitted aggregate.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// Metric name.
    pub name: &'a str,
    /// Window index (timestamp / WINDOW_US).
    pub window: u64,
    /// Events.
    pub count: u64,
    /// Sum of values.
    pub sum: f64,
    /// Smallest value.
    pub min: f32,
    /// Largest value.
    pub max: f32,
    /// 99th percentile (within the histogram's relative error).
    pub p99: u64,
    /// Label checksum.
    pub label_sum: u64,
}

/// Where the aggregates go: folds every row into an order-independent checksum, so rows that
/// emit the same aggregates in a different order agree, and rows that differ in any field of
/// any aggregate do not.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sink {
    /// Aggregates emitted.
    pub rows: u64,
    /// Events covered by them.
    pub events: u64,
    /// Wrapping sum of a strong hash of every row.
    pub checksum: u64,
}

#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Sink {
    /// Emits one aggregate.
    pub fn emit(&mut self, row: Row<'_>) {
        let mut h = 0xCBF2_9CE4_8422_2325u64;
        for &b in row.name.as_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
        for field in [
            row.window,
            row.count,
            row.sum.to_bits(),
            u64::from(row.min.to_bits()),
            u64::from(row.max.to_bits()),
            row.p99,
            row.label_sum,
        ] {
            h = mix(h ^ field);
        }
        self.rows += 1;
        self.events += row.count;
        self.checksum = self.checksum.wrapping_add(h);
    }
}

/// A problem found while walking the input: a frame that could not be used, or a batch whose
/// payload is malformed. `offset` is the byte offset in the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The frame layer rejected the bytes at `offset` (bad magic, version, length, CRC, or a
    /// truncated last frame); the walker skipped to the next frame magic.
    Frame {
        /// Input offset.
        offset: usize,
        /// What was wrong.
        error: FrameError,
    },
    /// A frame of an unknown kind.
    Kind {
        /// Input offset.
        offset: usize,
        /// The kind.
        kind: u8,
    },
    /// A batch's payload is malformed.
    Payload {
        /// Input offset of the frame.
        offset: usize,
        /// What was wrong.
        error: PayloadError,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame { offset, error } => write!(f, "byte {offset}: skipped: {error}"),
            Self::Kind { offset, kind } => {
                write!(f, "byte {offset}: skipped frame of unknown kind {kind}")
            }
            Self::Payload { offset, error } => {
                write!(f, "byte {offset}: skipped batch: {error}")
            }
        }
    }
}

const MAGIC_BYTES: [u8; 4] = frame::MAGIC.to_be_bytes();

/// Walks the frames of an in-memory input, skipping (and describing) whatever is not a valid
/// frame: after a bad frame it resynchronises on the next frame magic.
#[derive(Debug)]
pub struct Walker<'a> {
    input: &'a [u8],
    pos: usize,
    limits: Limits,
}

impl<'a> Walker<'a> {
    /// A walker at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            pos: 0,
            limits: Limits::default(),
        }
    }
}

impl<'a> Iterator for Walker<'a> {
    /// A good event frame (its input offset and payload), or a problem.
    type Item = Result<(usize, &'a [u8]), Problem>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.input.len() {
            return None;
        }
        let offset = self.pos;
        match frame::parse(&self.input[offset..], &self.limits) {
            Ok((Frame { header, payload }, used)) => {
                self.pos += used;
                if header.kind == KIND_EVENTS {
                    Some(Ok((offset, payload)))
                } else {
                    Some(Err(Problem::Kind {
                        offset,
                        kind: header.kind,
                    }))
                }
            }
            Err(error) => {
                self.pos = self.input[offset + 1..]
                    .windows(4)
                    .position(|w| w == MAGIC_BYTES)
                    .map_or(self.input.len(), |p| offset + 1 + p);
                Some(Err(Problem::Frame { offset, error }))
            }
        }
    }
}

/// One generated event, before encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct GenEvent {
    /// Index into the global name list.
    pub metric: usize,
    /// Microseconds since the previous event.
    pub delta: u64,
    /// Whole microseconds below [`MAX_VALUE`].
    pub value: f32,
    /// Up to [`MAX_LABELS`] label ids.
    pub labels: Vec<u32>,
}

/// Encodes one batch payload (see the module docs) into `out` (cleared first).
pub fn encode_batch(out: &mut Vec<u8>, base_ts: u64, names: &[String], events: &[GenEvent]) {
    out.clear();
    // The batch's name table holds the names it uses, in order of first use.
    let mut local = vec![u32::MAX; names.len()];
    let mut table: Vec<usize> = Vec::new();
    for e in events {
        if local[e.metric] == u32::MAX {
            local[e.metric] = table.len() as u32;
            table.push(e.metric);
        }
    }
    varint::encode_u64_to(base_ts, out);
    varint::encode_u64_to(table.len() as u64, out);
    for &m in &table {
        varint::encode_u64_to(names[m].len() as u64, out);
        out.extend_from_slice(names[m].as_bytes());
    }
    varint::encode_u64_to(events.len() as u64, out);
    for e in events {
        varint::encode_u64_to(u64::from(local[e.metric]), out);
    }
    for e in events {
        varint::encode_u64_to(e.delta, out);
    }
    for e in events {
        out.extend_from_slice(&e.value.to_le_bytes());
    }
    for e in events {
        out.push(e.labels.len() as u8);
    }
    for e in events {
        for &l in &e.labels {
            varint::encode_u64_to(u64::from(l), out);
        }
    }
}

/// Deterministic input: `events` events in batches of [`MAX_BATCH`], as a frame stream.
///
/// Metric names are 64 testkit strings; deltas are uniform in `0..max_delta` µs (the table
/// uses 4: about 2.7 million events per one-second window); values are skewed latencies
/// (whole µs, below 4096); each event has 0–4 labels below 1000.
pub fn generate(events: usize, seed: u64, max_delta: u64) -> Vec<u8> {
    generate_with_names(events, seed, max_delta, &unique_strings(METRICS, seed))
}

/// [`generate`] with each event's metric drawn uniformly from `names` (non-empty).
pub fn generate_with_names(events: usize, seed: u64, max_delta: u64, names: &[String]) -> Vec<u8> {
    let mut rng = Rng::new(seed ^ 0xE7E7);
    let mut out = Vec::with_capacity(events * 12 + 64);
    let mut payload = Vec::new();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut ts = 0u64;
    let mut left = events;
    while left > 0 {
        let n = left.min(MAX_BATCH);
        left -= n;
        let base_ts = ts;
        batch.clear();
        for _ in 0..n {
            let delta = rng.below(max_delta);
            ts += delta;
            let labels = (0..rng.below(MAX_LABELS as u64 + 1))
                .map(|_| rng.below(LABEL_IDS) as u32)
                .collect();
            let value = (rng.below(64) * rng.below(64) + rng.below(16)) as f32;
            batch.push(GenEvent {
                metric: rng.below(names.len() as u64) as usize,
                delta,
                value,
                labels,
            });
        }
        encode_batch(&mut payload, base_ts, names, &batch);
        frame::write(&mut out, KIND_EVENTS, 0, &payload).expect("a batch is far below the limit");
    }
    out
}

/// The seed the crafted names of [`colliding_names`] attack: an interner hashing with
/// `SeededHash::with_seed(CRAFTED_SEED)` is what an attacker who knows a fixed seed faces.
pub const CRAFTED_SEED: u64 = 0;

/// `n` distinct metric names of 8–24 ASCII characters (as [`unique_strings`] makes them)
/// crafted, the way a hash-flooding attacker would, to share one home group of an interner
/// hashing with `SeededHash::with_seed(CRAFTED_SEED)`: the low 32 bits of each hash are below
/// 2^22, which puts it in group 0 of every table of up to 1024 groups (12,288 slots). Each
/// name costs about 1024 hash evaluations to find.
pub fn colliding_names(n: usize, seed: u64) -> Vec<String> {
    use std::hash::{BuildHasher, Hasher};
    let known = perfkit::layout::strings::SeededHash::with_seed(CRAFTED_SEED);
    let mut rng = Rng::new(seed ^ 0xC011);
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    let mut s = String::new();
    while out.len() < n {
        s.clear();
        let len = rng.range(8, 25) as usize;
        s.extend((0..len).map(|_| char::from(b'a' + rng.below(26) as u8)));
        let mut h = known.build_hasher();
        h.write(s.as_bytes());
        if (h.finish() as u32) < 1 << 22 && seen.insert(s.clone()) {
            out.push(s.clone());
        }
    }
    out
}
