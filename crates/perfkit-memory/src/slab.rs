//! A slab: values in one `Vec` of fixed-size slots, addressed by generational handles.
//!
//! Why: graphs, entity tables and connection maps need stable ids for values that come and go.
//! A `HashMap<u64, T>` hashes on every access; a `Vec<Option<T>>` with reused indices lets an
//! old id silently reach a new value. A slab reuses freed slots through a free list (no
//! allocation in the steady state) and stamps each slot with a generation, so a [`Handle`] to
//! a removed value returns `None` — never the value that took its slot.
//!
//! ```
//! use perfkit_memory::slab::Slab;
//!
//! let mut slab = Slab::new();
//! let a = slab.insert("alpha");
//! let b = slab.insert("beta");
//! assert_eq!(slab.get(a), Some(&"alpha"));
//! assert_eq!(slab.remove(a), Some("alpha"));
//! let c = slab.insert("gamma"); // reuses a's slot...
//! assert_eq!(slab.get(a), None); // ...but a's handle is stale
//! assert_eq!(slab.get(c), Some(&"gamma"));
//! assert_eq!(slab.len(), 2);
//! # let _ = b;
//! ```

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;

/// The id of a value in a [`Slab<T>`]: slot index and the slot's generation when the value
/// went in. Copyable, hashable, 8 bytes.
pub struct Handle<T> {
    index: u32,
    generation: u32,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    /// The slot index (stable while the value lives; reused after it is removed).
    #[must_use]
    pub fn index(self) -> u32 {
        self.index
    }

    /// The slot's generation when the value was inserted.
    #[must_use]
    pub fn generation(self) -> u32 {
        self.generation
    }

    /// The handle as one `u64` (generation in the high half), e.g. to store it outside Rust.
    #[must_use]
    pub fn to_bits(self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.index)
    }

    /// The handle back from [`Handle::to_bits`]. Any `u64` is accepted: a made-up handle
    /// just finds nothing.
    #[must_use]
    pub fn from_bits(bits: u64) -> Self {
        Self {
            index: bits as u32,
            generation: (bits >> 32) as u32,
            _marker: PhantomData,
        }
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Handle<T> {}
impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index && self.generation == other.generation
    }
}
impl<T> Eq for Handle<T> {}
impl<T> Hash for Handle<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_bits().hash(state);
    }
}
impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({}v{})", self.index, self.generation)
    }
}

/// No next free slot.
const NONE: u32 = u32::MAX;

/// A slot's payload: the value while occupied, the next free slot while vacant.
union Payload<T> {
    value: ManuallyDrop<T>,
    next_free: u32,
}

/// One slot. Invariant: `version` is odd exactly when the slot is occupied, and then
/// `payload.value` is initialised; when even, `payload.next_free` is (linking the free list,
/// `NONE` ending it). Handles carry odd versions only, so one comparison of versions proves a
/// handle's value is there. A slot whose version wraps to 0 is retired: it stays vacant and
/// off the free list, so no handle is ever reused.
struct Slot<T> {
    version: u32,
    payload: Payload<T>,
}

impl<T> Slot<T> {
    #[inline(always)]
    fn occupied(&self) -> bool {
        self.version & 1 == 1
    }

    /// The value, if occupied.
    #[inline(always)]
    fn value(&self) -> Option<&T> {
        // SAFETY: `Slot` invariant: an odd version means `payload.value` is initialised.
        self.occupied().then(|| unsafe { &*self.payload.value })
    }

    #[inline(always)]
    fn value_mut(&mut self) -> Option<&mut T> {
        // SAFETY: as in `value`.
        self.occupied().then(|| unsafe { &mut *self.payload.value })
    }
}

impl<T> Drop for Slot<T> {
    fn drop(&mut self) {
        if self.occupied() {
            // SAFETY: `Slot` invariant: the value is initialised, and it is dropped only here,
            // once, as the slot goes away.
            unsafe { ManuallyDrop::drop(&mut self.payload.value) }
        }
    }
}

/// Values addressed by [`Handle`]s, in a `Vec` of slots with a free list.
///
/// `insert`, `get`, `get_mut` and `remove` are O(1) and do not allocate once the slab has
/// grown to its working size.
pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// Head of the free list of vacant slots (`NONE` when empty).
    free_head: u32,
    /// Number of occupied slots.
    len: usize,
}

