//! HdrHistogram's "V2" binary encoding for [`Histogram`] ([`Histogram::to_hdr_v2`],
//! [`Histogram::from_hdr_v2`]). The format, and how perfkit's buckets map onto
//! HdrHistogram's, are documented on [`Histogram`] (under "HdrHistogram V2"), where they stay
//! public.

#[cfg(feature = "deflate")]
mod deflate;
mod layout;
mod varint;

use crate::histogram::{Histogram, MAX_PRECISION, bucket_index};
use layout::{HALF_COUNT_MAGNITUDE, Layout, digits_for};

/// The V2 cookie HdrHistogram writes: the base `0x1c849303` with the `0x10` flag.
const V2_COOKIE: u32 = 0x1c84_9313;
/// The V2 + DEFLATE cookie HdrHistogram writes.
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
/// Readers compare `cookie & !0xf0` with these (the Java reader's rule: the second nibble
/// held the word size in older versions).
const V2_COOKIE_BASE: u32 = 0x1c84_9303;
const V2_COMPRESSED_COOKIE_BASE: u32 = 0x1c84_9304;
/// The bytes before a V2 payload.
const HEADER_LEN: usize = 40;

/// What is wrong with an HdrHistogram V2 input, and where: every variant names the byte
/// offset (from the start of the input) of the field or count at fault.
///
/// For compressed input, errors inside the inflated data come wrapped in
/// [`Decompressed`](Self::Decompressed), with offsets into the inflated bytes.
///
/// ```
/// use perfkit_profile::{HdrError, Histogram};
///
/// let err = Histogram::from_hdr_v2(b"not a histogram").unwrap_err();
/// assert!(matches!(err, HdrError::UnknownCookie { found: 0x6e6f7420 }));
/// assert_eq!(
///     err.to_string(),
///     "byte 0: cookie 0x6e6f7420 is not HdrHistogram V2 (0x1c849313) or V2 + DEFLATE (0x1c849314)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum HdrError {
    /// The input ends inside a header field, the payload or the compressed data.
    #[error(
        "truncated input: the {what} at byte {offset} needs {needed} bytes, only {available} remain"
    )]
    Truncated {
        /// What was being read ("cookie", "payload", …).
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// How many bytes it needs.
        needed: usize,
        /// How many bytes the input has from `offset` on.
        available: usize,
    },
    /// The first four bytes are not a V2 or V2 + DEFLATE cookie (V0 and V1, the older
    /// encodings, are not supported).
    #[error(
        "byte 0: cookie {found:#010x} is not HdrHistogram V2 ({V2_COOKIE:#010x}) or \
         V2 + DEFLATE ({V2_COMPRESSED_COOKIE:#010x})"
    )]
    UnknownCookie {
        /// The cookie read.
        found: u32,
    },
    /// The input is compressed (V2 + DEFLATE) and this build lacks the `deflate` feature.
    #[error(
        "byte 0: cookie {found:#010x} marks compressed V2 + DEFLATE, which needs \
         perfkit-profile's `deflate` feature"
    )]
    CompressionNotEnabled {
        /// The cookie read.
        found: u32,
    },
    /// The compressed data is not a valid zlib stream.
    #[error("bytes {offset}..{end}: the compressed data cannot be inflated: {reason}")]
    Inflate {
        /// Where the compressed data starts (8).
        offset: usize,
        /// Where it ends.
        end: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An error inside the V2 encoding inflated from compressed input; its offsets count
    /// from the start of the inflated bytes.
    #[error("in the inflated V2 encoding: {0}")]
    Decompressed(Box<HdrError>),
    /// The normalizing index offset (bytes 8..12) is not 0.
    #[error(
        "byte 8: normalizing index offset {found} is not supported (only 0, which every \
         histogram that was never shifted has)"
    )]
    NormalizingIndexOffset {
        /// The offset read.
        found: i32,
    },
    /// The number of significant digits (bytes 12..16) is above 5.
    #[error("byte 12: {found} significant digits is out of range (0..=5)")]
    SignificantDigits {
        /// The number read.
        found: u32,
    },
    /// The lowest discernible value (bytes 16..24) is 0, or so large that `digits`
    /// significant digits above it do not fit 63 bits.
    #[error(
        "byte 16: lowest discernible value {found} is invalid: it must be at least 1, and \
         small enough that {digits} significant digits above it fit 63 bits"
    )]
    LowestDiscernibleValue {
        /// The value read.
        found: u64,
        /// The significant digits of the same header.
        digits: u32,
    },
    /// The highest trackable value (bytes 24..32) is below twice the lowest discernible
    /// value.
    #[error(
        "byte 24: highest trackable value {found} is below twice the lowest discernible \
         value {lowest}"
    )]
    HighestTrackableValue {
        /// The value read.
        found: u64,
        /// The lowest discernible value of the same header.
        lowest: u64,
    },
    /// The integer-to-double ratio (bytes 32..40) is not 1: the counts belong to a
    /// `DoubleHistogram`, whose values are scaled.
    #[error(
        "byte 32: integer-to-double conversion ratio {found} is not 1: the histogram holds \
         scaled floating-point values"
    )]
    IntegerToDoubleRatio {
        /// The ratio read.
        found: f64,
    },
    /// A count's varint runs past the end of the payload.
    #[error("byte {offset}: the count there runs past the end of the payload at byte {end}")]
    CountTruncated {
        /// Where the count starts.
        offset: usize,
        /// Where the payload ends.
        end: usize,
    },
    /// A non-zero count lies beyond the buckets of the header's value range.
    #[error(
        "byte {offset}: a count for bucket {index}, beyond the {len} buckets of the header's \
         value range"
    )]
    CountOutOfRange {
        /// Where the count starts.
        offset: usize,
        /// The bucket (counts-array) index it is for.
        index: u64,
        /// How many buckets the header's range has.
        len: u64,
    },
    /// The counts add up to more than `u64::MAX`.
    #[error("byte {offset}: the total count passes u64::MAX with the count there")]
    CountOverflow {
        /// Where the count that overflowed starts.
        offset: usize,
    },
    /// Bytes follow the encoded histogram ([`Histogram::from_hdr_v2_prefix`] reads one
    /// histogram from the start of a longer input).
    #[error("byte {offset}: {len} bytes follow the encoded histogram")]
    TrailingBytes {
        /// Where the encoded histogram ends.
        offset: usize,
        /// How many bytes follow it.
        len: usize,
    },
}

