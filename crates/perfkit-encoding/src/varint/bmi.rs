//! Single-value decoding and encoding with BMI instructions on the x86-64 CPUs where they are
//! fast.
//!
//! [`decode_u64`](super::decode_u64) and [`encode_u64_to`](super::encode_u64_to) are inlined
//! into their callers, which are built for the baseline x86-64 ISA, so they cannot use
//! `#[target_feature]` kernels without an out-of-line call. Instead the choice is made once per
//! process ([`fast_bmi`], a cached flag) and the instructions that matter are issued by inline
//! assembly behind that flag:
//! - `andn` makes the stop mask in one instruction: one cycle less on the
//!   load → mask → `tzcnt` → advance chain that bounds a decode loop;
//! - `pext` packs the 7-bit groups in one instruction instead of a dozen shifts and masks, and
//!   `pdep` spreads them when encoding, with `lzcnt` and a table for the length and `bzhi` for
//!   the continuation bits (the slice encoders use the same step).
//!
//! The flag is set only when the detected level is AVX2 or higher (which implies BMI1, BMI2
//! and LZCNT) *and* `pext`/`pdep` are fast instructions: Intel, or AMD from family 0x19 (Zen 3)
//! on; they are microcode taking dozens of cycles on earlier AMD cores. `PERFKIT_SIMD=scalar`
//! (or `sse41`) turns it off.

use core::arch::asm;
use core::num::NonZeroU64;
use core::sync::atomic::{AtomicU8, Ordering};

use super::{HIGH, LOW7, decode_u64_long};
use crate::DecodeError;
use crate::dispatch::{Level, fast_pdep_pext};

const UNSET: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;

/// [`UNSET`] until the first decode, then [`ON`] or [`OFF`].
static FAST_BMI: AtomicU8 = AtomicU8::new(UNSET);

/// Whether this CPU runs BMI1 and a fast BMI2 `pext` (and the level override allows them).
#[inline(always)]
pub(super) fn fast_bmi() -> bool {
    match FAST_BMI.load(Ordering::Relaxed) {
        UNSET => detect(),
        flag => flag == ON,
    }
}

#[cold]
#[inline(never)]
fn detect() -> bool {
    let on = matches!(Level::detected(), Level::Avx2 | Level::Avx512) && fast_pdep_pext();
    FAST_BMI.store(if on { ON } else { OFF }, Ordering::Relaxed);
    on
}

/// `!a & b` (BMI1 `andn`).
///
/// # Safety
///
/// - The CPU supports BMI1.
#[inline(always)]
unsafe fn andn(a: u64, b: u64) -> u64 {
    let r: u64;
    // SAFETY: the caller guarantees BMI1; the instruction only reads and writes registers.
    unsafe {
        asm!("andn {r}, {a}, {b}", r = lateout(reg) r, a = in(reg) a, b = in(reg) b,
            options(pure, nomem, nostack));
    }
    r
}

/// The bits of `a` selected by `mask`, packed to the bottom (BMI2 `pext`).
///
/// # Safety
///
/// - The CPU supports BMI2.
#[inline(always)]
unsafe fn pext(a: u64, mask: u64) -> u64 {
    let r: u64;
    // SAFETY: the caller guarantees BMI2; the instruction only reads and writes registers.
    unsafe {
        asm!("pext {r}, {a}, {m}", r = lateout(reg) r, a = in(reg) a, m = in(reg) mask,
            options(pure, nomem, nostack, preserves_flags));
    }
    r
}

/// The 8-byte-window step of `decode_u64`: `word` holds the first 8 bytes of `input`.
///
/// # Safety
///
/// - The CPU supports BMI1 and BMI2 ([`fast_bmi`] returned `true`).
#[inline(always)]
pub(super) unsafe fn decode_u64_window(
    input: &[u8],
    word: u64,
) -> Result<(u64, usize), DecodeError> {
    // SAFETY: the caller guarantees BMI1.
    let stops = unsafe { andn(word, HIGH) };
    let Some(stops) = NonZeroU64::new(stops) else {
        return decode_u64_long(input, word);
    };
    let len = (stops.trailing_zeros() / 8 + 1) as usize;
    // Every data bit below the first stop bit (higher stop bits fall outside `LOW7`).
    // SAFETY: the caller guarantees BMI2.
    let value = unsafe { pext(word, (stops.get() - 1) & LOW7) };
    Ok((value, len))
}

