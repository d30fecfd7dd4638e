//! CRC32C (Castagnoli), the checksum of iSCSI, ext4, LevelDB and of this crate's frames.
//!
//! Two implementations give identical results:
//!
//! - **SSE4.2** (every x86-64 SIMD level): the `crc32` instruction has a 3-cycle latency but
//!   a throughput of one per cycle, so one dependent chain uses a third of it. Long inputs are
//!   cut into blocks of three equal lanes (3 × 1024 bytes, then 3 × 128) whose CRCs run
//!   interleaved from independent starting states; the lanes are then merged with the
//!   linearity of CRCs: `crc(s, A‖B) = shift_|B|(crc(s, A)) ^ crc(0, B)`, where `shift_n`
//!   (advancing a state over `n` zero bytes) is a fixed linear map on 32 bits, applied with
//!   four 256-entry tables computed at compile time. No carry-less multiply is needed, so the
//!   SSE4.1 level (which does not promise PCLMULQDQ) runs it too. The last bytes take a
//!   single chain.
//! - **Portable**: slicing-by-8 tables (eight bytes per step, eight table lookups).
//!
//! ```
//! use perfkit_encoding::crc32c;
//!
//! assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283); // the standard check value
//! // Incremental: continue from a previous result.
//! let partial = crc32c::crc32c(b"12345");
//! assert_eq!(crc32c::crc32c_append(partial, b"6789"), 0xe306_9283);
//! ```

use crate::dispatch::{Level, Simd};

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82f6_3b78;

/// Slicing-by-8 tables: `TABLES[k][b]` is the state change of byte `b` followed by `k` zero bytes.
static TABLES: [[u32; 256]; 8] = {
    let mut t = [[0u32; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut crc = b as u32;
        let mut i = 0;
        while i < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            i += 1;
        }
        t[0][b] = crc;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            b += 1;
        }
        k += 1;
    }
    t
};

/// The linear map "advance a raw CRC state over `n` zero bytes" as four byte tables.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const fn shift_tables(n: usize) -> [[u32; 256]; 4] {
    // Image of each basis vector.
    let mut basis = [0u32; 32];
    let mut i = 0;
    while i < 32 {
        let mut crc = 1u32 << i;
        let mut j = 0;
        while j < n {
            crc = (crc >> 8) ^ TABLES[0][(crc & 0xff) as usize];
            j += 1;
        }
        basis[i] = crc;
        i += 1;
    }
    let mut t = [[0u32; 256]; 4];
    let mut k = 0;
    while k < 4 {
        let mut b = 0;
        while b < 256 {
            let mut acc = 0;
            let mut bit = 0;
            while bit < 8 {
                if (b >> bit) & 1 != 0 {
                    acc ^= basis[8 * k + bit];
                }
                bit += 1;
            }
            t[k][b] = acc;
            b += 1;
        }
        k += 1;
    }
    t
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const LONG_LANE: usize = 1024;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const SHORT_LANE: usize = 128;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
static SHIFT_LONG: [[u32; 256]; 4] = shift_tables(LONG_LANE);
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
static SHIFT_SHORT: [[u32; 256]; 4] = shift_tables(SHORT_LANE);

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
fn shift(t: &[[u32; 256]; 4], crc: u32) -> u32 {
    t[0][(crc & 0xff) as usize]
        ^ t[1][((crc >> 8) & 0xff) as usize]
        ^ t[2][((crc >> 16) & 0xff) as usize]
        ^ t[3][(crc >> 24) as usize]
}

/// The CRC32C of `data`.
#[must_use]
#[inline]
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c_append(0, data)
}

/// Continues a CRC32C: `crc32c_append(crc32c(a), b) == crc32c(a ‖ b)`.
#[must_use]
#[inline]
pub fn crc32c_append(crc: u32, data: &[u8]) -> u32 {
    crc32c_append_with(Simd::detected(), crc, data)
}

/// [`crc32c_append`] at the level of `simd` (every level gives the same result).
#[must_use]
pub fn crc32c_append_with(simd: Simd, crc: u32, data: &[u8]) -> u32 {
    match simd.level() {
        #[cfg(target_arch = "x86_64")]
        Level::Sse41 | Level::Avx2 | Level::Avx512 => {
            // SAFETY: every x86-64 SIMD level guarantees SSE4.2, proven by the token.
            !unsafe { update_sse42(!crc, data) }
        }
        #[cfg(target_arch = "aarch64")]
        Level::Neon if arm_crc_detected() => {
            // SAFETY: `arm_crc_detected` says the CPU has the CRC32 instructions.
            !unsafe { update_arm_crc(!crc, data) }
        }
        _ => !update_portable(!crc, data),
    }
}

/// Whether this aarch64 CPU has the CRC32 instructions (`crc`: optional in Armv8.0,
/// mandatory from Armv8.1; every 64-bit Arm server and phone core has them). std's detection
/// caches its answer; without `std`, only a build for a target with `crc` uses them.
#[cfg(target_arch = "aarch64")]
#[inline]
fn arm_crc_detected() -> bool {
    #[cfg(feature = "std")]
    {
        std::arch::is_aarch64_feature_detected!("crc")
    }
    #[cfg(not(feature = "std"))]
    {
        cfg!(target_feature = "crc")
    }
}

/// Raw (uninverted) slicing-by-8 update.
fn update_portable(mut crc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let lo = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) ^ crc;
        let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        crc = TABLES[7][(lo & 0xff) as usize]
            ^ TABLES[6][((lo >> 8) & 0xff) as usize]
            ^ TABLES[5][((lo >> 16) & 0xff) as usize]
            ^ TABLES[4][(lo >> 24) as usize]
            ^ TABLES[3][(hi & 0xff) as usize]
            ^ TABLES[2][((hi >> 8) & 0xff) as usize]
            ^ TABLES[1][((hi >> 16) & 0xff) as usize]
            ^ TABLES[0][(hi >> 24) as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ TABLES[0][((crc ^ u32::from(b)) & 0xff) as usize];
    }
    crc
}

