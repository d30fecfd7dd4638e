//! Shared by the single-pass rows (`fused`, `smallvec`, `arena`): one validation pass that
//! finds the columns, then a walk over the events.

use perfkit::encoding::varint;
use smallvec::SmallVec;

use crate::model::{Cursor, MAX_LABELS, PayloadError, read_head, valid_value};

/// Where each column of a batch starts; produced by [`scan`], which validates every field, so
/// the single-pass rows can aggregate while they read and never meet an error half-way.
#[derive(Debug, Clone, Copy)]
pub(super) struct Columns {
    pub(super) base_ts: u64,
    pub(super) n: usize,
    pub(super) names: usize,
    pub(super) deltas: usize,
    pub(super) values: usize,
    pub(super) counts: usize,
    pub(super) labels: usize,
}

pub(super) fn scan<'a>(
    payload: &'a [u8],
    push: impl FnMut(&'a str),
) -> Result<Columns, PayloadError> {
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
pub(super) fn next_varint(buf: &[u8], pos: &mut usize) -> u64 {
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
pub(super) trait Labels: Default + AsRef<[u32]> {
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
pub(super) fn for_each_event<'a, L: Labels>(
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
