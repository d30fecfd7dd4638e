use perfkit_encoding::varint::*;
use perfkit_encoding::{DecodeError, Level, Simd};
use proptest::prelude::*;

use crate::reference;

fn levels() -> impl Iterator<Item = Simd> {
    Level::available().map(|l| Simd::new(l).expect("available level"))
}

/// Values with a spread of byte lengths (1..=10), biased like real data.
fn value() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..128,
        128u64..16384,
        (0u32..64).prop_flat_map(|bits| 0..=(u64::MAX >> bits)),
        any::<u64>(),
    ]
}

#[test]
fn protobuf_known_vectors() {
    let cases: &[(u64, &[u8])] = &[
        (0, &[0x00]),
        (1, &[0x01]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (150, &[0x96, 0x01]),
        (300, &[0xac, 0x02]),
        (16_384, &[0x80, 0x80, 0x01]),
        (u64::from(u32::MAX), &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        (
            u64::MAX,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ),
    ];
    for &(v, bytes) in cases {
        let mut buf = [0u8; 10];
        let n = encode_u64(v, &mut buf);
        assert_eq!(&buf[..n], bytes, "{v}");
        assert_eq!(encoded_len_u64(v), bytes.len());
        let mut out = Vec::new();
        assert_eq!(encode_u64_to(v, &mut out), bytes.len());
        assert_eq!(out, bytes);
        assert_eq!(decode_u64(bytes), Ok((v, bytes.len())));
        assert_eq!(decode_u64_strict(bytes), Ok((v, bytes.len())));
        if let Ok(v32) = u32::try_from(v) {
            assert_eq!(decode_u32(bytes), Ok((v32, bytes.len())));
        }
    }
    // Zigzag: protobuf's sint examples.
    for (s, z) in [
        (0i64, 0u64),
        (-1, 1),
        (1, 2),
        (-2, 3),
        (2_147_483_647, 4_294_967_294),
        (-2_147_483_648, 4_294_967_295),
    ] {
        assert_eq!(zigzag_encode_i64(s), z);
        assert_eq!(zigzag_decode_i64(z), s);
        if let Ok(s32) = i32::try_from(s) {
            assert_eq!(u64::from(zigzag_encode_i32(s32)), z);
        }
    }
    assert_eq!(zigzag_encode_i64(i64::MIN), u64::MAX);
    // Non-minimal input: accepted by default, rejected in strict mode.
    assert_eq!(decode_u64(&[0x80, 0x00]), Ok((0, 2)));
    assert_eq!(
        decode_u64_strict(&[0x80, 0x00]),
        Err(DecodeError::NonCanonical { offset: 0, len: 2 })
    );
    assert_eq!(
        decode_u32_strict(&[0xff, 0x80, 0x00]),
        Err(DecodeError::NonCanonical { offset: 0, len: 3 })
    );
}

#[test]
fn const_lengths() {
    const LEN: usize = encoded_len_u64(300);
    const LEN32: usize = encoded_len_u32(u32::MAX);
    const ZLEN: usize = encoded_len_i64(-1);
    const ZLEN32: usize = encoded_len_i32(i32::MIN);
    assert_eq!((LEN, LEN32, ZLEN, ZLEN32), (2, 5, 1, 5));
}

/// The single-value decoders at every offset of long streams whose shapes hit each of their
/// paths: runs of one-byte values (the eight-ahead fast path), mixed sizes (the branch-free
/// word path), 9- and 10-byte values, and the last bytes of a buffer.
#[test]
fn single_decode_walks_every_shape() {
    let mix = perfkit_testkit::varint_mix(4000, perfkit_testkit::DEFAULT_SEED);
    let small: Vec<u64> = mix.iter().map(|&v| v & 0x7f).collect();
    let runs: Vec<u64> = mix
        .iter()
        .enumerate()
        .map(|(i, &v)| if (i / 9) % 2 == 0 { v & 0x7f } else { v })
        .collect();
    let long: Vec<u64> = mix.iter().map(|&v| v | 1 << (56 + v % 8)).collect();
    for values in [mix, small, runs, long] {
        let mut bytes = Vec::new();
        encode_u64_slice(&values, &mut bytes);
        for start in 0..bytes.len() {
            let input = &bytes[start..];
            let got = decode_u64(input).ok();
            assert_eq!(got, reference::decode_u64(input), "u64 at {start}");
            assert_eq!(
                decode_u32(input).ok(),
                reference::decode_u32(input),
                "u32 at {start}"
            );
        }
        let mut input = &bytes[..];
        for &v in &values {
            let (got, n) = decode_u64(input).unwrap();
            assert_eq!(got, v);
            input = &input[n..];
        }
        assert_eq!(decode_u64(input), Err(DecodeError::Truncated { offset: 0 }));
    }
}

#[test]
fn batch_on_testkit_mix_all_levels() {
    let values = perfkit_testkit::varint_mix(20_000, perfkit_testkit::DEFAULT_SEED);
    let mut bytes = Vec::new();
    encode_u64_slice(&values, &mut bytes);
    let mut expected = Vec::new();
    for &v in &values {
        reference::encode_u64(v, &mut expected);
    }
    assert_eq!(bytes, expected);
    for simd in levels() {
        let mut out = vec![7u64];
        assert_eq!(
            decode_u64_slice_with(simd, &bytes, values.len(), &mut out),
            Ok(bytes.len()),
            "{simd:?}"
        );
        assert_eq!(out[0], 7);
        assert_eq!(&out[1..], &values[..], "{simd:?}");
    }
    let values32 = perfkit_testkit::varint_mix_u32(20_000, 3);
    let mut bytes = Vec::new();
    encode_u32_slice(&values32, &mut bytes);
    for simd in levels() {
        let mut out = Vec::new();
        assert_eq!(
            decode_u32_slice_with(simd, &bytes, values32.len(), &mut out),
            Ok(bytes.len())
        );
        assert_eq!(out, values32, "{simd:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

    #[test]
    fn single_round_trip(v in value(), pad in prop::collection::vec(any::<u8>(), 0..12)) {
        let mut buf = Vec::new();
        reference::encode_u64(v, &mut buf);
        let len = buf.len();
        let mut fixed = [0u8; 10];
        prop_assert_eq!(encode_u64(v, &mut fixed), len);
        prop_assert_eq!(&fixed[..len], &buf[..]);
        buf.extend_from_slice(&pad); // trailing bytes must not matter
        prop_assert_eq!(decode_u64(&buf), Ok((v, len)));
        prop_assert_eq!(decode_u64_strict(&buf), Ok((v, len)));
        let z = v as i64;
        let mut zb = Vec::new();
        encode_i64_to(z, &mut zb);
        zb.extend_from_slice(&pad);
        prop_assert_eq!(decode_i64(&zb), Ok((z, encoded_len_i64(z))));
        let v32 = v as u32;
        let mut b32 = [0u8; 5];
        let n32 = encode_u32(v32, &mut b32);
        prop_assert_eq!(decode_u32(&b32[..n32]), Ok((v32, n32)));
        let mut i32b = [0u8; 5];
        let ni = encode_i32(v32 as i32, &mut i32b);
        prop_assert_eq!(decode_i32(&i32b[..ni]), Ok((v32 as i32, ni)));
    }

    /// The slice encoders write the reference bytes on every level (BMI step and portable
    /// step), appended after whatever `out` held, across block boundaries; with runs of
    /// one-byte values (the eight-at-a-time path) as well as mixed sizes.
    #[test]
    fn slice_encode_matches_reference_every_level(
        values in prop::collection::vec(value(), 0..700),
        mostly_small in prop::collection::vec(prop_oneof![6 => 0u64..128, 1 => value()], 0..700),
        prefix in prop::collection::vec(any::<u8>(), 0..4),
    ) {
        for values in [values, mostly_small] {
            let mut expected = prefix.clone();
            for &v in &values {
                reference::encode_u64(v, &mut expected);
            }
            let mut expected32 = prefix.clone();
            for &v in &values {
                reference::encode_u64(u64::from(v as u32), &mut expected32);
            }
            let v32: Vec<u32> = values.iter().map(|&v| v as u32).collect();
            for simd in levels() {
                let mut out = prefix.clone();
                encode_u64_slice_with(simd, &values, &mut out);
                prop_assert_eq!(&out, &expected, "u64 at {:?}", simd.level());
                let mut out = prefix.clone();
                encode_u32_slice_with(simd, &v32, &mut out);
                prop_assert_eq!(&out, &expected32, "u32 at {:?}", simd.level());
            }
        }
    }

    /// Arbitrary bytes: the decoders agree with the naive reference on success and failure.
    #[test]
    fn single_decode_matches_reference(bytes in prop::collection::vec(any::<u8>(), 0..16)) {
        prop_assert_eq!(decode_u64(&bytes).ok(), reference::decode_u64(&bytes));
        prop_assert_eq!(decode_u32(&bytes).ok(), reference::decode_u32(&bytes));
    }

    #[test]
    fn batch_round_trip_every_level(values in prop::collection::vec(value(), 0..300), offset in 0usize..8) {
        let mut bytes = vec![0xaa; offset];
        encode_u64_slice(&values, &mut bytes);
        let input = &bytes[offset..];
        for simd in levels() {
            let mut out = Vec::new();
            prop_assert_eq!(decode_u64_slice_with(simd, input, values.len(), &mut out), Ok(input.len()));
            prop_assert_eq!(&out, &values);
        }
        let v32: Vec<u32> = values.iter().map(|&v| v as u32).collect();
        let mut b32 = Vec::new();
        encode_u32_slice(&v32, &mut b32);
        for simd in levels() {
            let mut out = Vec::new();
            prop_assert_eq!(decode_u32_slice_with(simd, &b32, v32.len(), &mut out), Ok(b32.len()));
            prop_assert_eq!(&out, &v32);
        }
    }

    /// Arbitrary bytes (biased toward continuation bits): every level gives the scalar result.
    #[test]
    fn batch_levels_agree_on_arbitrary_bytes(
        bytes in prop::collection::vec(prop_oneof![any::<u8>(), 0x80u8..=0xff, 0u8..2], 0..200),
        count in 0usize..120,
    ) {
        let scalar = Simd::new(Level::Scalar).unwrap();
        let mut want = Vec::new();
        let want_r = decode_u64_slice_with(scalar, &bytes, count, &mut want);
        let mut want32 = Vec::new();
        let want32_r = decode_u32_slice_with(scalar, &bytes, count, &mut want32);
        for simd in levels() {
            let mut got = Vec::new();
            prop_assert_eq!(decode_u64_slice_with(simd, &bytes, count, &mut got), want_r);
            prop_assert_eq!(&got, &want);
            let mut got32 = Vec::new();
            prop_assert_eq!(decode_u32_slice_with(simd, &bytes, count, &mut got32), want32_r);
            prop_assert_eq!(&got32, &want32);
        }
    }
}

/// The 64-byte block loop of the wide levels: values of every length (the 5- to 10-byte ones
/// are decoded from the block's mask) and an overlong run, a bad 10th byte or a cut at every
/// position of the first blocks; every level gives the scalar result, errors included.
#[test]
fn batch_blocks_agree_with_scalar_at_every_corruption() {
    let values: Vec<u64> = perfkit_testkit::varint_mix(400, 11)
        .iter()
        .enumerate()
        .map(|(i, &v)| if i % 7 == 3 { v | 1 << (56 + i % 8) } else { v })
        .collect();
    blocks_agree_with_scalar(&values);
}

/// As above on blocks of long varints (3 to 10 bytes, and all 9 or 10), which the wide
/// levels decode value by value from the block's stop bits.
#[test]
fn sparse_blocks_agree_with_scalar_at_every_corruption() {
    let mut rng = perfkit_testkit::Rng::new(21);
    let long: Vec<u64> = (0..300)
        .map(|_| {
            let len = rng.range(3, 11) as u32;
            (1u64 << (7 * (len - 1))) | (rng.next_u64() >> (64 - 7 * (len - 1).min(9)))
        })
        .collect();
    blocks_agree_with_scalar(&long);
    let full: Vec<u64> = (0..300).map(|_| rng.next_u64() | 1 << 56).collect();
    blocks_agree_with_scalar(&full);
}

fn blocks_agree_with_scalar(values: &[u64]) {
    let scalar = Simd::new(Level::Scalar).unwrap();
    let mut bytes = Vec::new();
    encode_u64_slice(values, &mut bytes);
    let check = |input: &[u8], count: usize| {
        let mut want = Vec::new();
        let want_r = decode_u64_slice_with(scalar, input, count, &mut want);
        let mut want32 = Vec::new();
        let want32_r = decode_u32_slice_with(scalar, input, count, &mut want32);
        for simd in levels() {
            let mut got = Vec::new();
            assert_eq!(
                decode_u64_slice_with(simd, input, count, &mut got),
                want_r,
                "{simd:?}"
            );
            assert_eq!(got, want, "{simd:?}");
            let mut got32 = Vec::new();
            let got32_r = decode_u32_slice_with(simd, input, count, &mut got32);
            assert_eq!(got32_r, want32_r, "{simd:?}");
            assert_eq!(got32, want32, "{simd:?}");
        }
        want_r
    };
    assert_eq!(check(&bytes, values.len()), Ok(bytes.len()));
    // Fewer values asked for than the input holds: stops exactly there.
    let mut some = Vec::new();
    let half = values.len() / 2;
    let read = decode_u64_slice(&bytes, half, &mut some).unwrap();
    assert_eq!(some, values[..half]);
    assert_eq!(check(&bytes, half), Ok(read));
    for p in 0..200 {
        let mut overlong = bytes.clone();
        overlong[p..p + 11].fill(0xff);
        assert!(check(&overlong, values.len()).is_err());
        let mut overflow = bytes.clone();
        overflow[p..p + 9].fill(0x80);
        overflow[p + 9] = 0x02;
        assert!(check(&overflow, values.len()).is_err());
        let cut = check(&bytes[..bytes.len() - p - 1], values.len());
        assert!(matches!(cut, Err(DecodeError::Truncated { .. })), "{cut:?}");
    }
}
