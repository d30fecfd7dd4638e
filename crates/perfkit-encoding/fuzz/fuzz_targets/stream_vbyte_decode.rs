//! Stream VByte decoding (plain and delta): every SIMD level against a byte-exact reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfkit_encoding::stream_vbyte::{decode_delta_with, decode_with, encode_with};
use perfkit_encoding::{DecodeError, Level, Simd};

fn reference(input: &[u8], count: usize) -> Option<(Vec<u32>, usize)> {
    let ctrl_len = count.div_ceil(4);
    let ctrl = input.get(..ctrl_len)?;
    let mut pos = ctrl_len;
    let mut out = Vec::new();
    for i in 0..count {
        let len = usize::from((ctrl[i / 4] >> (2 * (i % 4))) & 3) + 1;
        let mut w = [0u8; 4];
        w[..len].copy_from_slice(input.get(pos..pos + len)?);
        out.push(u32::from_le_bytes(w));
        pos += len;
    }
    Some((out, pos))
}

fuzz_target!(|data: &[u8]| {
    let Some((&c, data)) = data.split_first() else {
        return;
    };
    let count = usize::from(c) * 2 + usize::from(c & 1);
    let want = reference(data, count);
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
                let mut acc = 0u32;
                let sums: Vec<u32> = values
                    .iter()
                    .map(|&d| {
                        acc = acc.wrapping_add(d);
                        acc
                    })
                    .collect();
                assert_eq!(dout, sums, "{level:?}");
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
