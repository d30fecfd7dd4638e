//! HdrHistogram V2: round trips, the reference implementation's test vectors, byte-level
//! agreement with the `hdrhistogram` crate, and a table of malformed inputs.

use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use perfkit_profile::{HdrError, Histogram};
use perfkit_testkit::{DEFAULT_SEED, Rng};
use proptest::prelude::*;

/// Precisions that are HdrHistogram layouts (0, 1, 2, 3 significant digits).
const EXACT: [u32; 4] = [0, 4, 7, 10];

/// Written by HdrHistogram's Java implementation: the values 0..100_000, lowest discernible
/// value 1, highest trackable `i64::MAX`, 3 significant digits. Copied from the `hdrhistogram`
/// crate 7.6.0's `tests/data/` (see `tests/data/README.md`).
const JAVA_SEQ_NUMS: &[u8] = include_bytes!("../data/seq-nums.hist");
/// The same histogram in V2 + DEFLATE, from the same place.
#[cfg(feature = "deflate")]
const JAVA_SEQ_NUMS_DEFLATE: &[u8] = include_bytes!("../data/seq-nums.histz");

fn any_magnitude() -> impl Strategy<Value = u64> {
    (0u32..=64).prop_flat_map(|bits| match bits {
        0 => Just(0u64).boxed(),
        64 => any::<u64>().boxed(),
        b => (0u64..(1u64 << b)).boxed(),
    })
}

fn filled(precision: u32, values: &[u64]) -> Histogram {
    let mut h = Histogram::with_precision(precision);
    h.extend(values.iter().copied());
    h
}

/// Latency-like values: mostly around 1-100 µs, a tail to seconds.
fn latencies(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let bits = 10 + rng.next_u64() % 21; // 2^10 ..= 2^30 ns
            rng.next_u64() % (1 << bits)
        })
        .collect()
}

fn buckets(h: &Histogram) -> Vec<(u64, u64, u64)> {
    h.iter().map(|b| (b.low, b.high, b.count)).collect()
}

fn hdr_decode(bytes: &[u8]) -> hdrhistogram::Histogram<u64> {
    Deserializer::new()
        .deserialize(&mut &bytes[..])
        .expect("hdrhistogram reads our bytes")
}

fn hdr_encode(h: &hdrhistogram::Histogram<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    V2Serializer::new().serialize(h, &mut out).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn exact_precisions_round_trip_every_bucket(
        values in prop::collection::vec(any_magnitude(), 0..300),
        which in 0usize..4,
    ) {
        let precision = EXACT[which];
        let h = filled(precision, &values);
        let back = Histogram::from_hdr_v2(&h.to_hdr_v2()).unwrap();
        prop_assert_eq!(back.precision(), precision);
        prop_assert_eq!(back.len(), h.len());
        prop_assert_eq!(buckets(&back), buckets(&h));
        // Min and max come back as their buckets' representatives.
        if let (Some(min), Some(max)) = (h.min(), h.max()) {
            prop_assert_eq!(back.min(), Some(h.representative(min)));
            prop_assert_eq!(back.max(), Some(h.representative(max)));
        }
    }

    #[test]
    fn other_precisions_come_back_finer_and_merge_back_exactly(
        values in prop::collection::vec(any_magnitude(), 1..300),
        precision in 0u32..=12,
    ) {
        let h = filled(precision, &values);
        let back = Histogram::from_hdr_v2(&h.to_hdr_v2()).unwrap();
        prop_assert!(back.precision() >= precision);
        prop_assert_eq!(back.len(), h.len());
        let mut restored = Histogram::with_precision(precision);
        restored.merge(&back).unwrap();
        prop_assert_eq!(buckets(&restored), buckets(&h));
    }

    #[test]
    fn hdrhistogram_reads_our_bytes_bucket_for_bucket(
        values in prop::collection::vec(any_magnitude(), 0..200),
        which in 0usize..4,
    ) {
        let h = filled(EXACT[which], &values);
        let theirs = hdr_decode(&h.to_hdr_v2());
        prop_assert_eq!(theirs.len(), h.len());
        prop_assert_eq!(theirs.sigfig(), which as u8);
        for b in h.iter() {
            prop_assert_eq!(theirs.count_at(b.low), b.count);
            prop_assert_eq!(theirs.lowest_equivalent(b.low), b.low);
            // (hdrhistogram's `highest_equivalent` saturates one short in the top bucket.)
            if b.high < u64::MAX {
                prop_assert_eq!(theirs.highest_equivalent(b.low), b.high);
            }
        }
        let recorded: u64 = theirs.iter_recorded().map(|v| v.count_at_value()).sum();
        prop_assert_eq!(recorded, h.len());
    }

    #[test]
    fn we_read_hdrhistograms_bytes_bucket_for_bucket(
        values in prop::collection::vec(any_magnitude(), 0..200),
        sigfig in 0u8..=3,
    ) {
        let mut theirs = hdrhistogram::Histogram::<u64>::new_with_bounds(1, u64::MAX, sigfig).unwrap();
        for &v in &values {
            theirs.record(v).unwrap();
        }
        let ours = Histogram::from_hdr_v2(&hdr_encode(&theirs)).unwrap();
        prop_assert_eq!(ours.precision(), EXACT[usize::from(sigfig)]);
        prop_assert_eq!(ours.len(), theirs.len());
        let want: Vec<(u64, u64)> = theirs
            .iter_recorded()
            .map(|v| (theirs.lowest_equivalent(v.value_iterated_to()), v.count_at_value()))
            .collect();
        let got: Vec<(u64, u64)> = ours.iter().map(|b| (b.low, b.count)).collect();
        prop_assert_eq!(got, want);
        for b in ours.iter().filter(|b| b.high < u64::MAX) {
            prop_assert_eq!(theirs.highest_equivalent(b.low), b.high);
        }
    }
}

