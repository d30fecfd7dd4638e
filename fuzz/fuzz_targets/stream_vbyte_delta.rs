//! Stream VByte with deltas, at every SIMD level: `encode_delta` → `decode_delta` gives the
//! values back, writes exactly the reference encoding of the differences and reads exactly
//! the bytes it wrote; and `decode_delta` on arbitrary bytes never panics and matches the
//! naive reference (prefix sums of the plain decode), leaving its output untouched on error.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_encoding::stream_vbyte::{decode_delta_with, encode_delta_with, encoded_len};
use perfkit_encoding::{DecodeError, Level, Simd};

/// The naive reference shared with the integration tests.
#[allow(dead_code)]
#[path = "../../crates/perfkit-encoding/tests/all/reference.rs"]
mod reference;

#[derive(Debug, Arbitrary)]
enum Input {
    /// Values to encode; `sorted` sorts them first (the case delta coding is for).
    RoundTrip { values: Vec<u32>, sorted: bool },
    /// Bytes to decode as `count` values.
    Decode { count: u16, bytes: Vec<u8> },
}

fn round_trip(mut values: Vec<u32>, sorted: bool) {
    if sorted {
        values.sort_unstable();
    }
    let deltas = reference::deltas(&values);
    let want = reference::svb_encode(&deltas);
    assert_eq!(encoded_len(&deltas), want.len());
    for level in Level::available() {
        let simd = Simd::new(level).unwrap();
        // Appends after what `out` already holds.
        let mut bytes = vec![0xa5];
        encode_delta_with(simd, &values, &mut bytes);
        assert_eq!(bytes[0], 0xa5, "{level:?}");
        assert_eq!(
            bytes[1..],
            want[..],
            "{level:?}: the reference encoding of the deltas"
        );
        let mut back = vec![7];
        let got = decode_delta_with(simd, &bytes[1..], values.len(), &mut back);
        assert_eq!(got, Ok(want.len()), "{level:?}");
        assert_eq!(back[0], 7, "{level:?}");
        assert_eq!(back[1..], values[..], "{level:?}");
        // Trailing bytes are not read.
        bytes.extend_from_slice(&[0xff; 5]);
        let mut again = Vec::new();
        assert_eq!(
            decode_delta_with(simd, &bytes[1..], values.len(), &mut again),
            Ok(want.len())
        );
        assert_eq!(again, values, "{level:?}");
    }
}

fn decode(count: usize, bytes: &[u8]) {
    let want = reference::svb_decode(bytes, count).map(|(v, n)| (reference::prefix_sums(&v), n));
    for level in Level::available() {
        let simd = Simd::new(level).unwrap();
        let mut out = vec![1, 2];
        let got = decode_delta_with(simd, bytes, count, &mut out);
        match &want {
            Some((values, n)) => {
                assert_eq!(got, Ok(*n), "{level:?}");
                assert_eq!(out[..2], [1, 2], "{level:?}");
                assert_eq!(out[2..], values[..], "{level:?}");
            }
            None => {
                assert!(
                    matches!(got, Err(DecodeError::InputTooShort { .. })),
                    "{level:?}: {got:?}"
                );
                assert_eq!(out, [1, 2], "{level:?}: output untouched on error");
            }
        }
    }
}

fuzz_target!(|input: Input| {
    match input {
        Input::RoundTrip { values, sorted } => round_trip(values, sorted),
        Input::Decode { count, bytes } => decode(usize::from(count), &bytes),
    }
});
