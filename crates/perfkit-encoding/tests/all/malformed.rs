//! Malformed inputs and the exact error each must give, on every level.

use perfkit_encoding::frame::{self, FrameReader, HEADER_LEN, Limits};
use perfkit_encoding::varint::{self, decode_u32, decode_u64, decode_u64_slice_with};
use perfkit_encoding::{DecodeError, FrameError, Level, Simd, stream_vbyte};

fn levels() -> impl Iterator<Item = Simd> {
    Level::available().map(|l| Simd::new(l).expect("available level"))
}

const MAX: [u8; 10] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];

#[test]
fn varint_table() {
    use DecodeError::*;
    let cases: &[(&str, &[u8], DecodeError)] = &[
        ("empty", &[], Truncated { offset: 0 }),
        ("lone continuation", &[0x80], Truncated { offset: 0 }),
        (
            "11-byte varint",
            &[
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
            ],
            Overlong {
                offset: 0,
                max_len: 10,
            },
        ),
        (
            "10th byte has continuation, input ends",
            &[0xff; 10],
            Overlong {
                offset: 0,
                max_len: 10,
            },
        ),
        (
            "10th byte 0x02",
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            Overflow {
                offset: 0,
                last_byte: 0x02,
            },
        ),
        (
            "10th byte 0x7f",
            &[
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f, 0, 0,
            ],
            Overflow {
                offset: 0,
                last_byte: 0x7f,
            },
        ),
    ];
    for (name, input, err) in cases {
        assert_eq!(decode_u64(input), Err(*err), "{name}");
        // Same error, shifted, after a valid varint in a batch, on every level.
        let mut shifted = vec![0x96, 0x01];
        shifted.extend_from_slice(input);
        shifted.extend_from_slice(
            &[0u8; 20][..if name.contains("ends") || input.is_empty() || name.contains("lone") {
                0
            } else {
                20
            }],
        );
        for simd in levels() {
            let mut out = vec![42];
            let got = decode_u64_slice_with(simd, &shifted, 2, &mut out);
            let want = match *err {
                Truncated { .. } => Truncated { offset: 2 },
                Overlong { max_len, .. } => Overlong { offset: 2, max_len },
                Overflow { last_byte, .. } => Overflow {
                    offset: 2,
                    last_byte,
                },
                other => other,
            };
            assert_eq!(got, Err(want), "{name} {simd:?}");
            assert_eq!(out, [42], "output left as it was on error");
        }
    }
    assert_eq!(
        DecodeError::Overlong {
            offset: 17,
            max_len: 10
        }
        .to_string(),
        "varint at byte 17 is longer than 10 bytes"
    );
}

#[test]
fn truncated_at_every_byte() {
    for v in [128u64, 300, 1 << 20, 1 << 40, u64::MAX] {
        let mut bytes = Vec::new();
        varint::encode_u64_to(v, &mut bytes);
        for cut in 0..bytes.len() {
            assert_eq!(
                decode_u64(&bytes[..cut]),
                Err(DecodeError::Truncated { offset: 0 }),
                "{v} cut {cut}"
            );
        }
    }
    assert_eq!(bytes_of(&MAX), u64::MAX);
    // A batch cut at every byte of a long input fails exactly at the first incomplete value.
    let values = perfkit_testkit::varint_mix(200, 11);
    let mut bytes = Vec::new();
    varint::encode_u64_slice(&values, &mut bytes);
    let mut starts = vec![0usize];
    for &v in &values {
        starts.push(starts.last().unwrap() + varint::encoded_len_u64(v));
    }
    for cut in 0..bytes.len() {
        let first_incomplete = starts.iter().position(|&s| s > cut).unwrap() - 1;
        for simd in levels() {
            let got = decode_u64_slice_with(simd, &bytes[..cut], values.len(), &mut Vec::new());
            let want = if starts[first_incomplete] == cut {
                DecodeError::Truncated { offset: cut as u64 }
            } else {
                DecodeError::Truncated {
                    offset: starts[first_incomplete] as u64,
                }
            };
            assert_eq!(got, Err(want), "cut {cut} {simd:?}");
        }
    }
}

fn bytes_of(b: &[u8]) -> u64 {
    decode_u64(b).unwrap().0
}

