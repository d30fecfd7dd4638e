use alloc::vec::Vec;
use core::fmt;

/// Errors of [`PackedVec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackedError {
    /// The bit width given to a constructor is not in `1..=64`.
    #[error("bit width {width} is outside 1..=64")]
    InvalidWidth {
        /// The width that was given.
        width: u32,
    },
    /// A value has set bits at or above the vector's width.
    #[error("value {value} does not fit in {width} bits (the largest is {max})")]
    ValueTooWide {
        /// The value that was given.
        value: u64,
        /// The vector's bit width.
        width: u32,
        /// The largest value that fits.
        max: u64,
    },
    /// An index is not below the length.
    #[error("index {index} is out of bounds for a PackedVec of length {len}")]
    IndexOutOfBounds {
        /// The index that was given.
        index: usize,
        /// The vector's length.
        len: usize,
    },
}

/// A vector of unsigned integers stored in exactly `width` bits each (see the
/// [module docs](super)).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PackedVec {
    /// Value `i` occupies bits `i * width .. (i + 1) * width` of the little-endian bit stream
    /// in `words`. Invariants: `words.len() == (len * width).div_ceil(64) + 1` (the extra
    /// word lets every read take two words without a branch), and every bit at or past
    /// `len * width` is zero.
    words: Vec<u64>,
    len: usize,
    width: u32,
    /// `u64::MAX >> (64 - width)`.
    mask: u64,
}

#[inline]
fn words_for(len: usize, width: u32) -> usize {
    (len * width as usize).div_ceil(64) + 1
}

/// The `width`-bit value starting at bit `bit` of `words`, masked with `mask`.
#[inline(always)]
fn read(words: &[u64], bit: usize, mask: u64) -> u64 {
    let k = bit / 64;
    let s = (bit % 64) as u32;
    // `<< 1 << (63 - s)` is `<< (64 - s)` without the undefined shift by 64 when s == 0.
    let lo = words[k] >> s;
    let hi = (words[k + 1] << 1) << (63 - s);
    (lo | hi) & mask
}

/// The widest value [`read_unaligned`] reads with an 8-byte load: a value starts at most 7
/// bits into its first byte, so it must end within the 64 bits of one unaligned word.
const UNALIGNED_MAX_WIDTH: u32 = 57;

/// The widest value [`read_unaligned`] reads with a 4-byte load (7 bits of offset plus the
/// value fit in 32 bits).
const UNALIGNED_U32_MAX_WIDTH: u32 = 25;

/// The value starting at bit `bit` of `words`, masked with `mask`, read with one unaligned
/// load at byte `bit / 8` (little-endian targets; elsewhere the two-word [`read`]): 4 bytes
/// wide when `NARROW` (widths up to [`UNALIGNED_U32_MAX_WIDTH`]), else 8 (widths up to
/// [`UNALIGNED_MAX_WIDTH`]). A random read mostly waits on memory, and a 4-byte load at a
/// random byte crosses a cache line 3 times in 64 where an 8-byte load does 7 times, so the
/// narrow load needs two lines less often.
///
/// # Safety
/// - `bit / 8 + n <= words.len() * 8`, `n` being 4 when `NARROW` and 8 otherwise: the bytes
///   read are inside `words`.
#[inline(always)]
unsafe fn read_unaligned<const NARROW: bool>(words: &[u64], bit: usize, mask: u64) -> u64 {
    debug_assert!(bit / 8 + if NARROW { 4 } else { 8 } <= words.len() * 8);
    #[cfg(target_endian = "little")]
    {
        // On a little-endian target byte `i` of the word array is bits `8 * i..` of the stream.
        let at = words.as_ptr().cast::<u8>().wrapping_add(bit / 8);
        if NARROW {
            // SAFETY: the caller guarantees the 4 bytes at byte `bit / 8` lie inside `words`;
            // `read_unaligned` has no alignment requirement and every bit pattern is a `u32`.
            let x = unsafe { at.cast::<u32>().read_unaligned() };
            // 32-bit shift and mask: the value and its offset fit in the 32 bits read.
            u64::from((x >> (bit % 8)) & mask as u32)
        } else {
            // SAFETY: the caller guarantees the 8 bytes at byte `bit / 8` lie inside `words`;
            // `read_unaligned` has no alignment requirement and every bit pattern is a `u64`.
            let x = unsafe { at.cast::<u64>().read_unaligned() };
            (x >> (bit % 8)) & mask
        }
    }
    #[cfg(not(target_endian = "little"))]
    {
        read(words, bit, mask)
    }
}

