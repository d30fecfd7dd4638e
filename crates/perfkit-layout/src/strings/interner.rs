use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::num::NonZeroU32;

use super::StringsError;
use super::hash::{hash, middle_words};

/// A handle to a string in an [`Interner`] (or the [`Resolver`] frozen from it).
///
/// It is the byte offset of the string's entry in the interner's buffer, so resolving it is
/// one memory access, and `Option<Symbol>` is 4 bytes. Symbols are not dense: use them as
/// keys, not as indices. A symbol from another interner never causes undefined behaviour;
/// it resolves to some other string or to nothing.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Symbol(NonZeroU32);

impl Symbol {
    /// The raw value (stable for the life of the interner; fits in a `u32`).
    #[must_use]
    #[inline]
    pub const fn as_u32(self) -> u32 {
        self.0.get()
    }

    /// The symbol with raw value `raw`, as returned by [`Symbol::as_u32`]; `None` for 0.
    #[must_use]
    #[inline]
    pub const fn from_u32(raw: u32) -> Option<Self> {
        match NonZeroU32::new(raw) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    #[inline]
    fn from_offset(offset: usize) -> Option<Self> {
        u32::try_from(offset).ok().and_then(Self::from_u32)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.0)
    }
}

// ---- entries: a length header, then the bytes ----
//
// The header stores the length 6 bits per byte, least significant first, with 0x40 set on
// every byte but the last. Header bytes are below 0x80, so they are ASCII and the whole
// buffer stays valid UTF-8: resolving is a checked `str::get`, no unsafe code and no UTF-8
// validation. Strings shorter than 64 bytes take a one-byte header.

const MORE: u8 = 0x40;
const MAX_HEADER: usize = 6;

/// Writes the header for a string of `len` bytes; returns its length.
#[inline]
fn encode_header(mut len: usize, out: &mut [u8; MAX_HEADER]) -> usize {
    let mut n = 0;
    loop {
        let low = (len & 0x3F) as u8;
        len >>= 6;
        if len == 0 {
            out[n] = low;
            return n + 1;
        }
        out[n] = low | MORE;
        n += 1;
    }
}

/// The string whose entry starts at `off`, if `off` starts a well-formed entry.
#[inline]
fn entry_at(buf: &str, off: usize) -> Option<(&str, usize)> {
    let bytes = buf.as_bytes();
    let b0 = *bytes.get(off)?;
    if b0 < MORE {
        let start = off + 1;
        let end = start + b0 as usize;
        return Some((buf.get(start..end)?, end));
    }
    entry_at_long(buf, off)
}

#[cold]
fn entry_at_long(buf: &str, off: usize) -> Option<(&str, usize)> {
    let bytes = buf.as_bytes();
    let mut len = 0usize;
    for i in 0..MAX_HEADER {
        let b = *bytes.get(off + i)?;
        if b >= 0x80 {
            return None;
        }
        len |= usize::from(b & 0x3F) << (6 * i);
        if b & MORE == 0 {
            let start = off + i + 1;
            let end = start.checked_add(len)?;
            return Some((buf.get(start..end)?, end));
        }
    }
    None
}

#[cold]
#[inline(never)]
fn foreign_symbol(sym: Symbol) -> ! {
    panic!("{sym:?} does not belong to this interner")
}

/// The string of `sym` in the entry buffer `buf`, or `None`.
///
/// This is `entry_at` for the one-byte header (every string under 64 bytes) with the
/// checks cut to what a forged symbol needs: the header byte is below `0x40`, so it is a
/// whole ASCII character and the string's first byte is a character boundary; only the end
/// is left to check, and `str::is_char_boundary` does that with one byte load (and the
/// bounds check). The bytes between two character boundaries of a `str` are valid UTF-8,
/// whatever the symbol pointed at.
#[inline(always)]
fn try_resolve_in(buf: &str, sym: Symbol) -> Option<&str> {
    let off = sym.as_u32() as usize;
    let b0 = *buf.as_bytes().get(off)?;
    if b0 >= MORE {
        return entry_at_long(buf, off).map(|(s, _)| s);
    }
    let start = off + 1;
    let end = start + usize::from(b0);
    if !buf.is_char_boundary(end) {
        return None;
    }
    // SAFETY: `off < buf.len()` (the `get` above) and `buf[off]` is ASCII (below 0x40), so
    // `start = off + 1` is a character boundary no greater than `buf.len()`; `end >= start`
    // and `is_char_boundary(end)` held, which also means `end <= buf.len()`.
    Some(unsafe { buf.get_unchecked(start..end) })
}

