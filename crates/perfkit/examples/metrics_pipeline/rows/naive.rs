//! The `naive` row: owned `String` names and `Vec` labels per event, a `Vec` per stage,
//! `(String, window)` hash keys, byte-at-a-time varints.

use std::collections::HashMap;

use super::Variant;
use crate::model::{Agg, Cursor, MAX_LABELS, PayloadError, Sink, read_head, valid_value};

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
pub(super) struct Naive {
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