/// The panic of the non-`try_` methods: the message of the error the `try_` twin returns.
#[cold]
#[inline(never)]
fn packed_panic(e: PackedError) -> ! {
    panic!("{e}")
}

impl PackedVec {
    /// An empty vector of `width`-bit values.
    ///
    /// # Errors
    /// [`PackedError::InvalidWidth`] unless `1 <= width <= 64`.
    pub fn new(width: u32) -> Result<Self, PackedError> {
        Self::with_capacity(width, 0)
    }

    /// An empty vector of `width`-bit values with room for `capacity` of them.
    ///
    /// # Errors
    /// [`PackedError::InvalidWidth`] unless `1 <= width <= 64`.
    pub fn with_capacity(width: u32, capacity: usize) -> Result<Self, PackedError> {
        if !(1..=64).contains(&width) {
            return Err(PackedError::InvalidWidth { width });
        }
        let mut words = Vec::with_capacity(words_for(capacity, width));
        words.push(0);
        Ok(Self {
            words,
            len: 0,
            width,
            mask: u64::MAX >> (64 - width),
        })
    }

    /// A vector holding `values` in `width` bits each.
    ///
    /// # Errors
    /// [`PackedError::InvalidWidth`] for a bad width, [`PackedError::ValueTooWide`] for the
    /// first value that does not fit.
    pub fn from_slice(width: u32, values: &[u64]) -> Result<Self, PackedError> {
        let mut v = Self::with_capacity(width, values.len())?;
        for &x in values {
            v.try_push(x)?;
        }
        Ok(v)
    }

    /// The number of bits per value.
    #[must_use]
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The largest value that fits (`2^width - 1`).
    #[must_use]
    pub fn max_value(&self) -> u64 {
        self.mask
    }