impl<T: fmt::Debug> fmt::Debug for Slab<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Slab<T> {
    /// An empty slab.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            slots: Vec::new(),
            free_head: NONE,
            len: 0,
        }
    }

    /// An empty slab with room for `capacity` values before it reallocates.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            slots: Vec::with_capacity(capacity),
            free_head: NONE,
            len: 0,
        }
    }

    /// Number of values in the slab.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the slab holds no value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots allocated (occupied, free or retired).
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Adds `value` and returns its handle.
    ///
    /// # Panics
    ///
    /// When the slab would need more than `u32::MAX - 1` slots.
    #[inline]
    pub fn insert(&mut self, value: T) -> Handle<T> {
        let head = self.free_head;
        if let Some(slot) = self.slots.get_mut(head as usize) {
            debug_assert!(!slot.occupied(), "the free list links only vacant slots");
            // SAFETY: `Slot` invariant: a vacant slot's `next_free` is initialised.
            self.free_head = unsafe { slot.payload.next_free };
            let version = slot.version | 1;
            slot.payload = Payload {
                value: ManuallyDrop::new(value),
            };
            slot.version = version;
            self.len += 1;
            return Handle {
                index: head,
                generation: version,
                _marker: PhantomData,
            };
        }
        self.push_slot(value)
    }

    #[cold]
    fn push_slot(&mut self, value: T) -> Handle<T> {
        let index = u32::try_from(self.slots.len())
            .ok()
            .filter(|&i| i < NONE)
            .unwrap_or_else(|| panic!("slab is full: it cannot hold more than {NONE} slots"));
        self.slots.push(Slot {
            version: 1,
            payload: Payload {
                value: ManuallyDrop::new(value),
            },
        });
        self.len += 1;
        Handle {
            index,
            generation: 1,
            _marker: PhantomData,
        }
    }

    /// The value behind `handle`, or `None` if it was removed (even if its slot was reused).
    #[inline]
    #[must_use]
    pub fn get(&self, handle: Handle<T>) -> Option<&T> {
        match self.slots.get(handle.index as usize) {
            // Handles carry odd versions, so equal versions mean the slot is occupied.
            Some(slot) if slot.version == handle.generation => slot.value(),
            _ => None,
        }
    }

    /// The value behind `handle`, mutably, or `None` if it was removed.
    #[inline]
    #[must_use]
    pub fn get_mut(&mut self, handle: Handle<T>) -> Option<&mut T> {
        match self.slots.get_mut(handle.index as usize) {
            Some(slot) if slot.version == handle.generation => slot.value_mut(),
            _ => None,
        }
    }

    /// Whether `handle` still names a value.
    #[inline]
    #[must_use]
    pub fn contains(&self, handle: Handle<T>) -> bool {
        self.get(handle).is_some()
    }

    /// Removes and returns the value behind `handle`, or `None` if it was already removed.
    #[inline]
    pub fn remove(&mut self, handle: Handle<T>) -> Option<T> {
        let slot = self.slots.get_mut(handle.index as usize)?;
        if slot.version != handle.generation || !slot.occupied() {
            return None;
        }
        // An even version marks the slot vacant; 0 (after wrapping) retires it.
        let version = slot.version.wrapping_add(1);
        let retired = version == 0;
        // SAFETY: the slot is occupied (odd version), so `payload.value` is initialised; it is
        // read out once and the slot is marked vacant right after, so it is never read or
        // dropped again.
        let value = unsafe { ManuallyDrop::take(&mut slot.payload.value) };
        slot.payload = Payload {
            next_free: if retired { NONE } else { self.free_head },
        };
        slot.version = version;
        if !retired {
            self.free_head = handle.index;
        }
        self.len -= 1;
        Some(value)
    }

    /// Removes every value. Every handle given out so far becomes stale.
    pub fn clear(&mut self) {
        self.retain(|_, _| false);
    }

    /// Keeps the values for which `keep` returns `true`; removes the others.
    pub fn retain(&mut self, mut keep: impl FnMut(Handle<T>, &mut T) -> bool) {
        for index in 0..self.slots.len() {
            let slot = &mut self.slots[index];
            let handle = Handle {
                index: index as u32,
                generation: slot.version,
                _marker: PhantomData,
            };
            let Some(value) = slot.value_mut() else {
                continue;
            };
            if !keep(handle, value) {
                self.remove(handle);
            }
        }
    }

    /// Every (handle, value) pair, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, slot)| {
            let handle = Handle {
                index: i as u32,
                generation: slot.version,
                _marker: PhantomData,
            };
            slot.value().map(|v| (handle, v))
        })
    }

    /// Every (handle, value) pair, values mutable, in slot order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Handle<T>, &mut T)> + '_ {
        self.slots.iter_mut().enumerate().filter_map(|(i, slot)| {
            let handle = Handle {
                index: i as u32,
                generation: slot.version,
                _marker: PhantomData,
            };
            slot.value_mut().map(|v| (handle, v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_retire_when_they_wrap() {
        let mut slab = Slab::new();
        let h = slab.insert(1);
        // Force the slot to the last occupied version.
        slab.slots[0].version = u32::MAX;
        let top = Handle::<i32>::from_bits(u64::from(u32::MAX) << 32);
        assert_eq!(slab.remove(top), Some(1));
        // The slot is retired, so the next insert takes a new slot.
        let next = slab.insert(8);
        assert_eq!(next.index(), 1);
        assert_eq!(slab.get(h), None);
        assert_eq!(slab.get(top), None);
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn values_are_dropped_once() {
        use std::rc::Rc;
        let counter = Rc::new(());
        let mut slab = Slab::new();
        let hs: Vec<_> = (0..10).map(|_| slab.insert(Rc::clone(&counter))).collect();
        for h in &hs[..5] {
            drop(slab.remove(*h));
        }
        assert_eq!(Rc::strong_count(&counter), 6);
        drop(slab);
        assert_eq!(Rc::strong_count(&counter), 1);
    }
}
