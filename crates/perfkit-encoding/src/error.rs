//! The error types: one enum per concern, each variant saying what was wrong and where.

/// Why a varint or Stream VByte decoder rejected its input.
///
/// Every variant carries the byte offset (from the start of the slice given to the decoder)
/// of the value that could not be decoded, so a caller can point at the bad byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ends inside the value that starts at `offset` (or, for an empty input,
    /// before any value at all).
    #[error("input ends inside the value that starts at byte {offset}")]
    Truncated {
        /// Offset of the first byte of the incomplete value.
        offset: u64,
    },
    /// A varint has more bytes than its type allows (10 for `u64`, 5 for `u32`).
    #[error("varint at byte {offset} is longer than {max_len} bytes")]
    Overlong {
        /// Offset of the varint's first byte.
        offset: u64,
        /// The most bytes a varint of the requested type may have.
        max_len: u8,
    },
    /// A 10-byte varint whose last byte is greater than 1: the value needs more than 64 bits.
    #[error(
        "varint at byte {offset} overflows u64 (its 10th byte is {last_byte:#04x}, at most 0x01 fits)"
    )]
    Overflow {
        /// Offset of the varint's first byte.
        offset: u64,
        /// The offending 10th byte.
        last_byte: u8,
    },
    /// A varint decoded as `u32` whose value needs more than 32 bits (its 5th byte is
    /// greater than `0x0f`).
    #[error(
        "varint at byte {offset} overflows u32 (its 5th byte is {last_byte:#04x}, at most 0x0f fits)"
    )]
    OverflowU32 {
        /// Offset of the varint's first byte.
        offset: u64,
        /// The offending 5th byte.
        last_byte: u8,
    },
    /// Strict mode only: a varint with redundant trailing zero groups (its last byte is
    /// `0x00` although it has more than one byte), so the same value has a shorter encoding.
    #[error("varint at byte {offset} is not minimal ({len} bytes where fewer suffice)")]
    NonCanonical {
        /// Offset of the varint's first byte.
        offset: u64,
        /// Its length in bytes.
        len: u8,
    },
    /// A length-prefixed block (a Stream VByte stream) needs more bytes than the input has.
    #[error("block needs {needed} bytes but the input has {available}")]
    InputTooShort {
        /// Bytes the control bytes (or the value count) call for.
        needed: usize,
        /// Bytes the input has.
        available: usize,
    },
}

impl DecodeError {
    /// The byte offset the error reports (for [`DecodeError::InputTooShort`], the input length).
    #[must_use]
    pub const fn offset(&self) -> u64 {
        match *self {
            Self::Truncated { offset }
            | Self::Overlong { offset, .. }
            | Self::Overflow { offset, .. }
            | Self::OverflowU32 { offset, .. }
            | Self::NonCanonical { offset, .. } => offset,
            Self::InputTooShort { available, .. } => available as u64,
        }
    }

    /// The same error with its offset moved `by` bytes later: for a caller that decoded
    /// `input[by..]` and reports positions in `input`. [`DecodeError::InputTooShort`] (which
    /// speaks of lengths, not positions) is returned unchanged.
    #[must_use]
    pub const fn shifted(self, by: usize) -> Self {
        // A `usize` always fits in a `u64` on the targets Rust supports.
        let by = by as u64;
        match self {
            Self::Truncated { offset } => Self::Truncated {
                offset: offset + by,
            },
            Self::Overlong { offset, max_len } => Self::Overlong {
                offset: offset + by,
                max_len,
            },
            Self::Overflow { offset, last_byte } => Self::Overflow {
                offset: offset + by,
                last_byte,
            },
            Self::OverflowU32 { offset, last_byte } => Self::OverflowU32 {
                offset: offset + by,
                last_byte,
            },
            Self::NonCanonical { offset, len } => Self::NonCanonical {
                offset: offset + by,
                len,
            },
            other @ Self::InputTooShort { .. } => other,
        }
    }
}

/// Why a frame could not be parsed.
///
/// [`FrameError::Incomplete`] is not corruption: the bytes seen so far are a valid prefix of a
/// frame and more are needed. Every other variant means the bytes at `offset` are not a valid
/// frame ([`FrameError::is_corrupt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The input is a valid prefix of a frame; at least `needed` more bytes are required.
    #[error("incomplete frame: {needed} more bytes needed")]
    Incomplete {
        /// How many more bytes are needed at least.
        needed: usize,
    },
    /// The header does not start with the frame magic.
    #[error("bad frame magic {found:#010x} at byte {offset}")]
    BadMagic {
        /// Offset of the header.
        offset: u64,
        /// The four bytes found instead, read big-endian.
        found: u32,
    },
    /// The header's version is not one this crate reads.
    #[error("unsupported frame version {version} at byte {offset}")]
    UnsupportedVersion {
        /// Offset of the header.
        offset: u64,
        /// The version found.
        version: u8,
    },
    /// The header declares a payload larger than [`Limits::max_payload`](crate::frame::Limits).
    #[error("frame at byte {offset} declares a {len}-byte payload, over the {max}-byte limit")]
    PayloadTooLarge {
        /// Offset of the header.
        offset: u64,
        /// The declared payload length.
        len: u64,
        /// The limit in force.
        max: u32,
    },
    /// The payload's CRC32C does not match the header's checksum.
    #[error(
        "frame at byte {offset} fails its checksum (header says {expected:#010x}, payload has {actual:#010x})"
    )]
    ChecksumMismatch {
        /// Offset of the header.
        offset: u64,
        /// The checksum stored in the header.
        expected: u32,
        /// The checksum of the payload as received.
        actual: u32,
    },
    /// [`FrameReader`](crate::frame::FrameReader) skipped `len` bytes starting at `offset`
    /// that were not a frame, and resynchronised on the next frame magic.
    #[error("skipped {len} bytes of garbage at byte {offset}")]
    Garbage {
        /// Stream offset of the first skipped byte.
        offset: u64,
        /// How many bytes were skipped.
        len: u64,
    },
}

impl FrameError {
    /// `true` for [`FrameError::Incomplete`]: wait for more bytes, nothing is wrong yet.
    #[must_use]
    pub const fn is_incomplete(&self) -> bool {
        matches!(self, Self::Incomplete { .. })
    }

    /// `true` for every variant that means the bytes are not a valid frame.
    #[must_use]
    pub const fn is_corrupt(&self) -> bool {
        !self.is_incomplete()
    }
}
