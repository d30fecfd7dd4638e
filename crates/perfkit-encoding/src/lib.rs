//! Hardened, fast integer and frame codecs: LEB128 varints, zigzag, Stream VByte (with
//! delta coding) and zero-copy frames checked by CRC32C.
//!
//! Decoding untrusted bytes is where speed work usually cuts corners. Every decoder here
//! returns a typed error that says what was wrong and at which byte ([`DecodeError`],
//! [`FrameError`]); no input makes one panic, read out of bounds, or allocate more than the
//! input justifies. Within those rules each codec takes the fastest path this CPU has: the
//! SIMD levels (SSE4.1, AVX2, AVX-512) are detected once and every level gives exactly the
//! same result as the portable code.
//!
//! - [`varint`]: LEB128 (protobuf) varints, single and batch, zigzag for signed values.
//! - [`stream_vbyte`]: Stream VByte for `u32` columns, plain or delta-coded.
//! - [`frame`]: a 16-byte big-endian header read in place with zerocopy, payload CRC32C,
//!   and a [`frame::FrameReader`] for byte streams.
//! - [`crc32c`]: CRC32C (Castagnoli) with the SSE4.2 instruction or tables.
//!
//! `no_std` + `alloc`; the default `std` feature only adds runtime CPU detection.
//!
//! ```
//! use perfkit_encoding::{frame, stream_vbyte, varint};
//!
//! // A column of sorted timestamps: delta + Stream VByte, wrapped in a checked frame.
//! let stamps: Vec<u32> = (0..1000).map(|i| 1_700_000_000 + i * 15).collect();
//! let mut payload = Vec::new();
//! varint::encode_u64_to(stamps.len() as u64, &mut payload);
//! stream_vbyte::encode_delta(&stamps, &mut payload);
//!
//! let mut wire = Vec::new();
//! frame::write(&mut wire, 7, 0, &payload)?;
//!
//! let (frame, used) = frame::parse(&wire, &frame::Limits::default())?;
//! assert_eq!((frame.header.kind, used), (7, wire.len()));
//! let (count, n) = varint::decode_u64(frame.payload)?;
//! let mut back = Vec::new();
//! stream_vbyte::decode_delta(&frame.payload[n..], count as usize, &mut back)?;
//! assert_eq!(back, stamps);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
// On docs.rs (and in .ci/run's nightly doc build), both built with `--cfg docsrs`, every
// feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod crc32c;
mod dispatch;
mod error;
pub mod frame;
pub mod stream_vbyte;
pub mod varint;

pub use dispatch::{Level, Simd};
pub use error::{DecodeError, FrameError};

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
