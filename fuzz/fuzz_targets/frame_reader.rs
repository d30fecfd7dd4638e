//! Frame parsing and the stream reader: no panics, progress on every report, every byte
//! accounted for, the same frames whatever the chunking, and CRC32C equal on every level.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfkit_encoding::crc32c::crc32c_append_with;
use perfkit_encoding::frame::{FrameReader, Limits, parse};
use perfkit_encoding::{FrameError, Level, Simd};

/// Runs the reader over `data` pushed in chunks of `chunk` bytes; returns what it reported.
fn events(data: &[u8], chunk: usize, limits: Limits) -> Vec<Result<(u8, Vec<u8>), FrameError>> {
    let mut reader = FrameReader::new(limits);
    let mut out = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        reader.push(piece);
        loop {
            let before = reader.stream_offset();
            match reader.next_frame() {
                Ok(f) => out.push(Ok((f.header.kind, f.payload.to_vec()))),
                Err(FrameError::Incomplete { .. }) => {
                    assert_eq!(reader.stream_offset(), before);
                    break;
                }
                Err(e) => out.push(Err(e)),
            }
            assert!(reader.stream_offset() > before, "no progress");
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&c, data)) = data.split_first() else {
        return;
    };
    let limits = Limits::with_max_payload(u32::from(c) * 4);
    let scalar = Simd::new(Level::Scalar).unwrap();
    let want_crc = crc32c_append_with(scalar, 0, data);
    for level in Level::available() {
        assert_eq!(
            crc32c_append_with(Simd::new(level).unwrap(), 0, data),
            want_crc
        );
    }
    let _ = parse(data, &limits);
    let whole = events(data, data.len(), limits);
    let split = events(data, usize::from(c % 7) + 1, limits);
    // Chunking may split one garbage span into several reports; frames must be identical.
    let frames = |v: &[Result<(u8, Vec<u8>), FrameError>]| {
        v.iter()
            .filter_map(|e| e.as_ref().ok().cloned())
            .collect::<Vec<_>>()
    };
    assert_eq!(frames(&whole), frames(&split));
});