    /// The number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no values.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of heap memory held (capacity included).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    fn check(&self, value: u64) -> Result<(), PackedError> {
        if value & !self.mask == 0 {
            Ok(())
        } else {
            Err(PackedError::ValueTooWide {
                value,
                width: self.width,
                max: self.mask,
            })
        }
    }

    /// Appends `value`.
    ///
    /// # Panics
    /// If `value` does not fit in the width ([`PackedVec::try_push`] returns an error
    /// instead).
    #[inline]
    pub fn push(&mut self, value: u64) {
        if let Err(e) = self.try_push(value) {
            packed_panic(e)
        }
    }

    /// Appends `value`, or says why it could not.
    ///
    /// # Errors
    /// [`PackedError::ValueTooWide`] if `value` does not fit in the width (nothing is
    /// appended).
    #[inline]
    pub fn try_push(&mut self, value: u64) -> Result<(), PackedError> {
        self.check(value)?;
        let bit = self.len * self.width as usize;
        let need = words_for(self.len + 1, self.width);
        if self.words.len() < need {
            self.words.resize(need, 0);
        }
        let (k, s) = (bit / 64, (bit % 64) as u32);
        self.words[k] |= value << s;
        if s + self.width > 64 {
            self.words[k + 1] |= value >> (64 - s);
        }
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the last value.
    pub fn pop(&mut self) -> Option<u64> {
        let last = self.get(self.len.checked_sub(1)?)?;
        self.truncate(self.len - 1);
        Some(last)
    }

    /// Keeps the first `len` values (nothing happens if `len >= self.len()`).
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let bit = len * self.width as usize;
        let keep = words_for(len, self.width);
        self.words.truncate(keep);
        // Clear the bits past the new end in the last data word (and the spare word).
        let (k, s) = (bit / 64, bit % 64);
        self.words[k] &= if s == 0 { 0 } else { u64::MAX >> (64 - s) };
        self.words[keep - 1] = if keep - 1 == k { self.words[k] } else { 0 };
        self.len = len;
    }

    /// Removes every value (keeps the capacity).
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Value `index`, or `None` if out of bounds.
    #[must_use]
    #[inline]
    pub fn get(&self, index: usize) -> Option<u64> {
        if index >= self.len {
            return None;
        }
        let bit = index * self.width as usize;
        if self.width <= UNALIGNED_U32_MAX_WIDTH {
            // SAFETY: `index < len`, so `bit + width <= len * width`, and `words` holds
            // `(len * width).div_ceil(64) + 1` words: at least `bit / 8 + 8` bytes, more than
            // the `bit / 8 + 4` read.
            Some(unsafe { read_unaligned::<true>(&self.words, bit, self.mask) })
        } else if self.width <= UNALIGNED_MAX_WIDTH {
            // SAFETY: `index < len`, so `bit + width <= len * width`, and `words` holds
            // `(len * width).div_ceil(64) + 1` words: at least `bit / 8 + 8` bytes.
            Some(unsafe { read_unaligned::<false>(&self.words, bit, self.mask) })
        } else {
            Some(read(&self.words, bit, self.mask))
        }
    }

    /// Overwrites value `index`.
    ///
    /// # Panics
    /// If `index` is out of bounds or `value` does not fit in the width
    /// ([`PackedVec::try_set`] returns an error instead).
    #[inline]
    pub fn set(&mut self, index: usize, value: u64) {
        if let Err(e) = self.try_set(index, value) {
            packed_panic(e)
        }
    }

    /// Overwrites value `index`, or says why it could not.
    ///
    /// # Errors
    /// [`PackedError::IndexOutOfBounds`] or [`PackedError::ValueTooWide`]; nothing changes.
    #[inline]
    pub fn try_set(&mut self, index: usize, value: u64) -> Result<(), PackedError> {
        if index >= self.len {
            return Err(PackedError::IndexOutOfBounds {
                index,
                len: self.len,
            });
        }
        self.check(value)?;
        let bit = index * self.width as usize;
        let (k, s) = (bit / 64, (bit % 64) as u32);
        self.words[k] = (self.words[k] & !(self.mask << s)) | (value << s);
        if s + self.width > 64 {
            let r = 64 - s;
            self.words[k + 1] = (self.words[k + 1] & !(self.mask >> r)) | (value >> r);
        }
        Ok(())
    }

    /// The values in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u64> + DoubleEndedIterator + '_ {
        let w = self.width as usize;
        (0..self.len).map(move |i| read(&self.words, i * w, self.mask))
    }

    /// Copies values `start..start + out.len()` (clipped at the end) into `out` and returns
    /// how many were copied (0 when `start >= len`).
    ///
    /// This is the fast way to read many values: runs of 64 values (which span exactly
    /// `width` words) are decoded from a local copy of their words, with no bounds checks
    /// in the inner loop.
    pub fn unpack(&self, start: usize, out: &mut [u64]) -> usize {
        let count = out.len().min(self.len.saturating_sub(start));
        let out = &mut out[..count];
        let w = self.width as usize;
        let mask = self.mask;
        let mut i = start;
        let mut done = 0;
        // Head: single values up to a multiple of 64.
        while done < count && !i.is_multiple_of(64) {
            out[done] = read(&self.words, i * w, mask);
            i += 1;
            done += 1;
        }
        // Body: whole runs of 64 values. Run `r` starts at bit `r * 64 * w`, i.e. at word
        // `r * w`, and its values read words `r * w ..= r * w + w` (the spare word included).
        let runs = (count - done) / 64;
        if runs > 0 {
            let first = i / 64 * w;
            let src = &self.words[first..=first + runs * w];
            unpack_runs(self.width, src, &mut out[done..done + runs * 64]);
            i += runs * 64;
            done += runs * 64;
        }
        // Tail.
        for o in &mut out[done..] {
            *o = read(&self.words, i * w, mask);
            i += 1;
        }
        count
    }
}