/// `a` with its bits `index` and up cleared; all of `a` when `index >= 64` (BMI2 `bzhi`).
///
/// # Safety
///
/// - The CPU supports BMI2.
#[inline(always)]
unsafe fn bzhi(a: u64, index: u64) -> u64 {
    let r: u64;
    // SAFETY: the caller guarantees BMI2; the instruction only reads and writes registers.
    unsafe {
        asm!("bzhi {r}, {a}, {i}", r = lateout(reg) r, a = in(reg) a, i = in(reg) index,
            options(pure, nomem, nostack));
    }
    r
}

/// The low bits of `a` deposited at the bits set in `mask` (BMI2 `pdep`).
///
/// # Safety
///
/// - The CPU supports BMI2.
#[inline(always)]
unsafe fn pdep(a: u64, mask: u64) -> u64 {
    let r: u64;
    // SAFETY: the caller guarantees BMI2; the instruction only reads and writes registers.
    unsafe {
        asm!("pdep {r}, {a}, {m}", r = lateout(reg) r, a = in(reg) a, m = in(reg) mask,
            options(pure, nomem, nostack, preserves_flags));
    }
    r
}

/// Leading zero bits of `a`, 64 for 0 (`lzcnt`).
///
/// # Safety
///
/// - The CPU supports LZCNT.
#[inline(always)]
unsafe fn lzcnt(a: u64) -> u64 {
    let r: u64;
    // SAFETY: the caller guarantees LZCNT; the instruction only reads and writes registers.
    unsafe {
        asm!("lzcnt {r}, {a}", r = lateout(reg) r, a = in(reg) a, options(pure, nomem, nostack));
    }
    r
}

/// The encoded length of a value with `n` leading zero bits (`n` in 0..=64). 128 entries, so
/// that an index masked to 7 bits needs no bounds check.
const LEN_BY_LEADING_ZEROS: [u8; 128] = {
    let mut table = [1u8; 128];
    let mut n = 0;
    while n < 64 {
        table[n] = super::encoded_len_u64(u64::MAX >> n) as u8;
        n += 1;
    }
    table
};

/// Writes one varint at `dst` and returns its length: `lzcnt` and a table give the length,
/// `pdep` spreads the low 56 bits into eight 7-bit groups, and `bzhi` keeps the continuation
/// bits of every byte below the last; one 8-byte store, and a 2-byte one only for the rare
/// 9- and 10-byte values (a predictable branch costs less than computing their bytes always).
///
/// # Safety
///
/// - The CPU supports BMI1, BMI2 and LZCNT ([`fast_bmi`] returned `true`).
/// - `dst` is valid for writing 10 bytes.
#[inline(always)]
pub(super) unsafe fn write_raw(value: u64, dst: *mut u8) -> usize {
    // SAFETY: the caller guarantees LZCNT and BMI2.
    let (lz, spread) = unsafe { (lzcnt(value), pdep(value, LOW7)) };
    // `lzcnt` is at most 64; the mask only tells the compiler the index is in bounds.
    let len = usize::from(LEN_BY_LEADING_ZEROS[lz as usize & 127]);
    // `bzhi` clears the bits from index `8 * (len - 1)` up; an index of 64 or more (9 and
    // 10 bytes) keeps all eight continuation bits.
    // SAFETY: the caller guarantees BMI2.
    let word = spread | unsafe { bzhi(HIGH, 8 * (len as u64 - 1)) };
    // SAFETY: the caller guarantees 10 writable bytes at `dst`; the stores are unaligned.
    unsafe {
        dst.cast::<u64>().write_unaligned(word.to_le());
        if len > 8 {
            let tail = super::tail_bytes(value, len);
            dst.add(8).cast::<u16>().write_unaligned(tail.to_le());
        }
    }
    len
}
