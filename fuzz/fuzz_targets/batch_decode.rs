//! Batch varint decoding: every SIMD level against the scalar level and a per-value loop.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfkit_encoding::varint::{
    decode_u32, decode_u32_slice_with, decode_u64, decode_u64_slice_with,
};
use perfkit_encoding::{DecodeError, Level, Simd};

/// Per-value reference loop built on the single decoder.
fn reference_u64(data: &[u8], count: usize) -> Result<(Vec<u64>, usize), DecodeError> {
    let mut pos = 0;
    let mut out = Vec::new();
    for _ in 0..count {
        match decode_u64(&data[pos..]) {
            Ok((v, n)) => {
                out.push(v);
                pos += n;
            }
            Err(e) => return Err(e.shifted(pos)),
        }
    }
    Ok((out, pos))
}

fn reference_u32(data: &[u8], count: usize) -> Result<(Vec<u32>, usize), DecodeError> {
    let mut pos = 0;
    let mut out = Vec::new();
    for _ in 0..count {
        match decode_u32(&data[pos..]) {
            Ok((v, n)) => {
                out.push(v);
                pos += n;
            }
            Err(e) => return Err(e.shifted(pos)),
        }
    }
    Ok((out, pos))
}

fuzz_target!(|data: &[u8]| {
    let Some((&c, data)) = data.split_first() else {
        return;
    };
    // The count: usually about what the input holds, sometimes far more.
    let count = if c == 0xff {
        usize::MAX
    } else {
        usize::from(c) * 2
    };
    let want = reference_u64(data, count.min(data.len() + 1));
    let want32 = reference_u32(data, count.min(data.len() + 1));
    for level in Level::available() {
        let simd = Simd::new(level).unwrap();
        let mut out = vec![1, 2, 3];
        let got = decode_u64_slice_with(simd, data, count, &mut out);
        match &want {
            Ok((values, n)) if count <= data.len() + 1 => {
                assert_eq!(got, Ok(*n), "{level:?}");
                assert_eq!(&out[3..], &values[..], "{level:?}");
            }
            Ok(_) => assert!(
                matches!(got, Err(DecodeError::Truncated { .. })),
                "{level:?}"
            ),
            Err(e) => {
                assert_eq!(got, Err(*e), "{level:?}");
                assert_eq!(out, [1, 2, 3]);
            }
        }
        let mut out32 = Vec::new();
        let got32 = decode_u32_slice_with(simd, data, count, &mut out32);
        match &want32 {
            Ok((values, n)) if count <= data.len() + 1 => {
                assert_eq!(got32, Ok(*n), "{level:?}");
                assert_eq!(&out32, values, "{level:?}");
            }
            Ok(_) => assert!(
                matches!(got32, Err(DecodeError::Truncated { .. })),
                "{level:?}"
            ),
            Err(e) => assert_eq!(got32, Err(*e), "{level:?}"),
        }
    }
});