#[test]
fn our_bytes_equal_hdrhistograms_for_the_same_data() {
    for (digits, precision) in [(0u8, 0u32), (1, 4), (2, 7), (3, 10)] {
        for values in [
            vec![],
            vec![0],
            latencies(5_000, DEFAULT_SEED + u64::from(digits)),
        ] {
            let ours = filled(precision, &values);
            // Java's Long.MAX_VALUE as the highest trackable value, as we write it.
            let mut theirs =
                hdrhistogram::Histogram::<u64>::new_with_bounds(1, i64::MAX as u64, digits)
                    .unwrap();
            for &v in &values {
                theirs.record(v).unwrap();
            }
            assert_eq!(
                ours.to_hdr_v2(),
                hdr_encode(&theirs),
                "{digits} digits, {} values",
                values.len()
            );
        }
    }
}

#[test]
fn values_above_i64_max_widen_the_range_to_u64_max() {
    let h: Histogram = [3, u64::MAX, 1 << 63].into_iter().collect();
    let bytes = h.to_hdr_v2();
    assert_eq!(bytes[24..32], u64::MAX.to_be_bytes());
    let theirs = hdr_decode(&bytes);
    assert_eq!(theirs.len(), 3);
    assert_eq!(theirs.count_at(1 << 63), 1);
    let back = Histogram::from_hdr_v2(&bytes).unwrap();
    assert_eq!(buckets(&back), buckets(&h));
}

#[test]
fn saturated_counts_are_written_as_i64_max() {
    let mut h = Histogram::new();
    h.record_n(5, u64::MAX);
    let back = Histogram::from_hdr_v2(&h.to_hdr_v2()).unwrap();
    assert_eq!(back.len(), i64::MAX as u64);
    assert_eq!(hdr_decode(&h.to_hdr_v2()).count_at(5), i64::MAX as u64);
}

/// The reference implementation's test vector, byte for byte.
#[test]
fn the_java_written_vector_is_what_we_write_and_read() {
    let ours = filled(10, &(0..100_000).collect::<Vec<_>>());
    assert_eq!(ours.to_hdr_v2(), JAVA_SEQ_NUMS);

    let read = Histogram::from_hdr_v2(JAVA_SEQ_NUMS).unwrap();
    assert_eq!(read.precision(), 10);
    assert_eq!(read.len(), 100_000);
    assert_eq!(buckets(&read), buckets(&ours));
    // Values below 2^11 are exact at 3 digits; above, buckets are 2, 4, … wide: 64 at
    // 2^16..2^17. The maximum comes back as its bucket's representative.
    assert_eq!(read.min(), Some(0));
    assert_eq!(read.equivalent_range(99_999), 99_968..=100_031);
    assert_eq!(read.max(), Some(99_968 + 32));
}

#[cfg(feature = "deflate")]
#[test]
fn the_java_written_compressed_vector_reads_the_same() {
    let plain = Histogram::from_hdr_v2(JAVA_SEQ_NUMS).unwrap();
    let compressed = Histogram::from_hdr_v2(JAVA_SEQ_NUMS_DEFLATE).unwrap();
    assert_eq!(buckets(&compressed), buckets(&plain));
    assert_eq!(compressed.len(), 100_000);
}

