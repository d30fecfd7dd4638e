//! The `arena` row: mimalloc, per-batch scratch in a frame arena, names borrowed from the
//! payload, aggregates reused across windows.

use std::collections::HashMap;

use perfkit::memory::arena;
use smallvec::SmallVec;

use super::Variant;
use super::single_pass::{for_each_event, scan};
use crate::model::{Agg, MAX_LABELS, PayloadError, Sink, window_of};

/// No allocation per event: the batch's scratch lives in a frame arena, names are borrowed
/// from the payload, aggregates are looked up by `&str` and cleared (not freed) when their
/// window closes.
#[derive(Debug, Default)]
pub(super) struct ArenaRow {
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