fn field<const N: usize>(
    bytes: &[u8],
    offset: usize,
    what: &'static str,
) -> Result<[u8; N], HdrError> {
    bytes
        .get(offset..offset + N)
        .and_then(|b| b.try_into().ok())
        .ok_or(HdrError::Truncated {
            what,
            offset,
            needed: N,
            available: bytes.len().saturating_sub(offset),
        })
}

fn be_u32(bytes: &[u8], offset: usize, what: &'static str) -> Result<u32, HdrError> {
    field(bytes, offset, what).map(u32::from_be_bytes)
}

fn be_u64(bytes: &[u8], offset: usize, what: &'static str) -> Result<u64, HdrError> {
    field(bytes, offset, what).map(u64::from_be_bytes)
}

/// Appends a run of `n` empty buckets as HdrHistogram writes it.
fn write_zeros(out: &mut Vec<u8>, n: u64) {
    match n {
        0 => {}
        // A single empty bucket is a zero count.
        1 => varint::write(out, varint::zigzag_encode(0)),
        // At most the number of buckets (below 2^24), so the negation fits.
        n => varint::write(
            out,
            varint::zigzag_encode(-i64::try_from(n).unwrap_or(i64::MAX)),
        ),
    }
}

impl Histogram {
    /// This histogram in HdrHistogram's V2 encoding (see "HdrHistogram V2" on
    /// [`Histogram`] for the fields): readable by every HdrHistogram implementation, and by
    /// [`from_hdr_v2`](Self::from_hdr_v2).
    ///
    /// Precision 0, 4, 7 (the default) and 10 are HdrHistogram layouts (0, 1, 2 and 3
    /// significant digits) and are written exactly; other precisions are written with the
    /// next finer layout, each count at its bucket's representative value. The exact
    /// min/max/sum are not part of the format.
    ///
    /// ```
    /// use perfkit_profile::Histogram;
    ///
    /// let h: Histogram = [1_200, 1_350, 9_800].into_iter().collect();
    /// let bytes = h.to_hdr_v2();
    /// assert_eq!(bytes[..4], [0x1c, 0x84, 0x93, 0x13]); // the V2 cookie
    /// let back = Histogram::from_hdr_v2(&bytes)?;
    /// assert!(back.iter().eq(h.iter())); // the same buckets, the same counts
    /// # Ok::<(), perfkit_profile::HdrError>(())
    /// ```
    #[must_use]
    pub fn to_hdr_v2(&self) -> Vec<u8> {
        let digits = digits_for(self.precision());
        let half = HALF_COUNT_MAGNITUDE[digits as usize];
        let highest = match self.max() {
            Some(max) if max > i64::MAX as u64 => u64::MAX,
            // Java's Long.MAX_VALUE: every HdrHistogram implementation can read it.
            _ => i64::MAX as u64,
        };
        let mut out = Vec::with_capacity(HEADER_LEN + 64);
        out.extend(V2_COOKIE.to_be_bytes());
        out.extend([0; 4]); // the payload length, filled in below
        out.extend(0u32.to_be_bytes()); // normalizing index offset
        out.extend(digits.to_be_bytes());
        out.extend(1u64.to_be_bytes()); // lowest discernible value
        out.extend(highest.to_be_bytes());
        out.extend(1.0f64.to_be_bytes()); // integer-to-double conversion ratio
        let mut next = 0u64; // the first index not written yet
        for bucket in self.iter() {
            // Ascending and distinct: finer buckets nest inside perfkit's.
            let index = bucket_index(bucket.representative(), half) as u64;
            write_zeros(&mut out, index - next);
            let count = i64::try_from(bucket.count).unwrap_or(i64::MAX);
            varint::write(&mut out, varint::zigzag_encode(count));
            next = index + 1;
        }
        if next == 0 {
            // Empty: HdrHistogram writes the counts up to the index of its max, 0.
            varint::write(&mut out, 0);
        }
        let payload = u32::try_from(out.len() - HEADER_LEN).unwrap_or(u32::MAX);
        out[4..8].copy_from_slice(&payload.to_be_bytes());
        out
    }