/// The string of `sym` in the entry buffer `buf`; panics for a symbol that does not resolve.
#[inline]
fn resolve_in(buf: &str, sym: Symbol) -> &str {
    match try_resolve_in(buf, sym) {
        Some(s) => s,
        None => foreign_symbol(sym),
    }
}

// ---- the table: SwissTable-style groups of 8 one-byte tags ----

const GROUP: usize = 8;
const EMPTY: u8 = 0x80;
const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

#[inline(always)]
fn tag(h: u64) -> u8 {
    (h >> 57) as u8
}

/// Group `h` starts probing at: a multiply-shift range reduction, so the group count need
/// not be a power of two.
#[inline(always)]
fn home(h: u64, groups: usize) -> usize {
    ((u64::from(h as u32) * groups as u64) >> 32) as usize
}

/// Bytes `at..at + 8` of `x` as a little-endian word.
#[inline(always)]
fn word(x: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&x[at..at + 8]);
    u64::from_le_bytes(w)
}

/// `a == b`, comparing up to 32 bytes with a few overlapping word loads and one branch (the
/// strings worth interning are short, where a `memcmp` call costs more than the compare).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if b.len() != len {
        return false;
    }
    if (8..=32).contains(&len) {
        let diff = |at: usize| word(a, at) ^ word(b, at);
        let (m1, m2) = middle_words(len);
        return diff(0) | diff(m1) | diff(m2) | diff(len - 8) == 0;
    }
    a == b
}

/// The fewest groups that hold `items` at a load of at most 7/8.
fn groups_for(items: usize) -> usize {
    items.div_ceil(GROUP - 1)
}

/// A string interner: each distinct string is stored once and named by a [`Symbol`] (see
/// the [module docs](super)).
#[derive(Clone)]
pub struct Interner {
    /// A 0 byte (so no entry sits at offset 0 and symbols are non-zero), then the entries.
    buf: String,
    /// One tag per slot: `EMPTY`, or the top 7 bits of the hash of the slot's string.
    /// Invariant: `ctrl.len() == slots.len() == groups * GROUP`, at most 7/8 of the slots
    /// are full, and a full slot's tag matches its string's hash.
    ctrl: Vec<u8>,
    /// The entry offset (symbol) of each full slot.
    slots: Vec<u32>,
    len: usize,
}

impl Default for Interner {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Interner {
    /// An empty interner.
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(0, 0)
    }

    /// An empty interner with room for `strings` distinct strings of `bytes` bytes in total.
    #[must_use]
    pub fn with_capacity(strings: usize, bytes: usize) -> Self {
        let mut buf = String::with_capacity(1 + strings + bytes);
        buf.push('\0');
        let slots = groups_for(strings) * GROUP;
        Self {
            buf,
            ctrl: vec![EMPTY; slots],
            slots: vec![0; slots],
            len: 0,
        }
    }