#[cfg(feature = "deflate")]
#[test]
fn compressed_bytes_round_trip_and_cross_check() {
    use hdrhistogram::serialization::V2DeflateSerializer;

    let h = filled(7, &latencies(20_000, DEFAULT_SEED));
    let ours = h.to_hdr_v2_deflate();
    assert_eq!(ours[..4], [0x1c, 0x84, 0x93, 0x14]);
    assert_eq!(
        buckets(&Histogram::from_hdr_v2(&ours).unwrap()),
        buckets(&h)
    );
    // Theirs reads ours …
    let theirs = hdr_decode(&ours);
    assert_eq!(theirs.len(), h.len());
    for b in h.iter() {
        assert_eq!(theirs.count_at(b.low), b.count);
    }
    // … and we read theirs.
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&theirs, &mut bytes)
        .unwrap();
    assert_eq!(
        buckets(&Histogram::from_hdr_v2(&bytes).unwrap()),
        buckets(&h)
    );
}

#[cfg(not(feature = "deflate"))]
#[test]
fn compressed_input_needs_the_feature() {
    let bytes = [0x1c, 0x84, 0x93, 0x14, 0, 0, 0, 1, 0];
    assert_eq!(
        Histogram::from_hdr_v2(&bytes),
        Err(HdrError::CompressionNotEnabled { found: 0x1c84_9314 })
    );
}

#[test]
fn a_wider_unit_decodes_within_hdrhistograms_own_bucket() {
    // Lowest discernible value 1000: HdrHistogram's low buckets are 1024 wide.
    let mut theirs = hdrhistogram::Histogram::<u64>::new_with_bounds(1_000, 1 << 40, 2).unwrap();
    let values = latencies(2_000, DEFAULT_SEED + 7);
    for &v in &values {
        theirs.record(v).unwrap();
    }
    let ours = Histogram::from_hdr_v2(&hdr_encode(&theirs)).unwrap();
    assert_eq!(ours.len(), theirs.len());
    for q in [0.0, 0.25, 0.5, 0.9, 0.99, 1.0] {
        let ours = ours.percentile(q * 100.0).unwrap();
        let reference = theirs.value_at_quantile(q);
        // Both lie in the same HdrHistogram bucket.
        assert!(
            theirs.equivalent(ours, reference),
            "q {q}: ours {ours}, hdrhistogram {reference}"
        );
    }
}

#[test]
fn several_histograms_back_to_back() {
    let parts: Vec<Histogram> = (0..4)
        .map(|i| filled(7, &latencies(100 * (i + 1), DEFAULT_SEED + i as u64)))
        .collect();
    let bytes: Vec<u8> = parts.iter().flat_map(Histogram::to_hdr_v2).collect();
    let mut rest = &bytes[..];
    for part in &parts {
        let (h, used) = Histogram::from_hdr_v2_prefix(rest).unwrap();
        assert_eq!(buckets(&h), buckets(part));
        rest = &rest[used..];
    }
    assert!(rest.is_empty());
    assert_eq!(
        Histogram::from_hdr_v2(&bytes),
        Err(HdrError::TrailingBytes {
            offset: parts[0].to_hdr_v2().len(),
            len: bytes.len() - parts[0].to_hdr_v2().len(),
        })
    );
}

/// A valid header (2 digits, range 1..=2^63-1) followed by `payload`.
fn with_payload(payload: &[u8]) -> Vec<u8> {
    let mut b = Histogram::new().to_hdr_v2();
    b.truncate(40);
    b[4..8].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    b.extend_from_slice(payload);
    b
}

fn patched(offset: usize, bytes: &[u8]) -> Vec<u8> {
    let mut b = filled(7, &[1, 2, 3]).to_hdr_v2();
    b[offset..offset + bytes.len()].copy_from_slice(bytes);
    b
}

