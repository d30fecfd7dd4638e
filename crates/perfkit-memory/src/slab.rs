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

enum Slot<T> {
    Occupied {
        generation: u32,
        value: T,
    },
    /// `next_free` links the free list (`NONE` ends it). A slot whose generation reached
    /// `u32::MAX` is retired: it stays vacant and off the list, so no handle is ever reused.
    Vacant {
        generation: u32,
        next_free: u32,
    },
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
            let Slot::Vacant {
                generation,
                next_free,
            } = *slot
            else {
                unreachable!("the free list links only vacant slots")
            };
            self.free_head = next_free;
            *slot = Slot::Occupied { generation, value };
            self.len += 1;
            return Handle {
                index: head,
                generation,
                _marker: PhantomData,
            };
        }
        self.push_slot(value)
    }

    fn push_slot(&mut self, value: T) -> Handle<T> {
        let index = u32::try_from(self.slots.len())
            .ok()
            .filter(|&i| i < NONE)
            .unwrap_or_else(|| panic!("slab is full: it cannot hold more than {NONE} slots"));
        self.slots.push(Slot::Occupied {
            generation: 0,
            value,
        });
        self.len += 1;
        Handle {
            index,
            generation: 0,
            _marker: PhantomData,
        }
    }

    /// The value behind `handle`, or `None` if it was removed (even if its slot was reused).
    #[inline]
    #[must_use]
    pub fn get(&self, handle: Handle<T>) -> Option<&T> {
        match self.slots.get(handle.index as usize) {
            Some(Slot::Occupied { generation, value }) if *generation == handle.generation => {
                Some(value)
            }
            _ => None,
        }
    }

    /// The value behind `handle`, mutably, or `None` if it was removed.
    #[inline]
    #[must_use]
    pub fn get_mut(&mut self, handle: Handle<T>) -> Option<&mut T> {
        match self.slots.get_mut(handle.index as usize) {
            Some(Slot::Occupied { generation, value }) if *generation == handle.generation => {
                Some(value)
            }
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
        match slot {
            Slot::Occupied { generation, .. } if *generation == handle.generation => {}
            _ => return None,
        }
        let generation = handle.generation.wrapping_add(1);
        let retired = generation == u32::MAX;
        let vacant = Slot::Vacant {
            generation,
            next_free: if retired { NONE } else { self.free_head },
        };
        let Slot::Occupied { value, .. } = std::mem::replace(slot, vacant) else {
            unreachable!("checked occupied above")
        };
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
            let handle = match &mut self.slots[index] {
                Slot::Occupied { generation, value } => {
                    let h = Handle {
                        index: index as u32,
                        generation: *generation,
                        _marker: PhantomData,
                    };
                    if keep(h, value) {
                        continue;
                    }
                    h
                }
                Slot::Vacant { .. } => continue,
            };
            self.remove(handle);
        }
    }

    /// Every (handle, value) pair, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match slot {
                Slot::Occupied { generation, value } => Some((
                    Handle {
                        index: i as u32,
                        generation: *generation,
                        _marker: PhantomData,
                    },
                    value,
                )),
                Slot::Vacant { .. } => None,
            })
    }

    /// Every (handle, value) pair, values mutable, in slot order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Handle<T>, &mut T)> + '_ {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(i, slot)| match slot {
                Slot::Occupied { generation, value } => Some((
                    Handle {
                        index: i as u32,
                        generation: *generation,
                        _marker: PhantomData,
                    },
                    value,
                )),
                Slot::Vacant { .. } => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_retire_at_the_top() {
        let mut slab = Slab::new();
        let h = slab.insert(1);
        // Force the slot to the last usable generation.
        slab.slots[0] = Slot::Occupied {
            generation: u32::MAX - 1,
            value: 7,
        };
        let top = Handle::<i32>::from_bits(u64::from(u32::MAX - 1) << 32);
        assert_eq!(slab.remove(top), Some(7));
        // The slot is retired, so the next insert takes a new slot.
        let next = slab.insert(8);
        assert_eq!(next.index(), 1);
        assert_eq!(slab.get(h), None);
        assert_eq!(slab.len(), 1);
    }
}
