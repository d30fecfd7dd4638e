//! The table: SwissTable-style groups, one cache line each.
//!
//! A group is 12 one-byte tags and the 12 symbols they belong to, in one 64-byte line: a
//! probe that finds its tag has the symbol in the same line, so a lookup touches the table
//! once and the string buffer once.

/// Slots per group.
pub(super) const GROUP: usize = 12;
/// The most full slots per group on average (a load of 10/12): 6.4 table bytes per string.
pub(super) const MAX_FULL: usize = 10;
pub(super) const EMPTY: u8 = 0x80;
/// One bit per real tag byte (bytes 12..16 of `tags` are padding).
const REAL: u32 = (1 << GROUP) - 1;

/// One cache line of the table. Invariant: `tags[i]` is `EMPTY` or the top 7 bits of the
/// hash of the string whose entry offset is `slots[i]`; the padding tags are `EMPTY`.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(super) struct Group {
    pub(super) tags: [u8; 16],
    pub(super) slots: [u32; GROUP],
}

/// Bit `i` set for each tag `i` equal to `tag`, and bit `i` set for each empty tag `i`
/// (padding excluded). SSE2 (part of every x86-64 CPU): one compare and two mask moves.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(super) fn match_group(tags: &[u8; 16], tag: u8) -> (u32, u32) {
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: this is compiled only where SSE2 is enabled at build time (every x86-64
    // target has it), so the intrinsics run; `tags` is 16 readable bytes, the size of an
    // `__m128i`, and the load is unaligned.
    let (eq, empty) = unsafe {
        let v = _mm_loadu_si128(tags.as_ptr().cast::<__m128i>());
        let eq = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(tag as i8)));
        (eq as u32, _mm_movemask_epi8(v) as u32)
    };
    (eq & REAL, empty & REAL)
}

/// [`match_group`] on other targets: a SWAR zero-byte test over the 16 tag bytes.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub(super) fn match_group(tags: &[u8; 16], tag: u8) -> (u32, u32) {
    const LO: u128 = u128::from_le_bytes([1; 16]);
    const HI: u128 = u128::from_le_bytes([0x80; 16]);
    // One bit per byte: byte `i`'s high bit moved to bit `i`.
    let squash = |m: u128| {
        (0..GROUP).fold(0u32, |acc, i| {
            acc | ((((m >> (8 * i + 7)) & 1) as u32) << i)
        })
    };
    let ctrl = u128::from_le_bytes(*tags);
    let x = ctrl ^ (LO * u128::from(tag));
    // Zero bytes of `x` (matching tags). The classic test may flag a 0x01 byte above a
    // zero byte: check the flagged tags again so no false positive remains.
    let maybe = squash(x.wrapping_sub(LO) & !x & HI);
    let eq = (0..GROUP).fold(0u32, |acc, i| {
        acc | (u32::from(maybe >> i & 1 == 1 && tags[i] == tag) << i)
    });
    (eq & REAL, squash(ctrl & HI) & REAL)
}

pub(super) const EMPTY_GROUP: Group = Group {
    tags: [EMPTY; 16],
    slots: [0; GROUP],
};

#[inline(always)]
pub(super) fn tag(h: u64) -> u8 {
    (h >> 57) as u8
}

/// Group `h` starts probing at: a multiply-shift range reduction, so the group count need
/// not be a power of two.
#[inline(always)]
pub(super) fn home(h: u64, groups: usize) -> usize {
    ((u64::from(h as u32) * groups as u64) >> 32) as usize
}

/// The fewest groups that hold `items` at a load of at most `MAX_FULL / GROUP`.
pub(super) fn groups_for(items: usize) -> usize {
    items.div_ceil(MAX_FULL)
}

/// Starts loading `group` into the cache (a hint: no effect on the program's result).
#[inline(always)]
pub(super) fn prefetch(group: &Group) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: this is compiled only where SSE is enabled at build time (every x86-64
        // target has it); a prefetch never faults, and `group` is a valid reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(core::ptr::from_ref(group).cast::<i8>()) };
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = group;
}

/// The first empty slot on `h`'s probe sequence in `table` (which must have one).
#[inline]
pub(super) fn first_empty(table: &[Group], h: u64) -> usize {
    let groups = table.len();
    let mut g = home(h, groups);
    loop {
        let (_, empty) = match_group(&table[g].tags, tag(h));
        if empty != 0 {
            return g * GROUP + empty.trailing_zeros() as usize;
        }
        g = if g + 1 == groups { 0 } else { g + 1 };
    }
}

/// Marks `slot` (empty) of `table` as holding the entry at `off`, whose string hashes to `h`.
#[inline]
pub(super) fn fill(table: &mut [Group], slot: usize, h: u64, off: u32) {
    let group = &mut table[slot / GROUP];
    group.tags[slot % GROUP] = tag(h);
    group.slots[slot % GROUP] = off;
}