#[test]
fn u32_table() {
    use DecodeError::*;
    let cases: &[(&str, &[u8], DecodeError)] = &[
        ("empty", &[], Truncated { offset: 0 }),
        ("truncated", &[0xff, 0xff], Truncated { offset: 0 }),
        (
            "u32 with a 6th byte",
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
            Overlong {
                offset: 0,
                max_len: 5,
            },
        ),
        (
            "u32 with a 6th byte, long input",
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0, 0, 0],
            Overlong {
                offset: 0,
                max_len: 5,
            },
        ),
        (
            "5th byte 0x10",
            &[0xff, 0xff, 0xff, 0xff, 0x10],
            OverflowU32 {
                offset: 0,
                last_byte: 0x10,
            },
        ),
        (
            "5th byte 0x10, long input",
            &[0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0],
            OverflowU32 {
                offset: 0,
                last_byte: 0x10,
            },
        ),
    ];
    for (name, input, err) in cases {
        assert_eq!(decode_u32(input), Err(*err), "{name}");
        for simd in levels() {
            let mut padded = input.to_vec();
            padded.resize(input.len() + if name.contains("long") { 32 } else { 0 }, 0);
            assert_eq!(
                varint::decode_u32_slice_with(simd, &padded, 1, &mut Vec::new()),
                Err(*err),
                "{name} {simd:?}"
            );
        }
    }
    assert_eq!(
        decode_u32(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
        Ok((u32::MAX, 5))
    );
}

#[test]
fn huge_count_allocates_only_what_input_justifies() {
    let mut out = Vec::new();
    assert_eq!(
        varint::decode_u64_slice(&[1, 2, 3], usize::MAX, &mut out),
        Err(DecodeError::Truncated { offset: 3 })
    );
    // At most the 3 values 3 bytes can hold (a non-empty Vec<u64> has room for 4 at least).
    assert!(out.capacity() <= 4, "capacity {}", out.capacity());
    let mut out32 = Vec::new();
    assert_eq!(
        stream_vbyte::decode(&[0; 64], usize::MAX / 2, &mut out32),
        Err(DecodeError::InputTooShort {
            needed: (usize::MAX / 2).div_ceil(4),
            available: 64
        })
    );
    assert_eq!(out32.capacity(), 0);
}

#[test]
fn stream_vbyte_table() {
    // Control bytes present but the data they describe is short: 4 values of 4 bytes need 16.
    let cases: &[(&str, &[u8], usize, DecodeError)] = &[
        (
            "no control bytes",
            &[],
            1,
            DecodeError::InputTooShort {
                needed: 1,
                available: 0,
            },
        ),
        (
            "data short",
            &[0xff, 1, 2, 3],
            4,
            DecodeError::InputTooShort {
                needed: 17,
                available: 4,
            },
        ),
        (
            "second control byte missing",
            &[0x00],
            5,
            DecodeError::InputTooShort {
                needed: 2,
                available: 1,
            },
        ),
        (
            "fifth value's data missing",
            &[0x00, 0x01, 1, 2, 3, 4, 5],
            5,
            DecodeError::InputTooShort {
                needed: 8,
                available: 7,
            },
        ),
    ];
    for (name, input, count, err) in cases {
        for simd in levels() {
            let mut out = Vec::new();
            assert_eq!(
                stream_vbyte::decode_with(simd, input, *count, &mut out),
                Err(*err),
                "{name}"
            );
            assert_eq!(
                stream_vbyte::decode_delta_with(simd, input, *count, &mut out),
                Err(*err),
                "{name}"
            );
            assert!(out.is_empty());
        }
    }
    // A long stream cut at every byte: always InputTooShort, never a panic or a partial result.
    let values = perfkit_testkit::varint_mix_u32(300, 5);
    let mut bytes = Vec::new();
    stream_vbyte::encode(&values, &mut bytes);
    for cut in 0..bytes.len() {
        for simd in levels() {
            let got = stream_vbyte::decode_with(simd, &bytes[..cut], values.len(), &mut Vec::new());
            assert!(
                matches!(got, Err(DecodeError::InputTooShort { available, .. }) if available == cut),
                "{cut}"
            );
        }
    }
}

fn one_frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    frame::write(&mut wire, 3, 0, payload).unwrap();
    wire
}

