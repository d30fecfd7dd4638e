//! Zero-copy frames: a 16-byte big-endian header read in place, a payload checked by CRC32C.
//!
//! ```text
//! offset  size  field
//!      0     4  magic        "PKF1" (0x504b4631)
//!      4     1  version      1
//!      5     1  kind         free for the application
//!      6     2  flags        free for the application
//!      8     4  payload_len  bytes of payload after the header
//!     12     4  checksum     CRC32C of the payload
//!     16     …  payload
//! ```
//!
//! # Why this module
//!
//! Parsing a header should cost a bounds check and a few compares, not a copy: [`FrameHeader`]
//! derives zerocopy's `FromBytes`/`Unaligned`, so [`parse`] reads it straight out of the input
//! at any alignment, and the [`Frame`] it returns borrows header and payload. The checks run
//! in an order that keeps hostile input cheap: magic and version first, then the declared
//! length against [`Limits`] (before anything waits for or allocates the payload), then the
//! length against the input, then the CRC32C ([`crate::crc32c`], SSE4.2 when available).
//!
//! For byte streams (sockets, pipes, files read in pieces), [`FrameReader`] buffers what it is
//! given and tells apart "the next frame is not complete yet" ([`FrameError::Incomplete`],
//! with how many bytes are still needed) from corruption, which it reports with the stream
//! offset and then skips, resynchronising on the next magic.
//!
//! ```
//! use perfkit_encoding::frame::{self, FrameReader, Limits};
//! use perfkit_encoding::FrameError;
//!
//! let mut wire = Vec::new();
//! frame::write(&mut wire, 1, 0, b"hello")?;
//! wire.extend_from_slice(b"noise");
//! frame::write(&mut wire, 2, 0, b"world")?;
//!
//! let mut reader = FrameReader::new(Limits::default());
//! reader.push(&wire[..18]); // the header and 2 of the 5 payload bytes
//! assert_eq!(reader.next_frame().unwrap_err(), FrameError::Incomplete { needed: 3 });
//! reader.push(&wire[18..]);
//! assert_eq!(reader.next_frame()?.payload, b"hello");
//! assert_eq!(reader.next_frame().unwrap_err(), FrameError::Garbage { offset: 21, len: 5 });
//! assert_eq!(reader.next_frame()?.payload, b"world");
//! # Ok::<(), FrameError>(())
//! ```

use alloc::vec::Vec;

use zerocopy::big_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::FrameError;
use crate::crc32c::crc32c;

/// The first four bytes of every frame: `"PKF1"`.
pub const MAGIC: u32 = u32::from_be_bytes(*b"PKF1");
/// The header version this crate writes and reads.
pub const VERSION: u8 = 1;
/// Size of [`FrameHeader`] in bytes.
pub const HEADER_LEN: usize = core::mem::size_of::<FrameHeader>();

/// The frame header, read in place from the input (any alignment, big-endian fields).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
)]
#[repr(C)]
pub struct FrameHeader {
    /// Always [`MAGIC`].
    pub magic: U32,
    /// Always [`VERSION`].
    pub version: u8,
    /// Application-defined frame type.
    pub kind: u8,
    /// Application-defined flags.
    pub flags: U16,
    /// Payload length in bytes.
    pub payload_len: U32,
    /// CRC32C of the payload.
    pub checksum: U32,
}

const _: () = assert!(HEADER_LEN == 16);

/// A parsed, verified frame borrowing its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The header, in place in the input.
    pub header: &'a FrameHeader,
    /// The payload, in place in the input; its CRC32C matched the header.
    pub payload: &'a [u8],
}

/// Limits enforced before a frame's payload is waited for, allocated or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest payload accepted, in bytes (default 16 MiB).
    pub max_payload: u32,
}

impl Limits {
    /// The default limits: payloads up to 16 MiB.
    pub const DEFAULT: Limits = Limits {
        max_payload: 16 << 20,
    };

