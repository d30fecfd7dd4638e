//! Stream VByte decoding (plain and delta): every SIMD level against a byte-exact reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfkit_encoding::stream_vbyte::{decode_delta_with, decode_with, encode_with};
use perfkit_encoding::{DecodeError, Level, Simd};

/// The naive reference shared with the integration tests.
#[allow(dead_code)]
#[path = "../../crates/perfkit-encoding/tests/all/reference.rs"]
mod reference;

fuzz_target!(|data: &[u8]| {
    let Some((&c, data)) = data.split_first() else {
        return;
    };
    let count = usize::from(c) * 2 + usize::from(c & 1);
    let want = reference::svb_decode(data, count);
    for level in Level::available() {
        let simd = Simd::new(level).unwrap();
        let mut out = Vec::new();
        let got = decode_with(simd, data, count, &mut out);
        let mut dout = Vec::new();
        let dgot = decode_delta_with(simd, data, count, &mut dout);
        match &want {
            Some((values, n)) => {
                assert_eq!(got, Ok(*n), "{level:?}");
                assert_eq!(&out, values, "{level:?}");
                assert_eq!(dgot, Ok(*n), "{level:?}");
                assert_eq!(dout, reference::prefix_sums(values), "{level:?}");
                // Re-encoding gives the minimal form of the same values.
                let mut again = Vec::new();
                encode_with(simd, values, &mut again);
                let mut back = Vec::new();
                assert_eq!(decode_with(simd, &again, count, &mut back), Ok(again.len()));
                assert_eq!(&back, values);
            }
            None => {
                assert!(
                    matches!(got, Err(DecodeError::InputTooShort { .. })),
                    "{level:?}"
                );
                assert_eq!(got, dgot);
                assert!(out.is_empty() && dout.is_empty());
            }
        }
    }
});
