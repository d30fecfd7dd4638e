use perfkit_encoding::FrameError;
use perfkit_encoding::crc32c::{crc32c, crc32c_append_with};
use perfkit_encoding::frame::*;
use perfkit_encoding::{Level, Simd};
use proptest::prelude::*;

#[test]
fn crc32c_check_value_every_level() {
    assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    assert_eq!(crc32c(b""), 0);
    // RFC 3720 (iSCSI) B.4 vectors.
    assert_eq!(crc32c(&[0u8; 32]), 0x8a91_36aa);
    assert_eq!(crc32c(&[0xffu8; 32]), 0x62a8_ab43);
    let ascending: Vec<u8> = (0..32).collect();
    assert_eq!(crc32c(&ascending), 0x46dd_794e);
    for level in Level::available() {
        let simd = Simd::new(level).unwrap();
        assert_eq!(crc32c_append_with(simd, 0, b"123456789"), 0xe306_9283);
        assert_eq!(crc32c_append_with(simd, 0, &ascending), 0x46dd_794e);
    }
}

#[test]
fn header_layout_is_big_endian() {
    let mut wire = Vec::new();
    assert_eq!(write(&mut wire, 0xab, 0x0102, b"123456789"), Ok(25));
    assert_eq!(
        &wire[..HEADER_LEN],
        &[
            b'P', b'K', b'F', b'1', 1, 0xab, 0x01, 0x02, 0, 0, 0, 9, 0xe3, 0x06, 0x92, 0x83
        ]
    );
    let (frame, used) = parse(&wire, &Limits::default()).unwrap();
    assert_eq!(used, 25);
    assert_eq!(frame.payload, b"123456789");
    assert_eq!(
        (
            frame.header.kind,
            frame.header.flags.get(),
            frame.header.payload_len.get()
        ),
        (0xab, 0x0102, 9)
    );
    // Header-only parse does not look at the payload.
    assert_eq!(
        parse_header(&wire[..HEADER_LEN], &Limits::default()),
        Ok(frame.header)
    );
}

/// `parse_header` checks magic and version as one masked word: every byte of them is
/// checked, no other header byte is, and the first failing check is the one reported.
#[test]
fn header_checks_cover_exactly_magic_version_and_length() {
    let limits = Limits::with_max_payload(1000);
    let mut good = Vec::new();
    write(&mut good, 7, 0xbeef, &[]).unwrap();
    good[8..12].copy_from_slice(&1000u32.to_be_bytes()); // at the limit: accepted
    assert!(parse_header(&good, &limits).is_ok());
    for i in 0..HEADER_LEN {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut h = good.clone();
            h[i] ^= flip;
            let got = parse_header(&h, &limits);
            let len = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
            let expected = match i {
                0..=3 => Err(FrameError::BadMagic {
                    offset: 0,
                    found: u32::from_be_bytes([h[0], h[1], h[2], h[3]]),
                }),
                4 => Err(FrameError::UnsupportedVersion {
                    offset: 0,
                    version: h[4],
                }),
                8..=11 if len > 1000 => Err(FrameError::PayloadTooLarge {
                    offset: 0,
                    len: u64::from(len),
                    max: 1000,
                }),
                _ => Ok(()),
            };
            assert_eq!(got.map(|_| ()), expected, "byte {i} ^ {flip:#04x}");
        }
    }
    // Several failures: magic wins over version, version over length.
    let mut h = good.clone();
    h[4] = 9;
    h[8] = 0xff;
    assert!(matches!(
        parse_header(&h, &limits),
        Err(FrameError::UnsupportedVersion { version: 9, .. })
    ));
    h[0] = b'Q';
    assert!(matches!(
        parse_header(&h, &limits),
        Err(FrameError::BadMagic { .. })
    ));
}

#[test]
fn reader_byte_by_byte() {
    let payloads: Vec<Vec<u8>> = (0..20)
        .map(|i| (0..i * 37).map(|b| b as u8).collect())
        .collect();
    let mut wire = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        write(&mut wire, i as u8, 0, p).unwrap();
    }
    let mut reader = FrameReader::new(Limits::default());
    let mut got = Vec::new();
    for &b in &wire {
        reader.push(&[b]);
        loop {
            match reader.next_frame() {
                Ok(f) => got.push((f.header.kind, f.payload.to_vec())),
                Err(e) => {
                    assert!(e.is_incomplete(), "{e}");
                    break;
                }
            }
        }
    }
    assert_eq!(got.len(), payloads.len());
    for (i, (kind, p)) in got.iter().enumerate() {
        assert_eq!((*kind as usize, p), (i, &payloads[i]));
    }
    assert_eq!(reader.stream_offset(), wire.len() as u64);
    assert_eq!(reader.buffered(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 64 }))]

    /// Frames split at arbitrary points, with garbage between some: every frame comes out, and
    /// every byte is accounted for by a frame or a reported error.
    #[test]
    fn reader_recovers_every_frame(
        frames in prop::collection::vec((any::<u8>(), prop::collection::vec(any::<u8>(), 0..300), prop::collection::vec(any::<u8>(), 0..20)), 0..8),
        cuts in prop::collection::vec(1usize..64, 1..20),
    ) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for (kind, payload, garbage) in &frames {
            // Garbage that cannot start a frame magic.
            wire.extend(garbage.iter().map(|&g| if g == b'P' { b'Q' } else { g }));
            write(&mut wire, *kind, 7, payload).unwrap();
            expected.push((*kind, payload.clone()));
        }
        let mut reader = FrameReader::new(Limits::default());
        let mut got = Vec::new();
        let mut accounted = 0u64;
        let mut pos = 0;
        let mut cut = cuts.iter().cycle();
        while pos < wire.len() {
            let end = (pos + cut.next().unwrap()).min(wire.len());
            reader.push(&wire[pos..end]);
            pos = end;
            loop {
                match reader.next_frame() {
                    Ok(f) => {
                        accounted += (HEADER_LEN + f.payload.len()) as u64;
                        got.push((f.header.kind, f.payload.to_vec()));
                    }
                    Err(FrameError::Incomplete { .. }) => break,
                    Err(FrameError::Garbage { offset, len }) => {
                        prop_assert_eq!(offset, accounted);
                        accounted += len;
                    }
                    Err(e) => prop_assert!(false, "unexpected {e}"),
                }
            }
        }
        prop_assert_eq!(got, expected);
        prop_assert_eq!(accounted, wire.len() as u64);
    }

    /// Arbitrary bytes never panic the reader, and it makes progress on every corrupt report.
    #[test]
    fn reader_survives_noise(noise in prop::collection::vec(prop_oneof![any::<u8>(), Just(b'P'), Just(b'K'), Just(b'F'), Just(b'1'), Just(1u8)], 0..400)) {
        let mut reader = FrameReader::new(Limits::with_max_payload(64));
        reader.push(&noise);
        for _ in 0..=noise.len() {
            let before = reader.stream_offset();
            match reader.next_frame() {
                Err(FrameError::Incomplete { .. }) => break,
                Ok(_) | Err(_) => prop_assert!(reader.stream_offset() > before),
            }
        }
    }
}
