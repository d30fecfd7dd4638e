//! The `simd` row: batch varint decoding, events grouped by metric, SIMD sum/min/max per
//! group; aggregates found by name once per batch and metric.

use std::collections::HashMap;

use super::Variant;
use super::columns::{Decoded, reduce, window_end};
use crate::model::{Agg, Cursor, PayloadError, Sink, read_head, window_of};

/// Batch decoding plus SIMD reductions; aggregates found by name through a hash map once per
/// batch and metric, not once per event.
#[derive(Debug, Default)]
pub(super) struct SimdRow {
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
