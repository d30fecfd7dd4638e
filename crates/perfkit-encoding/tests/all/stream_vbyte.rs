use perfkit_encoding::stream_vbyte::*;
use perfkit_encoding::{DecodeError, Level, Simd};
use proptest::prelude::*;

use crate::reference;

fn levels() -> impl Iterator<Item = Simd> {
    Level::available().map(|l| Simd::new(l).expect("available level"))
}

fn value() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..256, 256u32..65536, 65536u32..(1 << 24), any::<u32>()]
}

#[test]
fn reference_examples() {
    // The example of the Stream VByte paper's figure: 1024, 12, 10, 1073741824, 1, 2, 1024.
    let values = [1024u32, 12, 10, 1_073_741_824, 1, 2, 1024];
    let expected: &[u8] = &[
        0b11_00_00_01, // codes 1, 0, 0, 3
        0b00_01_00_00, // codes 0, 0, 1 (and an unused 0)
        0x00,
        0x04,
        12,
        10,
        0x00,
        0x00,
        0x00,
        0x40,
        1,
        2,
        0x00,
        0x04,
    ];
    assert_eq!(reference::svb_encode(&values), expected);
    for simd in levels() {
        let mut out = Vec::new();
        encode_with(simd, &values, &mut out);
        assert_eq!(out, expected, "{simd:?}");
        let mut back = Vec::new();
        assert_eq!(
            decode_with(simd, expected, values.len(), &mut back),
            Ok(expected.len())
        );
        assert_eq!(back, values);
    }
    assert_eq!(encoded_len(&values), expected.len());
    // Zero values: zero bytes.
    let mut out = Vec::new();
    encode(&[], &mut out);
    assert!(out.is_empty());
    assert_eq!(decode(&[], 0, &mut Vec::new()), Ok(0));
}