#[test]
fn frame_table() {
    let good = one_frame(b"payload bytes");
    let limits = Limits::default();

    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    let mut bad_version = good.clone();
    bad_version[4] = 2;
    let mut too_long = good.clone();
    too_long[8..12].copy_from_slice(&(limits.max_payload + 1).to_be_bytes());
    let mut past_buffer = good.clone();
    past_buffer[8..12].copy_from_slice(&100u32.to_be_bytes());
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 0x01;
    let actual = perfkit_encoding::crc32c::crc32c(&flipped[HEADER_LEN..]);

    let cases: Vec<(&str, &[u8], FrameError)> = vec![
        ("empty", &[], FrameError::Incomplete { needed: 16 }),
        (
            "half a header",
            &good[..8],
            FrameError::Incomplete { needed: 8 },
        ),
        (
            "header only",
            &good[..16],
            FrameError::Incomplete { needed: 13 },
        ),
        (
            "payload cut",
            &good[..good.len() - 1],
            FrameError::Incomplete { needed: 1 },
        ),
        (
            "bad magic",
            &bad_magic,
            FrameError::BadMagic {
                offset: 0,
                found: u32::from_be_bytes(*b"XKF1"),
            },
        ),
        (
            "bad magic, partial header",
            &bad_magic[..3],
            FrameError::BadMagic {
                offset: 0,
                found: u32::from_be_bytes(*b"XKF\0"),
            },
        ),
        (
            "wrong version",
            &bad_version,
            FrameError::UnsupportedVersion {
                offset: 0,
                version: 2,
            },
        ),
        (
            "length over the limit",
            &too_long,
            FrameError::PayloadTooLarge {
                offset: 0,
                len: u64::from(limits.max_payload) + 1,
                max: limits.max_payload,
            },
        ),
        (
            "length past the buffer",
            &past_buffer,
            FrameError::Incomplete { needed: 87 },
        ),
        (
            "checksum flipped",
            &flipped,
            FrameError::ChecksumMismatch {
                offset: 0,
                expected: perfkit_encoding::crc32c::crc32c(b"payload bytes"),
                actual,
            },
        ),
    ];
    for (name, input, err) in &cases {
        assert_eq!(
            frame::parse(input, &limits).map(|(_, n)| n),
            Err(*err),
            "{name}"
        );
    }
    // A tighter limit rejects the declared length before any payload arrives.
    assert_eq!(
        frame::parse(&good[..HEADER_LEN], &Limits::with_max_payload(4)),
        Err(FrameError::PayloadTooLarge {
            offset: 0,
            len: 13,
            max: 4
        })
    );
    assert_eq!(
        FrameError::PayloadTooLarge {
            offset: 5,
            len: 20,
            max: 10
        }
        .to_string(),
        "frame at byte 5 declares a 20-byte payload, over the 10-byte limit"
    );
}

#[test]
fn reader_reports_and_skips_corruption() {
    let a = one_frame(b"first");
    let b = one_frame(b"second");
    let mut flipped = one_frame(b"third");
    *flipped.last_mut().unwrap() ^= 0x80;
    let mut bad_version = one_frame(b"fourth");
    bad_version[4] = 9;
    let c = one_frame(b"fifth");

    let mut wire = a.clone();
    wire.extend_from_slice(b"garbage!"); // garbage between frames
    wire.extend_from_slice(&b);
    wire.extend_from_slice(&flipped);
    wire.extend_from_slice(&bad_version);
    wire.extend_from_slice(&c);

    let mut reader = FrameReader::new(Limits::default());
    reader.push(&wire);
    let mut at = 0u64;
    assert_eq!(reader.next_frame().unwrap().payload, b"first");
    at += a.len() as u64;
    assert_eq!(
        reader.next_frame(),
        Err(FrameError::Garbage { offset: at, len: 8 })
    );
    at += 8;
    assert_eq!(reader.next_frame().unwrap().payload, b"second");
    at += b.len() as u64;
    let err = reader.next_frame().unwrap_err();
    assert!(
        matches!(err, FrameError::ChecksumMismatch { offset, .. } if offset == at),
        "{err}"
    );
    at += flipped.len() as u64;
    assert_eq!(
        reader.next_frame(),
        Err(FrameError::UnsupportedVersion {
            offset: at,
            version: 9
        })
    );
    // The rest of the bad frame (after its magic) is garbage up to the next magic.
    assert_eq!(
        reader.next_frame(),
        Err(FrameError::Garbage {
            offset: at + 4,
            len: bad_version.len() as u64 - 4
        })
    );
    assert_eq!(reader.next_frame().unwrap().payload, b"fifth");
    assert_eq!(
        reader.next_frame(),
        Err(FrameError::Incomplete { needed: 16 })
    );
    assert!(reader.next_frame().unwrap_err().is_incomplete());
}
