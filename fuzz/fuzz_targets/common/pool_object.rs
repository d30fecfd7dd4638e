//! The pooled object both pool targets use (`pool_ops`, `local_pool_ops`): every object has
//! an id and a canary, and process-wide logs record which objects are alive, which the
//! factory made and which were dropped, so a target can check that each object is dropped
//! exactly once and never corrupted.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use perfkit_memory::pool::Reset;

static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Ids of the objects alive now.
pub static LIVE: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());
/// Ids of the objects the factory made, in order, since last taken.
pub static MADE: Mutex<Vec<u64>> = Mutex::new(Vec::new());
/// Ids of the objects dropped, in order, since last taken.
pub static DROPPED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

pub fn take(log: &Mutex<Vec<u64>>) -> Vec<u64> {
    std::mem::take(&mut *log.lock().unwrap())
}

/// A pooled object: an id, a canary, and data that `reset` clears.
pub struct Obj {
    pub id: u64,
    pub canary: u64,
    pub data: Vec<u8>,
}

impl Obj {
    pub fn new(data: Vec<u8>) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        assert!(LIVE.lock().unwrap().insert(id));
        Self {
            id,
            canary: !id,
            data,
        }
    }
    pub fn made() -> Self {
        let obj = Self::new(Vec::new());
        MADE.lock().unwrap().push(obj.id);
        obj
    }
    pub fn check(&self) {
        assert_eq!(self.canary, !self.id, "object corrupted");
    }
}

impl Reset for Obj {
    fn reset(&mut self) {
        self.check();
        self.data.clear();
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        self.check();
        assert!(
            LIVE.lock().unwrap().remove(&self.id),
            "object {} dropped twice",
            self.id
        );
        DROPPED.lock().unwrap().push(self.id);
    }
}