/// Raw (uninverted) update with the SSE4.2 `crc32` instruction, three lanes interleaved.
///
/// # Safety
///
/// - The CPU supports SSE4.2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
unsafe fn update_sse42(mut crc: u32, data: &[u8]) -> u32 {
    use core::arch::x86_64::{_mm_crc32_u8, _mm_crc32_u64};

    #[inline(always)]
    fn word(c: &[u8]) -> u64 {
        u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
    }

    let mut rest = data;
    for (lane, table) in [(LONG_LANE, &SHIFT_LONG), (SHORT_LANE, &SHIFT_SHORT)] {
        while rest.len() >= 3 * lane {
            let (block, tail) = rest.split_at(3 * lane);
            let (a, bc) = block.split_at(lane);
            let (b, c) = bc.split_at(lane);
            let (mut ca, mut cb, mut cc) = (u64::from(crc), 0u64, 0u64);
            for ((x, y), z) in a
                .chunks_exact(8)
                .zip(b.chunks_exact(8))
                .zip(c.chunks_exact(8))
            {
                ca = _mm_crc32_u64(ca, word(x));
                cb = _mm_crc32_u64(cb, word(y));
                cc = _mm_crc32_u64(cc, word(z));
            }
            // The crc32 instruction leaves the upper 32 bits zero.
            crc = shift(table, shift(table, ca as u32) ^ cb as u32) ^ cc as u32;
            rest = tail;
        }
    }
    let mut c64 = u64::from(crc);
    let mut chunks = rest.chunks_exact(8);
    for c in &mut chunks {
        c64 = _mm_crc32_u64(c64, word(c));
    }
    let mut crc = c64 as u32;
    for &b in chunks.remainder() {
        crc = _mm_crc32_u8(crc, b);
    }
    crc
}

/// Raw (uninverted) update with the Armv8 `crc32cx`/`crc32cb` instructions, three lanes
/// interleaved and joined as in [`update_sse42`] (both compute the same raw CRC32C step).
///
/// # Safety
///
/// - The CPU has the CRC32 instructions (the `crc` target feature).
#[cfg(target_arch = "aarch64")]
#[target_feature(enable = "crc")]
unsafe fn update_arm_crc(mut crc: u32, data: &[u8]) -> u32 {
    use core::arch::aarch64::{__crc32cb, __crc32cd};

    #[inline(always)]
    fn word(c: &[u8]) -> u64 {
        u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
    }

    let mut rest = data;
    for (lane, table) in [(LONG_LANE, &SHIFT_LONG), (SHORT_LANE, &SHIFT_SHORT)] {
        while rest.len() >= 3 * lane {
            let (block, tail) = rest.split_at(3 * lane);
            let (a, bc) = block.split_at(lane);
            let (b, c) = bc.split_at(lane);
            let (mut ca, mut cb, mut cc) = (crc, 0u32, 0u32);
            for ((x, y), z) in a
                .chunks_exact(8)
                .zip(b.chunks_exact(8))
                .zip(c.chunks_exact(8))
            {
                ca = __crc32cd(ca, word(x));
                cb = __crc32cd(cb, word(y));
                cc = __crc32cd(cc, word(z));
            }
            crc = shift(table, shift(table, ca) ^ cb) ^ cc;
            rest = tail;
        }
    }
    let mut chunks = rest.chunks_exact(8);
    for c in &mut chunks {
        crc = __crc32cd(crc, word(c));
    }
    for &b in chunks.remainder() {
        crc = __crc32cb(crc, b);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-at-a-time reference.
    fn naive(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ POLY
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn every_level_matches_the_bitwise_reference() {
        let data: alloc::vec::Vec<u8> = (0..10_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for level in Level::available() {
            let simd = Simd::new(level).unwrap();
            for len in (0..=70).chain([383, 384, 385, 1000, 3071, 3072, 3073, 3456, 4096, 9990]) {
                for start in [0, 1, 3] {
                    let slice = &data[start..start + len];
                    assert_eq!(
                        crc32c_append_with(simd, 0, slice),
                        naive(slice),
                        "{level:?} len {len} start {start}"
                    );
                }
            }
            assert_eq!(crc32c_append_with(simd, 0, b"123456789"), 0xe306_9283);
        }
    }

    /// On aarch64 the Neon level takes the CRC32 instructions when the CPU has them, which
    /// the test above checks through the dispatch. .ci/run's qemu step (whose emulated CPU
    /// has them) sets `PERFKIT_EXPECT_ARM_CRC=1`, so that path cannot go untested silently.
    #[test]
    #[cfg(all(target_arch = "aarch64", feature = "std"))]
    fn arm_crc_path_runs_where_expected() {
        if std::env::var_os("PERFKIT_EXPECT_ARM_CRC").is_some() {
            assert!(arm_crc_detected(), "the CPU reports no CRC32 instructions");
        }
        if arm_crc_detected() {
            let data: alloc::vec::Vec<u8> = (0..5000u32).map(|i| (i * 7 + i / 13) as u8).collect();
            for len in [0, 1, 7, 8, 9, 383, 384, 3071, 3072, 3073, 5000] {
                // SAFETY: `arm_crc_detected` says the CPU has the CRC32 instructions.
                let hw = !unsafe { update_arm_crc(!0, &data[..len]) };
                assert_eq!(hw, naive(&data[..len]), "len {len}");
            }
        }
    }
}