#[test]
fn testkit_mix_all_levels() {
    let values = perfkit_testkit::varint_mix_u32(10_001, perfkit_testkit::DEFAULT_SEED);
    let expected = reference::svb_encode(&values);
    let mut sorted = values.clone();
    sorted.sort_unstable();
    let expected_delta = reference::svb_encode(&reference::deltas(&sorted));
    for simd in levels() {
        let mut bytes = Vec::new();
        encode_with(simd, &values, &mut bytes);
        assert_eq!(bytes, expected, "{simd:?}");
        let mut back = Vec::new();
        assert_eq!(
            decode_with(simd, &bytes, values.len(), &mut back),
            Ok(bytes.len())
        );
        assert_eq!(back, values, "{simd:?}");

        let mut dbytes = Vec::new();
        encode_delta_with(simd, &sorted, &mut dbytes);
        assert_eq!(dbytes, expected_delta, "{simd:?}");
        let mut dback = Vec::new();
        assert_eq!(
            decode_delta_with(simd, &dbytes, sorted.len(), &mut dback),
            Ok(dbytes.len())
        );
        assert_eq!(dback, sorted, "{simd:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 200 }))]

    #[test]
    fn round_trip_every_level(values in prop::collection::vec(value(), 0..200), offset in 0usize..5) {
        let expected = reference::svb_encode(&values);
        let expected_delta = reference::svb_encode(&reference::deltas(&values));
        for simd in levels() {
            let mut bytes = vec![0x55; offset];
            encode_with(simd, &values, &mut bytes);
            prop_assert_eq!(&bytes[offset..], &expected[..]);
            let mut out = vec![9];
            prop_assert_eq!(decode_with(simd, &bytes[offset..], values.len(), &mut out), Ok(expected.len()));
            prop_assert_eq!(&out[1..], &values[..]);

            // Delta coding round-trips any sequence (differences wrap).
            let mut dbytes = Vec::new();
            encode_delta_with(simd, &values, &mut dbytes);
            prop_assert_eq!(&dbytes, &expected_delta);
            let mut dout = Vec::new();
            prop_assert_eq!(decode_delta_with(simd, &dbytes, values.len(), &mut dout), Ok(dbytes.len()));
            prop_assert_eq!(&dout, &values);
        }
    }

    /// Arbitrary bytes and counts: every level agrees with the reference decoder.
    #[test]
    fn decode_matches_reference(bytes in prop::collection::vec(any::<u8>(), 0..150), count in 0usize..100) {
        let want = reference::svb_decode(&bytes, count);
        for simd in levels() {
            let mut out = Vec::new();
            match decode_with(simd, &bytes, count, &mut out) {
                Ok(n) => prop_assert_eq!(Some((out, n)), want.clone()),
                Err(DecodeError::InputTooShort { needed, available }) => {
                    prop_assert!(want.is_none());
                    prop_assert!(needed > available && available == bytes.len());
                    prop_assert!(out.is_empty());
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
            let mut dout = Vec::new();
            let delta = decode_delta_with(simd, &bytes, count, &mut dout);
            prop_assert_eq!(delta.ok(), want.as_ref().map(|w| w.1));
            if let Some((w, _)) = &want {
                prop_assert_eq!(&dout, &reference::prefix_sums(w));
            }
        }
    }
}

/// Every count from 0 to 300 (every tail: after the 16-value AVX2 iterations, the single
/// 8-value step, the 4-value SSSE3 groups and the scalar values) with all-1-byte, all-4-byte
/// and mixed values, decoded plain and as deltas whose running sum wraps many times, at every
/// level and at an unaligned input offset, against the scalar reference.
#[test]
fn every_tail_length_and_wrapping_deltas() {
    let mix = perfkit_testkit::varint_mix_u32(300, perfkit_testkit::DEFAULT_SEED);
    let shapes: [(&str, Vec<u32>); 3] = [
        ("1byte", mix.iter().map(|&v| v & 0xff).collect()),
        // Near 2^32: the prefix sums wrap almost every value.
        ("4byte", mix.iter().map(|&v| v | 0xff00_0000).collect()),
        ("mix", mix.clone()),
    ];
    for (shape, values) in &shapes {
        for count in 0..=values.len() {
            let stored = &values[..count];
            let bytes = reference::svb_encode(stored);
            let sums = reference::prefix_sums(stored);
            let mut shifted = vec![0xa5u8; 3];
            shifted.extend_from_slice(&bytes);
            for simd in levels() {
                for input in [&bytes[..], &shifted[3..]] {
                    let mut out = Vec::new();
                    assert_eq!(
                        decode_with(simd, input, count, &mut out),
                        Ok(bytes.len()),
                        "{shape} {count} {simd:?}"
                    );
                    assert_eq!(out, stored, "{shape} {count} {simd:?}");
                    let mut dout = vec![7];
                    assert_eq!(
                        decode_delta_with(simd, input, count, &mut dout),
                        Ok(bytes.len()),
                        "{shape} {count} {simd:?} delta"
                    );
                    assert_eq!(dout[1..], sums, "{shape} {count} {simd:?} delta");
                }
            }
        }
    }
    // The running sum really wraps in the 4-byte shape.
    let four = &shapes[1].1;
    assert!(four.iter().fold(0u64, |a, &v| a + u64::from(v)) > 1 << 40);
}

/// The SIMD delta decoders carry the previous group's differences, pair sums and outputs from
/// group to group and across the hand-offs (AVX2 steps, then SSSE3 groups, then scalar
/// values). Differences that are distinct in every position and of every byte length make any
/// lane taken from the wrong group or step visible; every count up to 200 puts each hand-off at
/// every position, and each stream also starts after non-zero output already in `out`.
#[test]
fn delta_windows_cross_every_hand_off() {
    let diffs: Vec<u32> = (0..200u32)
        .map(|i| {
            let v = i.wrapping_mul(0x9e37_79b9) ^ (i << 3);
            // Byte lengths 1, 2, 3, 4 in a pattern that does not repeat every group.
            v >> [24, 16, 8, 0, 8, 24, 0][i as usize % 7]
        })
        .collect();
    for count in 0..=diffs.len() {
        let stored = &diffs[..count];
        let bytes = reference::svb_encode(stored);
        let want = reference::prefix_sums(stored);
        for simd in levels() {
            let mut out = vec![u32::MAX; 3];
            assert_eq!(
                decode_delta_with(simd, &bytes, count, &mut out),
                Ok(bytes.len()),
                "{count} {simd:?}"
            );
            assert_eq!(out[..3], [u32::MAX; 3], "{count} {simd:?}");
            assert_eq!(out[3..], want, "{count} {simd:?}");
        }
    }
}
