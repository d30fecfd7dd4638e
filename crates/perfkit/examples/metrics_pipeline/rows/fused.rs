//! The `fused` and `smallvec` rows: one pass from bytes to aggregates, labels in a `Vec` or a
//! `SmallVec`.

use std::collections::HashMap;

use super::Variant;
use super::single_pass::{Labels, for_each_event, scan};
use crate::model::{Agg, PayloadError, Sink, window_of};

/// One pass from bytes to aggregates; labels collected in `L`.
#[derive(Debug, Default)]
pub(super) struct Fused<L> {
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