    /// Reads a histogram in HdrHistogram's V2 encoding (or, with the `deflate` feature, V2 +
    /// DEFLATE), written by [`to_hdr_v2`](Self::to_hdr_v2) or any HdrHistogram
    /// implementation; the input must hold exactly one.
    ///
    /// The result has precision `min(h, 12)`, where `h` is the header's sub-bucket
    /// half-count magnitude (7 for 2 significant digits, 10 for 3); each count is recorded at
    /// its bucket's median-equivalent value, so min, max and sum are those of the bucket
    /// representatives (the format does not keep the exact ones).
    ///
    /// # Errors
    ///
    /// An [`HdrError`] naming what is wrong and at which byte: an unknown cookie, a
    /// truncated header or payload, a header HdrHistogram itself rejects, a count beyond the
    /// header's range, counts adding up past `u64::MAX`, trailing bytes. Never panics.
    ///
    /// ```
    /// use perfkit_profile::{HdrError, Histogram};
    ///
    /// let mut bytes = Histogram::new().to_hdr_v2();
    /// bytes.truncate(30);
    /// assert_eq!(
    ///     Histogram::from_hdr_v2(&bytes),
    ///     Err(HdrError::Truncated {
    ///         what: "highest trackable value",
    ///         offset: 24,
    ///         needed: 8,
    ///         available: 6
    ///     })
    /// );
    /// ```
    pub fn from_hdr_v2(bytes: &[u8]) -> Result<Self, HdrError> {
        let (h, used) = Self::from_hdr_v2_prefix(bytes)?;
        if used < bytes.len() {
            return Err(HdrError::TrailingBytes {
                offset: used,
                len: bytes.len() - used,
            });
        }
        Ok(h)
    }

    /// Reads one V2 (or V2 + DEFLATE) histogram from the start of `bytes`, which may hold
    /// more after it; returns it with the number of bytes it took. See
    /// [`from_hdr_v2`](Self::from_hdr_v2).
    ///
    /// # Errors
    ///
    /// As [`from_hdr_v2`](Self::from_hdr_v2), except that bytes after the histogram are
    /// allowed.
    ///
    /// ```
    /// use perfkit_profile::Histogram;
    ///
    /// // Two histograms back to back.
    /// let (a, b): (Histogram, Histogram) = ((1..=10).collect(), (100..=200).collect());
    /// let mut bytes = a.to_hdr_v2();
    /// bytes.extend(b.to_hdr_v2());
    /// let (first, used) = Histogram::from_hdr_v2_prefix(&bytes)?;
    /// let second = Histogram::from_hdr_v2(&bytes[used..])?;
    /// assert_eq!((first.len(), second.len()), (10, 101));
    /// # Ok::<(), perfkit_profile::HdrError>(())
    /// ```
    pub fn from_hdr_v2_prefix(bytes: &[u8]) -> Result<(Self, usize), HdrError> {
        let cookie = be_u32(bytes, 0, "cookie")?;
        match cookie & !0xf0 {
            V2_COOKIE_BASE => decode_v2(bytes),
            V2_COMPRESSED_COOKIE_BASE => decode_compressed(bytes, cookie),
            _ => Err(HdrError::UnknownCookie { found: cookie }),
        }
    }