#[test]
fn malformed_inputs_give_exact_errors() {
    let good = filled(7, &[1, 2, 3]).to_hdr_v2();
    let cases: Vec<(&str, Vec<u8>, HdrError)> = vec![
        (
            "empty",
            vec![],
            HdrError::Truncated {
                what: "cookie",
                offset: 0,
                needed: 4,
                available: 0,
            },
        ),
        (
            "wrong cookie",
            patched(0, &0xdead_beef_u32.to_be_bytes()),
            HdrError::UnknownCookie { found: 0xdead_beef },
        ),
        (
            "V1 cookie",
            patched(0, &0x1c84_9301_u32.to_be_bytes()),
            HdrError::UnknownCookie { found: 0x1c84_9301 },
        ),
        (
            "header cut",
            good[..20].to_vec(),
            HdrError::Truncated {
                what: "lowest discernible value",
                offset: 16,
                needed: 8,
                available: 4,
            },
        ),
        (
            "payload longer than the input",
            patched(4, &100u32.to_be_bytes()),
            HdrError::Truncated {
                what: "payload",
                offset: 40,
                needed: 100,
                available: good.len() - 40,
            },
        ),
        (
            "normalizing offset",
            patched(8, &(-3i32).to_be_bytes()),
            HdrError::NormalizingIndexOffset { found: -3 },
        ),
        (
            "6 digits",
            patched(12, &6u32.to_be_bytes()),
            HdrError::SignificantDigits { found: 6 },
        ),
        (
            "lowest 0",
            patched(16, &0u64.to_be_bytes()),
            HdrError::LowestDiscernibleValue {
                found: 0,
                digits: 2,
            },
        ),
        (
            "highest below 2 lowest",
            patched(24, &1u64.to_be_bytes()),
            HdrError::HighestTrackableValue {
                found: 1,
                lowest: 1,
            },
        ),
        (
            "double ratio",
            patched(32, &0.5f64.to_be_bytes()),
            HdrError::IntegerToDoubleRatio { found: 0.5 },
        ),
        (
            "count cut inside its varint",
            with_payload(&[0x02, 0x80, 0x80]),
            HdrError::CountTruncated {
                offset: 41,
                end: 43,
            },
        ),
        (
            "count beyond the range",
            // Skip 7 296 buckets (zigzag(-7296) = 14591 = 0xff 0x71), then count 1.
            with_payload(&[0xff, 0x71, 0x02]),
            HdrError::CountOutOfRange {
                offset: 42,
                index: 7_296,
                len: 7_296,
            },
        ),
        (
            "total count past u64::MAX",
            // i64::MAX three times: zigzag = u64::MAX - 1, nine bytes each.
            with_payload(&[[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]; 3].concat()),
            HdrError::CountOverflow { offset: 58 },
        ),
        (
            "trailing bytes",
            [good.clone(), vec![0]].concat(),
            HdrError::TrailingBytes {
                offset: good.len(),
                len: 1,
            },
        ),
    ];
    for (what, bytes, want) in cases {
        assert_eq!(Histogram::from_hdr_v2(&bytes), Err(want.clone()), "{what}");
        // The message names the byte.
        assert!(want.to_string().contains("byte"), "{what}: {want}");
    }
    assert_eq!(
        HdrError::CountOutOfRange {
            offset: 42,
            index: 7_296,
            len: 7_296
        }
        .to_string(),
        "byte 42: a count for bucket 7296, beyond the 7296 buckets of the header's value range"
    );
}

#[cfg(feature = "deflate")]
#[test]
fn malformed_compressed_inputs_give_exact_errors() {
    let good = filled(7, &[1, 2, 3]).to_hdr_v2_deflate();
    let mut cut = good.clone();
    cut.truncate(good.len() - 2);
    assert_eq!(
        Histogram::from_hdr_v2(&cut),
        Err(HdrError::Truncated {
            what: "compressed data",
            offset: 8,
            needed: good.len() - 8,
            available: good.len() - 10,
        })
    );
    let mut corrupt = good.clone();
    corrupt[10] ^= 0xff;
    assert!(matches!(
        Histogram::from_hdr_v2(&corrupt),
        Err(HdrError::Inflate { offset: 8, .. })
    ));
    // A valid zlib stream of something that is not a V2 histogram.
    let mut not_v2 = vec![0x1c, 0x84, 0x93, 0x14];
    let z = miniz_oxide_free_zlib_of(b"hello");
    not_v2.extend((z.len() as u32).to_be_bytes());
    not_v2.extend(z);
    assert_eq!(
        Histogram::from_hdr_v2(&not_v2),
        Err(HdrError::Decompressed(Box::new(HdrError::UnknownCookie {
            found: u32::from_be_bytes(*b"hell")
        })))
    );
}

/// zlib's "stored" (uncompressed) form of `data`, built by hand: header 0x78 0x01, one final
/// stored block, Adler-32.
#[cfg(feature = "deflate")]
fn miniz_oxide_free_zlib_of(data: &[u8]) -> Vec<u8> {
    let len = data.len() as u16;
    let mut out = vec![0x78, 0x01, 0x01];
    out.extend(len.to_le_bytes());
    out.extend((!len).to_le_bytes());
    out.extend(data);
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend((b << 16 | a).to_be_bytes());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Arbitrary bytes after a valid header, and arbitrary corruption anywhere: an error or
    /// a histogram, never a panic.
    #[test]
    fn no_input_panics(payload in prop::collection::vec(any::<u8>(), 0..64), flip in 0usize..80, bit in 0u8..8) {
        let _ = Histogram::from_hdr_v2(&with_payload(&payload));
        let mut b = filled(7, &[1, 300, 70_000]).to_hdr_v2();
        if let Some(byte) = b.get_mut(flip) {
            *byte ^= 1 << bit;
        }
        let _ = Histogram::from_hdr_v2(&b);
        let _ = Histogram::from_hdr_v2_prefix(&payload);
    }
}