    /// Limits with the given largest payload.
    #[must_use]
    pub const fn with_max_payload(max_payload: u32) -> Limits {
        Limits { max_payload }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Checks the first bytes of a header that is not complete yet (a prefix of magic + version).
#[cold]
#[inline(never)]
fn check_partial_header(input: &[u8]) -> FrameError {
    let expected = MAGIC.to_be_bytes();
    let n = input.len().min(4);
    if input[..n] != expected[..n] {
        let mut found = [0u8; 4];
        found[..n].copy_from_slice(&input[..n]);
        return FrameError::BadMagic {
            offset: 0,
            found: u32::from_be_bytes(found),
        };
    }
    if let Some(&version) = input.get(4)
        && version != VERSION
    {
        return FrameError::UnsupportedVersion { offset: 0, version };
    }
    FrameError::Incomplete {
        needed: HEADER_LEN - input.len(),
    }
}

/// Magic and version as the low five bytes of a little-endian load of the header.
const MAGIC_VERSION: u64 = u32::from_be(MAGIC) as u64 | (VERSION as u64) << 32;

/// Reads and validates a header at the start of `input` (magic, version, declared length
/// against `limits`), without looking at the payload.
///
/// The success path is the zerocopy cast plus two fused compare-and-branches: magic and
/// version together as the first five bytes of one 8-byte load, then the length. Which check
/// failed is worked out by a cold function, so the hot path never merges with the error path
/// (a caller's loop keeps the length it just loaded, and `?`/`unwrap` on the result see a
/// known error variant). Two alternatives measured slower in a loop over back-to-back headers
/// (x86-64, Zen 3): one branch on the OR of the magic/version difference and the length
/// excess (the extra shift, subtract and OR cost more than the predicted branch they save),
/// and separate 4-byte magic and 1-byte version compares against memory (four loads a header
/// instead of two, and a speed that varied from run to run).
///
/// # Errors
///
/// [`FrameError::Incomplete`] when `input` is a valid prefix shorter than a header;
/// [`FrameError::BadMagic`], [`FrameError::UnsupportedVersion`],
/// [`FrameError::PayloadTooLarge`] (offsets are 0: relative to `input`), checked in that order.
#[inline]
pub fn parse_header<'a>(input: &'a [u8], limits: &Limits) -> Result<&'a FrameHeader, FrameError> {
    let Ok((header, _)) = FrameHeader::ref_from_prefix(input) else {
        return Err(check_partial_header(input));
    };
    let (head, _) = zerocopy::little_endian::U64::read_from_prefix(header.as_bytes())
        .unwrap_or_else(|_| unreachable!("a header is 16 bytes"));
    // Shifting out the top three bytes (kind, flags) leaves magic and version.
    if (head.get() ^ MAGIC_VERSION) << 24 != 0 || header.payload_len.get() > limits.max_payload {
        // Built here from a field-less fault so that the variant is a constant at the caller.
        return Err(match header_fault(header, limits) {
            HeaderFault::Magic => FrameError::BadMagic {
                offset: 0,
                found: header.magic.get(),
            },
            HeaderFault::Version => FrameError::UnsupportedVersion {
                offset: 0,
                version: header.version,
            },
            HeaderFault::TooLarge => FrameError::PayloadTooLarge {
                offset: 0,
                len: u64::from(header.payload_len.get()),
                max: limits.max_payload,
            },
        });
    }
    Ok(header)
}

/// The first check a complete header fails, in [`parse_header`]'s order.
#[derive(Clone, Copy)]
enum HeaderFault {
    Magic,
    Version,
    TooLarge,
}

/// Which check a complete header failed (called only after [`parse_header`]'s fast check
/// failed, so one of them did).
#[cold]
#[inline(never)]
fn header_fault(header: &FrameHeader, limits: &Limits) -> HeaderFault {
    if header.magic.get() != MAGIC {
        HeaderFault::Magic
    } else if header.version != VERSION {
        HeaderFault::Version
    } else {
        debug_assert!(header.payload_len.get() > limits.max_payload);
        HeaderFault::TooLarge
    }
}

/// Parses and verifies one frame at the start of `input`; returns it and the bytes it takes.
///
/// # Errors
///
/// [`FrameError::Incomplete`] when `input` is a valid prefix of a frame (with how many more
/// bytes are needed at least); otherwise the first check that fails, in this order: magic,
/// version, declared length over `limits`, checksum. Offsets are 0 (relative to `input`).
#[inline]
pub fn parse<'a>(input: &'a [u8], limits: &Limits) -> Result<(Frame<'a>, usize), FrameError> {
    let header = parse_header(input, limits)?;
    let len = header.payload_len.get() as usize;
    let rest = &input[HEADER_LEN..];
    let Some(payload) = rest.get(..len) else {
        return Err(FrameError::Incomplete {
            needed: len - rest.len(),
        });
    };
    let actual = crc32c(payload);
    if actual != header.checksum.get() {
        return Err(FrameError::ChecksumMismatch {
            offset: 0,
            expected: header.checksum.get(),
            actual,
        });
    }
    Ok((Frame { header, payload }, HEADER_LEN + len))
}

