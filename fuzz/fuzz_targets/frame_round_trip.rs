//! Frames written with `frame::write` and read back, whole with `parse` (one after another) and
//! through `FrameReader` fed in chunks of 1 to 7 bytes and all at once: exactly the frames
//! written come back (kind, flags, payload, in order), each header's checksum is the CRC32C of
//! its payload, every byte is accounted for and nothing is reported as corrupt.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_encoding::FrameError;
use perfkit_encoding::crc32c::crc32c;
use perfkit_encoding::frame::{self, FrameReader, HEADER_LEN, Limits, MAGIC, VERSION, parse};

#[derive(Debug, Arbitrary)]
struct Input {
    /// Kind, flags and payload of each frame.
    frames: Vec<(u8, u16, Vec<u8>)>,
    /// The reader's chunk size, less one (taken modulo 7).
    chunk: u8,
    /// Extra room in the payload limit beyond the largest payload.
    slack: u8,
}

type Written = (u8, u16, Vec<u8>);

/// Checks a returned frame's header and returns what it carried.
fn carried(f: &frame::Frame<'_>) -> Written {
    let h = f.header;
    assert_eq!(h.magic.get(), MAGIC);
    assert_eq!(h.version, VERSION);
    assert_eq!(h.payload_len.get() as usize, f.payload.len());
    assert_eq!(h.checksum.get(), crc32c(f.payload), "CRC32C of the payload");
    (h.kind, h.flags.get(), f.payload.to_vec())
}

/// The frames the reader returns for `wire` pushed in chunks of `chunk` bytes.
fn read_back(wire: &[u8], chunk: usize, limits: Limits) -> Vec<Written> {
    let mut reader = FrameReader::new(limits);
    let mut out = Vec::new();
    for piece in wire.chunks(chunk) {
        reader.push(piece);
        loop {
            let before = reader.stream_offset();
            match reader.next_frame() {
                Ok(f) => out.push(carried(&f)),
                Err(FrameError::Incomplete { .. }) => {
                    assert_eq!(reader.stream_offset(), before, "Incomplete consumed bytes");
                    break;
                }
                Err(e) => panic!("a written frame was reported as corrupt: {e}"),
            }
            assert!(reader.stream_offset() > before, "no progress");
        }
    }
    assert_eq!(reader.stream_offset(), wire.len() as u64, "every byte read");
    assert_eq!(reader.buffered(), 0, "nothing left over");
    out
}

fuzz_target!(|input: Input| {
    let mut wire = Vec::new();
    for (kind, flags, payload) in &input.frames {
        let before = wire.len();
        let n = frame::write(&mut wire, *kind, *flags, payload).expect("a small payload fits");
        assert_eq!(n, HEADER_LEN + payload.len());
        assert_eq!(wire.len(), before + n);
    }
    let largest = input.frames.iter().map(|f| f.2.len()).max().unwrap_or(0);
    let limits = Limits::with_max_payload(largest as u32 + u32::from(input.slack));

    // `parse`, frame after frame.
    let mut rest = &wire[..];
    let mut parsed = Vec::new();
    while !rest.is_empty() {
        let (f, used) = parse(rest, &limits).expect("a written frame parses");
        parsed.push(carried(&f));
        rest = &rest[used..];
    }
    assert_eq!(parsed, input.frames);

    // The reader, in small chunks and all at once.
    let chunk = usize::from(input.chunk % 7) + 1;
    assert_eq!(read_back(&wire, chunk, limits), input.frames);
    assert_eq!(read_back(&wire, wire.len().max(1), limits), input.frames);
});
