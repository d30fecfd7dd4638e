//! Shuffle and length tables indexed by a control byte (computed at compile time).

#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

/// Bytes of data the four values of control byte `c` take.
pub(super) static LENGTHS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = ((c & 3) + ((c >> 2) & 3) + ((c >> 4) & 3) + ((c >> 6) & 3) + 4) as u8;
        c += 1;
    }
    t
};

/// A 16-byte `pshufb` control, aligned for a single load.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub(super) struct Shuffle(pub(super) [u8; 16]);

/// Decode: moves each value's bytes from the packed data into its own 32-bit lane.
pub(super) static DECODE: [Shuffle; 256] = shuffles(false);

/// Encode: packs the low bytes of four 32-bit lanes together (the inverse of `DECODE`).
pub(super) static ENCODE: [Shuffle; 256] = shuffles(true);

/// The 256 shuffles between packed data (value `j`'s bytes at `pos..pos + len`) and 32-bit
/// lanes (bytes `4 * j..4 * j + len`): lane from packed for decode, packed from lane for encode.
const fn shuffles(encode: bool) -> [Shuffle; 256] {
    let mut t = [Shuffle([0x80; 16]); 256];
    let mut c = 0;
    while c < 256 {
        let mut pos = 0;
        let mut j = 0;
        while j < 4 {
            let len = ((c >> (2 * j)) & 3) + 1;
            let mut b = 0;
            while b < len {
                let (packed, lane) = (pos + b, 4 * j + b);
                if encode {
                    t[c].0[packed] = lane as u8;
                } else {
                    t[c].0[lane] = packed as u8;
                }
                b += 1;
            }
            pos += len;
            j += 1;
        }
        c += 1;
    }
    t
}