/// Appends a frame with the given kind, flags and payload to `out`; returns the bytes written.
///
/// # Errors
///
/// [`FrameError::PayloadTooLarge`] when the payload does not fit the 32-bit length field
/// (nothing is written then).
pub fn write(out: &mut Vec<u8>, kind: u8, flags: u16, payload: &[u8]) -> Result<usize, FrameError> {
    let Ok(len) = u32::try_from(payload.len()) else {
        return Err(FrameError::PayloadTooLarge {
            offset: out.len() as u64,
            len: payload.len() as u64,
            max: u32::MAX,
        });
    };
    let header = FrameHeader {
        magic: U32::new(MAGIC),
        version: VERSION,
        kind,
        flags: U16::new(flags),
        payload_len: U32::new(len),
        checksum: U32::new(crc32c(payload)),
    };
    out.reserve(HEADER_LEN + payload.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    Ok(HEADER_LEN + payload.len())
}

/// Moves a [`parse`] error (offset 0) to stream offset `at`.
fn at_offset(err: FrameError, at: u64) -> FrameError {
    match err {
        FrameError::BadMagic { found, .. } => FrameError::BadMagic { offset: at, found },
        FrameError::UnsupportedVersion { version, .. } => FrameError::UnsupportedVersion {
            offset: at,
            version,
        },
        FrameError::PayloadTooLarge { len, max, .. } => FrameError::PayloadTooLarge {
            offset: at,
            len,
            max,
        },
        FrameError::ChecksumMismatch {
            expected, actual, ..
        } => FrameError::ChecksumMismatch {
            offset: at,
            expected,
            actual,
        },
        FrameError::Garbage { len, .. } => FrameError::Garbage { offset: at, len },
        other @ FrameError::Incomplete { .. } => other,
    }
}

/// Where the next frame magic (or a prefix of it at the very end) starts in `bytes`, searching
/// from index 1; `bytes.len()` when there is none.
fn resync_point(bytes: &[u8]) -> usize {
    let magic = MAGIC.to_be_bytes();
    (1..bytes.len())
        .find(|&i| {
            let tail = &bytes[i..];
            let n = tail.len().min(4);
            tail[..n] == magic[..n]
        })
        .unwrap_or(bytes.len())
}

/// Reads frames from a byte stream delivered in pieces.
///
/// [`push`](Self::push) bytes as they arrive and call [`next_frame`](Self::next_frame) until
/// it returns [`FrameError::Incomplete`]. Corruption is reported once and skipped, so the
/// next call continues with the following frame; every byte of the stream ends up either in a
/// returned frame or in a reported error:
///
/// - bytes that do not start with the magic: one [`FrameError::Garbage`] for the whole span up
///   to the next magic;
/// - a bad version or a declared length over the limit: that error, then the reader skips the
///   four magic bytes and resynchronises;
/// - a checksum mismatch: that error, then the whole frame (header and declared payload) is
///   skipped.
///
/// The buffer holds at most one frame plus what the caller pushed beyond it; a declared
/// length over [`Limits::max_payload`] is rejected before the reader asks for the payload.
#[derive(Debug, Clone, Default)]
pub struct FrameReader {
    /// Bytes received; `buf[start..]` are not consumed yet.
    buf: Vec<u8>,
    /// First unconsumed byte in `buf` (invariant: `start <= buf.len()`).
    start: usize,
    /// Stream offset of `buf[start]`.
    offset: u64,
    limits: Limits,
}

impl FrameReader {
    /// An empty reader enforcing `limits`.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        FrameReader {
            buf: Vec::new(),
            start: 0,
            offset: 0,
            limits,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        debug_assert!(self.start <= self.buf.len());
        // Drop consumed bytes once they are the larger part of the buffer.
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned or skipped.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Stream offset of the next unconsumed byte.
    #[must_use]
    pub fn stream_offset(&self) -> u64 {
        self.offset
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.offset += n as u64;
        debug_assert!(self.start <= self.buf.len());
    }

    /// The next frame, or why there is none yet.
    ///
    /// # Errors
    ///
    /// [`FrameError::Incomplete`] when more bytes are needed (nothing is consumed); any other
    /// error reports corruption at a stream offset, which has been skipped (see the type docs).
    pub fn next_frame(&mut self) -> Result<Frame<'_>, FrameError> {
        let at = self.offset;
        let avail = &self.buf[self.start..];
        match parse(avail, &self.limits) {
            Ok((_, used)) => {
                let begin = self.start;
                self.start += used;
                self.offset += used as u64;
                let (frame, _) = parse(&self.buf[begin..begin + used], &self.limits)
                    .unwrap_or_else(|_| unreachable!("a frame that parsed once parses again"));
                Ok(frame)
            }
            Err(e @ FrameError::Incomplete { .. }) => Err(e),
            Err(FrameError::BadMagic { .. }) => {
                let skip = resync_point(avail);
                if skip == 0 {
                    return Err(FrameError::Incomplete { needed: HEADER_LEN });
                }
                self.consume(skip);
                Err(FrameError::Garbage {
                    offset: at,
                    len: skip as u64,
                })
            }
            Err(e @ FrameError::ChecksumMismatch { .. }) => {
                let declared = FrameHeader::ref_from_prefix(avail)
                    .map_or(0, |(h, _)| h.payload_len.get() as usize);
                self.consume(HEADER_LEN + declared);
                Err(at_offset(e, at))
            }
            Err(e) => {
                self.consume(avail.len().min(4));
                Err(at_offset(e, at))
            }
        }
    }
}
