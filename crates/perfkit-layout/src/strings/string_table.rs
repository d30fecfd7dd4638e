//! [`StringTable`]: strings appended to one buffer and addressed by index (no hashing, no
//! deduplication: the [`Interner`](super::Interner) does that).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::StringsError;

/// An append-only list of strings in one buffer, addressed by position (see the
/// [module docs](super)).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StringTable {
    /// Every string, back to back.
    buf: String,
    /// `offsets[i]..offsets[i + 1]` is string `i` in `buf`. Invariants: starts with 0, is
    /// non-decreasing, ends with `buf.len()`, and every offset is a char boundary.
    offsets: Vec<u32>,
}

impl Default for StringTable {
    fn default() -> Self {
        Self::new()
    }
}

impl StringTable {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(0, 0)
    }

    /// An empty table with room for `strings` strings of `bytes` bytes in total.
    #[must_use]
    pub fn with_capacity(strings: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(strings + 1);
        offsets.push(0);
        Self {
            buf: String::with_capacity(bytes),
            offsets,
        }
    }

    /// Appends `s` and returns its position.
    ///
    /// # Panics
    /// If the buffer would pass 4 GiB ([`StringTable::try_push`] returns an error instead).
    pub fn push(&mut self, s: &str) -> usize {
        match self.try_push(s) {
            Ok(i) => i,
            Err(e) => super::too_large(e),
        }
    }

    /// Appends `s` and returns its position, or says why it could not.
    ///
    /// # Errors
    /// [`StringsError::TooLarge`] if the buffer would pass 4 GiB (nothing is appended).
    pub fn try_push(&mut self, s: &str) -> Result<usize, StringsError> {
        let end = u32::try_from(self.buf.len() + s.len()).map_err(|_| StringsError::TooLarge {
            stored: self.buf.len(),
            given: s.len(),
        })?;
        self.buf.push_str(s);
        self.offsets.push(end);
        Ok(self.offsets.len() - 2)
    }

    /// String `index`, or `None` if out of bounds.
    #[must_use]
    #[inline]
    pub fn get(&self, index: usize) -> Option<&str> {
        // `index + 1 < offsets.len()` implies `index` is in bounds too: one check.
        let end = *self.offsets.get(index.checked_add(1)?)? as usize;
        let start = self.offsets[index] as usize;
        debug_assert!(start <= end && end <= self.buf.len());
        // SAFETY: by the invariants on `offsets`, consecutive offsets are non-decreasing char
        // boundaries of `buf` no greater than `buf.len()`: the bytes between them are exactly
        // the string pushed as number `index`.
        Some(unsafe { self.buf.get_unchecked(start..end) })
    }

    /// The number of strings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when the table holds no strings.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The total length of the strings in bytes.
    #[must_use]
    pub fn total_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Bytes of heap memory held (capacity included).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.offsets.capacity() * 4
    }

    /// Releases unused capacity.
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
        self.offsets.shrink_to_fit();
    }

    /// The strings in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator + '_ {
        self.offsets.windows(2).map(|w| {
            self.buf
                .get(w[0] as usize..w[1] as usize)
                .unwrap_or_default()
        })
    }
}

impl fmt::Debug for StringTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_returns_each_pushed_string_and_none_past_the_end() {
        let words = ["", "a", "é", "ünïcödé", "", "tail 🦀"];
        let mut t = StringTable::new();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.try_push(w), Ok(i));
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.get(i), Some(*w));
        }
        for past in [words.len(), words.len() + 1, usize::MAX - 1, usize::MAX] {
            assert_eq!(t.get(past), None);
        }
        assert_eq!(StringTable::new().get(0), None);
    }
}
