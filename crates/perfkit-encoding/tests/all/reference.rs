//! Naive reference codecs, written for clarity only.

/// Textbook LEB128 encoding.
pub fn encode_u64(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Textbook LEB128 decoding with the crate's error rules; `None` on any error.
pub fn decode_u64(input: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..10 {
        let b = *input.get(i)?;
        if i == 9 && b > 1 {
            return None;
        }
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// `u32` flavour: at most 5 bytes, value below 2^32.
pub fn decode_u32(input: &[u8]) -> Option<(u32, usize)> {
    let mut v = 0u64;
    for i in 0..5 {
        let b = *input.get(i)?;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return u32::try_from(v).ok().map(|v| (v, i + 1));
        }
    }
    None
}

/// Stream VByte, reference layout.
pub fn svb_encode(values: &[u32]) -> Vec<u8> {
    let mut ctrl = vec![0u8; values.len().div_ceil(4)];
    let mut data = Vec::new();
    for (i, &v) in values.iter().enumerate() {
        let len = if v < 1 << 8 {
            1
        } else if v < 1 << 16 {
            2
        } else if v < 1 << 24 {
            3
        } else {
            4
        };
        ctrl[i / 4] |= ((len - 1) as u8) << (2 * (i % 4));
        data.extend_from_slice(&v.to_le_bytes()[..len]);
    }
    ctrl.extend_from_slice(&data);
    ctrl
}

/// Stream VByte decode; `None` when the input is short.
pub fn svb_decode(input: &[u8], count: usize) -> Option<(Vec<u32>, usize)> {
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

pub fn deltas(values: &[u32]) -> Vec<u32> {
    let mut prev = 0u32;
    values
        .iter()
        .map(|&v| {
            let d = v.wrapping_sub(prev);
            prev = v;
            d
        })
        .collect()
}

pub fn prefix_sums(values: &[u32]) -> Vec<u32> {
    let mut acc = 0u32;
    values
        .iter()
        .map(|&d| {
            acc = acc.wrapping_add(d);
            acc
        })
        .collect()
}
