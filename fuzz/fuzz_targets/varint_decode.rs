//! Single-value varint decoding against a byte-at-a-time reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfkit_encoding::DecodeError;
use perfkit_encoding::varint::{decode_u32, decode_u32_strict, decode_u64, decode_u64_strict};

/// Reference: value and length, or the error the crate documents.
fn reference(input: &[u8], max_len: usize, max_value: u64) -> Result<(u64, usize), DecodeError> {
    let mut v = 0u128;
    for i in 0..max_len {
        let Some(&b) = input.get(i) else {
            return Err(DecodeError::Truncated { offset: 0 });
        };
        v |= u128::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if v > u128::from(max_value) {
                return Err(if max_len == 10 {
                    DecodeError::Overflow {
                        offset: 0,
                        last_byte: b,
                    }
                } else {
                    DecodeError::OverflowU32 {
                        offset: 0,
                        last_byte: b,
                    }
                });
            }
            return Ok((v as u64, i + 1));
        }
    }
    Err(DecodeError::Overlong {
        offset: 0,
        max_len: max_len as u8,
    })
}

fuzz_target!(|data: &[u8]| {
    let want = reference(data, 10, u64::MAX);
    assert_eq!(decode_u64(data), want);
    let strict = decode_u64_strict(data);
    match want {
        Ok((_, n)) if n > 1 && data[n - 1] == 0 => {
            assert_eq!(
                strict,
                Err(DecodeError::NonCanonical {
                    offset: 0,
                    len: n as u8
                })
            )
        }
        _ => assert_eq!(strict, want),
    }
    let want32 = reference(data, 5, u64::from(u32::MAX)).map(|(v, n)| (v as u32, n));
    assert_eq!(decode_u32(data), want32);
    if let Ok((_, n)) = want32 {
        assert_eq!(decode_u32_strict(data).is_ok(), n == 1 || data[n - 1] != 0);
    }
});