/// Decodes `out.len() / 64` whole runs of 64 `width`-bit values from `src` (which starts at
/// a run boundary and holds one word more than the runs span).
///
/// Widths up to 32 get a copy of the loop with the width as a constant, so every shift and
/// mask in the unrolled run is an immediate; wider values share one generic loop.
fn unpack_runs(width: u32, src: &[u64], out: &mut [u64]) {
    macro_rules! by_width {
        ($($w:literal)*) => {
            match width {
                $($w => runs_const::<$w>(src, out),)*
                _ => runs_dyn(width as usize, src, out),
            }
        };
    }
    by_width!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
}

/// One unaligned load, a constant shift and a mask per value (every offset in a run is a
/// constant once the inner loop is unrolled).
#[inline(never)]
fn runs_const<const W: usize>(src: &[u64], out: &mut [u64]) {
    const { assert!(W as u32 <= UNALIGNED_MAX_WIDTH) };
    let mask = u64::MAX >> (64 - W);
    let runs = out.len() / 64;
    assert!(src.len() > runs * W, "unpack_runs: source too short");
    for (r, run) in out.chunks_exact_mut(64).enumerate() {
        let words = &src[r * W..];
        for (j, o) in run.iter_mut().enumerate() {
            // SAFETY: value `j` of the run starts at bit `j * W < 64 * W` of `words`, and
            // `words` holds at least `W + 1` words (`src.len() > runs * W`, `r < runs`), so
            // the 8 bytes at byte `j * W / 8 < 8 * W` are inside it.
            *o = unsafe { read_unaligned::<false>(words, j * W, mask) };
        }
    }
}

fn runs_dyn(w: usize, src: &[u64], out: &mut [u64]) {
    let mask = u64::MAX >> (64 - w);
    let mut block = [0u64; 65];
    for (r, run) in out.chunks_exact_mut(64).enumerate() {
        block[..=w].copy_from_slice(&src[r * w..=r * w + w]);
        for (j, o) in run.iter_mut().enumerate() {
            let bit = j * w;
            let k = (bit / 64) & 63;
            let s = (bit % 64) as u32;
            *o = ((block[k] >> s) | ((block[k + 1] << 1) << (63 - s))) & mask;
        }
    }
}

impl fmt::Debug for PackedVec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PackedVec<{} bits>", self.width)?;
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn every_width_reads_back_through_get_iter_and_unpack() {
        let raw = perfkit_testkit::u64_array(150, 7);
        for width in 1..=64u32 {
            let mask = u64::MAX >> (64 - width);
            let values: Vec<u64> = raw.iter().map(|v| v & mask).collect();
            let p = PackedVec::from_slice(width, &values).unwrap();
            for (i, &v) in values.iter().enumerate() {
                assert_eq!(p.get(i), Some(v), "width {width}, index {i}");
            }
            assert_eq!(p.get(values.len()), None);
            assert!(p.iter().eq(values.iter().copied()), "width {width}");
            // Whole runs of 64 from a run boundary and from inside one.
            for start in [0, 1, 63, 64, 70] {
                let mut out = vec![u64::MAX; values.len()];
                let n = p.unpack(start, &mut out);
                assert_eq!(n, values.len() - start);
                assert_eq!(&out[..n], &values[start..], "width {width}, start {start}");
            }
        }
    }
}