    /// This histogram in HdrHistogram's compressed "V2 + DEFLATE" encoding (cookie
    /// `0x1c849314`, a 4-byte length, then the zlib stream of [`to_hdr_v2`](Self::to_hdr_v2)'s
    /// bytes): the form `.hlog` interval logs hold, base64-encoded.
    ///
    /// ```
    /// use perfkit_profile::Histogram;
    ///
    /// let h: Histogram = (0..100_000).collect();
    /// let compressed = h.to_hdr_v2_deflate();
    /// assert!(compressed.len() < h.to_hdr_v2().len() / 10);
    /// assert!(Histogram::from_hdr_v2(&compressed)?.iter().eq(h.iter()));
    /// # Ok::<(), perfkit_profile::HdrError>(())
    /// ```
    #[cfg(feature = "deflate")]
    #[cfg_attr(docsrs, doc(cfg(feature = "deflate")))]
    #[must_use]
    pub fn to_hdr_v2_deflate(&self) -> Vec<u8> {
        let compressed = deflate::compress(&self.to_hdr_v2());
        let mut out = Vec::with_capacity(8 + compressed.len());
        out.extend(V2_COMPRESSED_COOKIE.to_be_bytes());
        out.extend(
            u32::try_from(compressed.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        out.extend(compressed);
        out
    }
}

/// Decodes a plain V2 histogram at the start of `bytes` (its cookie already checked).
fn decode_v2(bytes: &[u8]) -> Result<(Histogram, usize), HdrError> {
    let payload_len = be_u32(bytes, 4, "payload length")? as usize;
    let offset = be_u32(bytes, 8, "normalizing index offset")?;
    let digits = be_u32(bytes, 12, "significant digits")?;
    let lowest = be_u64(bytes, 16, "lowest discernible value")?;
    let highest = be_u64(bytes, 24, "highest trackable value")?;
    let ratio = f64::from_bits(be_u64(bytes, 32, "integer-to-double ratio")?);
    if offset != 0 {
        return Err(HdrError::NormalizingIndexOffset {
            found: offset as i32,
        });
    }
    let layout = Layout::new(digits, lowest, highest)?;
    if ratio.to_bits() != 1.0f64.to_bits() {
        return Err(HdrError::IntegerToDoubleRatio { found: ratio });
    }
    let available = bytes.len() - HEADER_LEN;
    if payload_len > available {
        return Err(HdrError::Truncated {
            what: "payload",
            offset: HEADER_LEN,
            needed: payload_len,
            available,
        });
    }
    let end = HEADER_LEN + payload_len;
    let mut h = Histogram::with_precision(layout.half.min(MAX_PRECISION));
    let (mut pos, mut index, mut total) = (HEADER_LEN, 0u64, 0u64);
    while pos < end {
        let at = pos;
        let (zigzag, len) =
            varint::read(&bytes[pos..end]).ok_or(HdrError::CountTruncated { offset: at, end })?;
        pos += len;
        let count = varint::zigzag_decode(zigzag);
        if count < 0 {
            // A run of empty buckets.
            index = index.saturating_add(count.unsigned_abs());
            continue;
        }
        let count = count.unsigned_abs();
        if count > 0 {
            let out_of_range = HdrError::CountOutOfRange {
                offset: at,
                index,
                len: layout.len,
            };
            if index >= layout.len {
                return Err(out_of_range);
            }
            let value = layout.median(index).ok_or(out_of_range)?;
            total = total
                .checked_add(count)
                .ok_or(HdrError::CountOverflow { offset: at })?;
            h.record_n(value, count);
        }
        index = index.saturating_add(1);
    }
    Ok((h, end))
}

/// Decodes a V2 + DEFLATE histogram at the start of `bytes` (its cookie already checked).
#[cfg(feature = "deflate")]
fn decode_compressed(bytes: &[u8], _cookie: u32) -> Result<(Histogram, usize), HdrError> {
    let len = be_u32(bytes, 4, "compressed length")? as usize;
    let available = bytes.len() - 8;
    if len > available {
        return Err(HdrError::Truncated {
            what: "compressed data",
            offset: 8,
            needed: len,
            available,
        });
    }
    let end = 8 + len;
    let inflated = deflate::decompress(&bytes[8..end]).map_err(|reason| HdrError::Inflate {
        offset: 8,
        end,
        reason,
    })?;
    let inner = || -> Result<Histogram, HdrError> {
        let cookie = be_u32(&inflated, 0, "cookie")?;
        if cookie & !0xf0 != V2_COOKIE_BASE {
            return Err(HdrError::UnknownCookie { found: cookie });
        }
        let (h, used) = decode_v2(&inflated)?;
        if used < inflated.len() {
            return Err(HdrError::TrailingBytes {
                offset: used,
                len: inflated.len() - used,
            });
        }
        Ok(h)
    };
    let h = inner().map_err(|e| HdrError::Decompressed(Box::new(e)))?;
    Ok((h, end))
}

#[cfg(not(feature = "deflate"))]
fn decode_compressed(_bytes: &[u8], cookie: u32) -> Result<(Histogram, usize), HdrError> {
    Err(HdrError::CompressionNotEnabled { found: cookie })
}