    /// The number of distinct strings.
    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no string has been interned.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of heap memory held (capacity included): the string buffer and the table.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.ctrl.capacity() + self.slots.capacity() * 4
    }

    /// The symbol of `s`, interning it first if it is new.
    ///
    /// # Panics
    /// If the strings would take more than 4 GiB ([`Interner::try_intern`] returns an error
    /// instead).
    #[inline]
    pub fn intern(&mut self, s: &str) -> Symbol {
        match self.try_intern(s) {
            Ok(sym) => sym,
            Err(e) => panic!("{e}"),
        }
    }

    /// The symbol of `s`, interning it first if it is new.
    ///
    /// # Errors
    /// [`StringsError::TooLarge`] if the strings would take more than 4 GiB (nothing is
    /// interned).
    #[inline]
    pub fn try_intern(&mut self, s: &str) -> Result<Symbol, StringsError> {
        let h = hash(s.as_bytes());
        match self.probe(h, s.as_bytes()) {
            Ok(sym) => Ok(sym),
            Err(slot) => self.insert(h, s, slot),
        }
    }

    /// The symbol of `s` if it has been interned.
    #[must_use]
    #[inline]
    pub fn get(&self, s: &str) -> Option<Symbol> {
        self.probe(hash(s.as_bytes()), s.as_bytes()).ok()
    }

    /// True if `s` has been interned.
    #[must_use]
    pub fn contains(&self, s: &str) -> bool {
        self.get(s).is_some()
    }

    /// The string of `sym`.
    ///
    /// # Panics
    /// If `sym` does not resolve in this interner (it came from another one);
    /// [`Interner::try_resolve`] returns `None` instead.
    #[must_use]
    #[inline]
    pub fn resolve(&self, sym: Symbol) -> &str {
        resolve_in(&self.buf, sym)
    }

    /// The string of `sym`, or `None` if it does not resolve here.
    #[must_use]
    #[inline]
    pub fn try_resolve(&self, sym: Symbol) -> Option<&str> {
        try_resolve_in(&self.buf, sym)
    }

    /// Every `(symbol, string)` pair, in the order the strings were first interned.
    #[must_use]
    pub fn iter(&self) -> Iter<'_> {
        Iter::new(&self.buf, self.len)
    }

    /// Releases unused capacity: the buffer shrinks to its contents and the table to the
    /// fewest groups that keep the load at most 7/8.
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
        let groups = groups_for(self.len);
        if groups * GROUP != self.ctrl.len() {
            self.rehash(groups);
        }
    }

    /// Freezes the interner into a read-only [`Resolver`] that keeps only the strings (the
    /// lookup table is dropped). Symbols stay valid.
    #[must_use]
    pub fn into_resolver(self) -> Resolver {
        Resolver {
            buf: self.buf.into_boxed_str(),
            len: self.len,
        }
    }

    /// Finds `s` (hash `h`): `Ok(symbol)`, or `Err(slot)` with the first empty slot on its
    /// probe sequence (`usize::MAX` when the table has no slots).
    #[inline(always)]
    fn probe(&self, h: u64, s: &[u8]) -> Result<Symbol, usize> {
        if s.len() < usize::from(MORE) {
            // The common case: a one-byte header equal to the length. One slice (one bounds
            // check) covers header and bytes.
            let header = s.len() as u8;
            self.probe_by(h, |bytes, off| {
                bytes
                    .get(off..off + 1 + s.len())
                    .is_some_and(|e| e[0] == header && same_bytes(&e[1..], s))
            })
        } else {
            self.probe_long(h, s)
        }
    }

    #[cold]
    #[inline(never)]
    fn probe_long(&self, h: u64, s: &[u8]) -> Result<Symbol, usize> {
        let mut header = [0u8; MAX_HEADER];
        let hl = encode_header(s.len(), &mut header);
        let header = &header[..hl];
        let hl = header.len();
        self.probe_by(h, |bytes, off| {
            bytes.get(off..off + hl) == Some(header)
                && bytes
                    .get(off + hl..off + hl + s.len())
                    .is_some_and(|stored| stored == s)
        })
    }

    /// The probe loop: `is_entry(buf, offset)` says whether the entry at `offset` holds the
    /// string sought.
    #[inline(always)]
    fn probe_by(
        &self,
        h: u64,
        is_entry: impl Fn(&[u8], usize) -> bool,
    ) -> Result<Symbol, usize> {
        let groups = self.ctrl.len() / GROUP;
        if groups == 0 {
            return Err(usize::MAX);
        }
        let pattern = LO * u64::from(tag(h));
        let bytes = self.buf.as_bytes();
        let mut g = home(h, groups);
        loop {
            let base = g * GROUP;
            let ctrl = word(&self.ctrl, base);
            let x = ctrl ^ pattern;
            // Bytes of `x` that are zero (tag matches); may flag false positives, never
            // misses one, and only ever flags full slots (an EMPTY byte has its top bit set).
            let mut hits = x.wrapping_sub(LO) & !x & HI;
            while hits != 0 {
                let slot = base + (hits.trailing_zeros() / 8) as usize;
                let off = self.slots[slot] as usize;
                if is_entry(bytes, off) {
                    // `off` is non-zero: offset 0 holds the leading 0 byte.
                    return Symbol::from_offset(off).ok_or(slot);
                }
                hits &= hits - 1;
            }
            let empty = ctrl & HI;
            if empty != 0 {
                return Err(base + (empty.trailing_zeros() / 8) as usize);
            }
            g += 1;
            if g == groups {
                g = 0;
            }
        }
    }

    /// Appends `s` (hash `h`, known to be absent) and records it in `slot`, the first empty
    /// slot on its probe sequence (`usize::MAX` when the table has no slots yet).
    #[inline(never)]
    fn insert(&mut self, h: u64, s: &str, mut slot: usize) -> Result<Symbol, StringsError> {
        let mut header = [0u8; MAX_HEADER];
        let hl = encode_header(s.len(), &mut header);
        let header = &header[..hl];
        let off = self.buf.len();
        let too_large = StringsError::TooLarge {
            stored: off,
            given: s.len(),
        };
        if u32::try_from(off + header.len() + s.len()).is_err() {
            return Err(too_large);
        }
        let sym = Symbol::from_offset(off).ok_or(too_large)?;
        if self.len + 1 > self.ctrl.len() / GROUP * (GROUP - 1) {
            self.grow();
            slot = self.empty_slot(h);
        }
        // Header bytes are ASCII (below 0x80), so pushing them as chars keeps UTF-8 valid.
        for &b in header {
            self.buf.push(char::from(b));
        }
        self.buf.push_str(s);
        self.ctrl[slot] = tag(h);
        self.slots[slot] = sym.as_u32();
        self.len += 1;
        Ok(sym)
    }

    /// The first empty slot on `h`'s probe sequence (the table must have one).
    fn empty_slot(&self, h: u64) -> usize {
        let groups = self.ctrl.len() / GROUP;
        let mut g = home(h, groups);
        loop {
            let base = g * GROUP;
            if let Some(i) = self.ctrl[base..base + GROUP]
                .iter()
                .position(|&c| c == EMPTY)
            {
                return base + i;
            }
            g = if g + 1 == groups { 0 } else { g + 1 };
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let groups = (self.ctrl.len() / GROUP * 2)
            .max(groups_for(self.len + 1))
            .max(2);
        self.rehash(groups);
    }

    /// Rebuilds the table with `groups` groups (enough for every string).
    fn rehash(&mut self, groups: usize) {
        debug_assert!(self.len <= groups * (GROUP - 1));
        self.ctrl = vec![EMPTY; groups * GROUP];
        self.slots = vec![0; groups * GROUP];
        let mut pos = 1;
        while let Some((s, end)) = entry_at(&self.buf, pos) {
            let h = hash(s.as_bytes());
            let slot = self.empty_slot(h);
            self.ctrl[slot] = tag(h);
            self.slots[slot] = pos as u32;
            pos = end;
        }
    }
}

