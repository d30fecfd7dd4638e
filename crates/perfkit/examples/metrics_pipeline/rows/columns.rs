//! Shared by the `simd` and `perfkit` rows: whole columns decoded at once, events grouped by
//! metric, each group reduced with perfkit's kernels.

use perfkit::{encoding::varint, simd};

use crate::model::{Cursor, MAX_LABELS, PayloadError, valid_value};

/// Decoded columns of one batch, in buffers reused from batch to batch.
#[derive(Debug, Default)]
pub(super) struct Decoded {
    pub(super) name_idx: Vec<u64>,
    pub(super) deltas: Vec<u64>,
    pub(super) labels: Vec<u64>,
    pub(super) values: Vec<f32>,
    /// Timestamps (base + running deltas).
    pub(super) ts: Vec<u64>,
    /// Start of each event's labels in `labels` (n + 1 entries).
    pub(super) label_at: Vec<u32>,
    /// Each event's label checksum ([`label_hash_iter`] of its labels).
    pub(super) label_hash: Vec<u64>,
    /// Values grouped by local name index (counting sort).
    pub(super) grouped: Vec<f32>,
    /// Events per local name index, then group starts.
    pub(super) counts: Vec<u32>,
    pub(super) starts: Vec<u32>,
    /// Next free position of each group while scattering.
    pub(super) fill: Vec<u32>,
    /// Label checksum per local name index.
    pub(super) label_sums: Vec<u64>,
}

impl Decoded {
    /// Batch-decodes every column of the payload after its head, validating as it goes.
    pub(super) fn decode(
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
    pub(super) fn group(&mut self, range: std::ops::Range<usize>, n_names: usize) {
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
    pub(super) fn group_of(&self, k: usize) -> &[f32] {
        &self.grouped[self.starts[k] as usize..self.starts[k + 1] as usize]
    }
}

/// Reduces one group of values with the SIMD kernels (exact: see the model docs).
#[inline]
pub(super) fn reduce(values: &[f32]) -> (f64, f32, f32) {
    (
        f64::from(simd::sum_f32(values)),
        simd::min_f32(values).unwrap_or(f32::INFINITY),
        simd::max_f32(values).unwrap_or(f32::NEG_INFINITY),
    )
}

/// The end of the run of events from `start` that falls in window `w` (timestamps within a
/// batch never decrease; late events belong to the open window, so the run has at least one).
#[inline]
pub(super) fn window_end(ts: &[u64], start: usize, w: u64) -> usize {
    let limit = w.saturating_add(1).saturating_mul(crate::model::WINDOW_US);
    start + ts[start..].partition_point(|&t| t < limit).max(1)
}
