//! Whole-slice decoding: the public batch decoders, dispatched to the scalar or SIMD batch
//! decoder of the level.

use alloc::vec::Vec;

use crate::DecodeError;
#[cfg(target_arch = "x86_64")]
use crate::dispatch::Level;
use crate::dispatch::Simd;

use super::*;

/// Defines a batch decoder and its per-level twin for one element type.
macro_rules! batch_decoder {
    ($t:ty, $name:ident, $with:ident, $single:ident, $scalar:path, $sse41:ident, $avx2:ident, $avx512:ident) => {
        /// Decodes `count` varints from the start of `input`, appends them to `out`, and
        /// returns the bytes read.
        ///
        #[doc = concat!("Values follow [`", stringify!($single), "`]'s rules (non-minimal encodings are accepted).")]
        /// Uses the best SIMD level of this CPU (chosen once). `out` grows by at most
        /// `min(count, input.len())` before decoding starts: a huge `count` with a short
        /// input allocates nothing more than the input justifies.
        ///
        /// # Errors
        ///
        /// The first bad varint's error, with its offset in `input`. On error `out` is left
        /// as it was.
        #[inline]
        pub fn $name(input: &[u8], count: usize, out: &mut Vec<$t>) -> Result<usize, DecodeError> {
            $with(Simd::detected(), input, count, out)
        }

        #[doc = concat!("[`", stringify!($name), "`] at the level of `simd` (every level gives the same result).")]
        ///
        /// # Errors
        ///
        #[doc = concat!("As [`", stringify!($name), "`].")]
        pub fn $with(simd: Simd, input: &[u8], count: usize, out: &mut Vec<$t>) -> Result<usize, DecodeError> {
            let start = out.len();
            out.reserve(count.min(input.len()));
            let result = match simd.level() {
                #[cfg(target_arch = "x86_64")]
                Level::Sse41 => {
                    // SAFETY: the `Simd` token proves SSE4.1/SSSE3; `out` has the room reserved above.
                    unsafe { x86::$sse41(input, count, out) }
                }
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => {
                    // SAFETY: the `Simd` token proves AVX2; `out` has the room reserved above.
                    unsafe { x86::$avx2(input, count, out) }
                }
                #[cfg(target_arch = "x86_64")]
                Level::Avx512 => {
                    // SAFETY: the `Simd` token proves AVX-512 F/BW/VL (and AVX2); room as above.
                    unsafe { x86::$avx512(input, count, out) }
                }
                _ => $scalar(input, 0, count, out),
            };
            if result.is_err() {
                out.truncate(start);
            }
            result
        }
    };
}

batch_decoder!(
    u64,
    decode_u64_slice,
    decode_u64_slice_with,
    decode_u64,
    batch::decode_u64_scalar,
    decode_u64_sse41,
    decode_u64_avx2,
    decode_u64_avx512
);
batch_decoder!(
    u32,
    decode_u32_slice,
    decode_u32_slice_with,
    decode_u32,
    batch::decode_u32_scalar,
    decode_u32_sse41,
    decode_u32_avx2,
    decode_u32_avx512
);