/// A frozen, read-only [`Interner`]: resolves symbols, lists strings, holds nothing but the
/// string bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Resolver {
    buf: Box<str>,
    len: usize,
}

impl Resolver {
    /// The string of `sym`.
    ///
    /// # Panics
    /// If `sym` does not resolve here ([`Resolver::try_resolve`] returns `None` instead).
    #[must_use]
    #[inline]
    pub fn resolve(&self, sym: Symbol) -> &str {
        resolve_in(&self.buf, sym)
    }

    /// The string of `sym`, or `None` if it does not resolve here.
    #[must_use]
    #[inline]
    pub fn try_resolve(&self, sym: Symbol) -> Option<&str> {
        try_resolve_in(&self.buf, sym)
    }

    /// The number of strings.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no strings.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of heap memory held.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Every `(symbol, string)` pair, in the order the strings were first interned.
    #[must_use]
    pub fn iter(&self) -> Iter<'_> {
        Iter::new(&self.buf, self.len)
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The `(symbol, string)` pairs of an [`Interner`] or [`Resolver`], in interning order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    buf: &'a str,
    pos: usize,
    remaining: usize,
}

impl<'a> Iter<'a> {
    /// The `len` entries of `buf` (after its leading 0 byte).
    fn new(buf: &'a str, len: usize) -> Self {
        Self {
            buf,
            pos: 1,
            remaining: len,
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Symbol, &'a str);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let (s, end) = entry_at(self.buf, self.pos)?;
        let sym = Symbol::from_offset(self.pos)?;
        self.pos = end;
        self.remaining -= 1;
        Some((sym, s))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl core::iter::FusedIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_at_every_length_class() {
        for len in [
            0usize,
            1,
            63,
            64,
            4095,
            4096,
            262_143,
            262_144,
            (1 << 30) - 1,
            1 << 30,
        ] {
            let mut h = [0u8; MAX_HEADER];
            let n = encode_header(len, &mut h);
            assert!(h[..n].iter().all(|&b| b < 0x80), "header of {len} is ASCII");
            // 6 bits per header byte.
            let bits = (usize::BITS - len.leading_zeros()).max(1) as usize;
            let expected = bits.div_ceil(6);
            assert_eq!(n, expected, "header length for {len}");
            if len < 1 << 20 {
                let mut buf = String::new();
                buf.extend(h[..n].iter().map(|&b| char::from(b)));
                buf.extend(core::iter::repeat_n('z', len));
                let (s, end) = entry_at(&buf, 0).unwrap();
                assert_eq!((s.len(), end), (len, n + len));
            }
        }
    }

    #[test]
    fn foreign_symbols_never_misbehave() {
        let mut a = Interner::new();
        let mut b = Interner::new();
        for i in 0..100 {
            a.intern(&alloc::format!("é-{i}-ünïcode"));
        }
        b.intern("x");
        // Every offset into `a`'s buffer either resolves to a valid &str or to nothing.
        for raw in 1..a.buf.len() as u32 + 10 {
            let sym = Symbol::from_u32(raw).unwrap();
            let _ = a.try_resolve(sym);
        }
        let far = a.intern("some string far into the buffer");
        assert_eq!(b.try_resolve(far), None);
    }
}
