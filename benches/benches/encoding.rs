//! perfkit-encoding against naive loops and the peer crates.
//!
//! Inputs: 1,000,000 values from `perfkit_testkit::varint_mix` (`varint_mix_u32` for Stream
//! VByte), plus all-1-byte and all-10-byte varint inputs. Group = task and input shape,
//! function id = contender, parameter = values per iteration.
//!
//! varint-simd is built as users build it: without `target-cpu` or `-C target-feature`, so its
//! SSSE3/AVX2-only functions are compiled out and what remains is its baseline (SSE2) code.
//!
//! After the criterion groups, paired comparisons (`perfkit_benches::paired`) of the ratio
//! targets: `varint_decode_mix_paired`, `varint_decode_slice_mix_paired`,
//! `stream_vbyte_decode_mix_paired` and `frame_header_parse_paired`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, measurement::WallTime};
use integer_encoding::VarInt;
use perfkit_encoding::frame::{self, FrameHeader, HEADER_LEN, Limits};
use perfkit_encoding::{Level, Simd, crc32c, stream_vbyte, varint};
use perfkit_testkit::{DEFAULT_SEED, varint_mix, varint_mix_u32};
use zerocopy::FromBytes;

const N: usize = 1_000_000;

/// The value mixes every varint contender runs on, by their encoded lengths:
/// - `1byte`: all one byte (small protobuf fields, enums, bools);
/// - `1byte_neg`: one byte but for a 5% tail of ten-byte values (negative `int64` fields,
///   which protobuf encodes as ten bytes);
/// - `mix`: 50% one byte, 30% two, 15% three to four, 5% five to ten (`varint_mix`);
/// - `uniform`: lengths 1..=10 equally likely;
/// - `full`: uniform 64-bit values (nine or ten bytes);
/// - `10byte`: all ten bytes.
fn shapes() -> Vec<(&'static str, Vec<u64>)> {
    let mix = varint_mix(N, DEFAULT_SEED);
    let mut rng = perfkit_testkit::Rng::new(DEFAULT_SEED ^ 0x5A4E);
    let one_byte: Vec<u64> = mix.iter().map(|v| v & 0x7f).collect();
    let neg_tail = one_byte
        .iter()
        .map(|&v| {
            if rng.below(20) == 0 {
                (-((v + 1) as i64)) as u64
            } else {
                v
            }
        })
        .collect();
    let uniform = (0..N)
        .map(|_| {
            // A value of exactly `len` encoded bytes: in [2^(7(len-1)), 2^(7 len)).
            let len = rng.range(1, 11) as u32;
            let lo = if len == 1 { 0 } else { 1u64 << (7 * (len - 1)) };
            let span = if 7 * len >= 64 {
                u64::MAX - lo
            } else {
                (1u64 << (7 * len)) - 1 - lo
            };
            lo + rng.next_u64() % (span + 1)
        })
        .collect();
    let full = (0..N).map(|_| rng.next_u64()).collect();
    vec![
        ("1byte", one_byte),
        ("1byte_neg", neg_tail),
        ("mix", mix.clone()),
        ("uniform", uniform),
        ("full", full),
        ("10byte", mix.into_iter().map(|v| v | (1 << 63)).collect()),
    ]
}

fn group<'a>(c: &'a mut Criterion, name: &str, elements: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(elements as u64));
    if !perfkit_benches::quick() {
        g.sample_size(30);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(3));
    }
    g
}

fn scalar() -> Simd {
    Simd::new(Level::Scalar).expect("scalar runs everywhere")
}

/// The textbook loop.
fn naive_decode(input: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in input.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((v, i + 1));
        }
    }
    None
}

fn naive_encode(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

// One loop function per contender, each taking the input in registers (a `black_box`ed local
// would otherwise be kept in memory and put a store-forward on every loop's critical path).
/// A contender's whole-buffer decode loop (returns the sum of the values).
type DecodeLoop = fn(&[u8]) -> u64;

#[inline(never)]
fn loop_naive(mut input: &[u8]) -> u64 {
    let mut acc = 0u64;
    while let Some((v, n)) = naive_decode(input) {
        acc = acc.wrapping_add(v);
        input = &input[n..];
    }
    acc
}

#[inline(never)]
fn loop_prost(mut input: &[u8]) -> u64 {
    let mut acc = 0u64;
    while !input.is_empty() {
        acc = acc.wrapping_add(prost::encoding::decode_varint(&mut input).unwrap());
    }
    acc
}

#[inline(never)]
fn loop_integer_encoding(mut input: &[u8]) -> u64 {
    let mut acc = 0u64;
    while let Some((v, n)) = u64::decode_var(input) {
        acc = acc.wrapping_add(v);
        input = &input[n..];
    }
    acc
}

#[inline(never)]
fn loop_leb128(mut input: &[u8]) -> u64 {
    let mut acc = 0u64;
    while let Ok(v) = leb128::read::unsigned(&mut input) {
        acc = acc.wrapping_add(v);
    }
    acc
}

#[inline(never)]
fn loop_varint_simd(mut input: &[u8]) -> u64 {
    let mut acc = 0u64;
    while let Ok((v, n)) = varint_simd::decode::<u64>(input) {
        acc = acc.wrapping_add(v);
        input = &input[n..];
    }
    acc
}

/// `padded` is the encoded input followed by 16 zero bytes; `len` the encoded length.
#[inline(never)]
fn loop_varint_simd_unsafe(padded: &[u8], len: usize) -> u64 {
    assert!(padded.len() >= len + 16);
    let mut pos = 0;
    let mut acc = 0u64;
    while pos < len {
        // SAFETY: 16 bytes are readable at every varint start (checked above).
        let (v, n) = unsafe { varint_simd::decode_unsafe::<u64>(padded.as_ptr().add(pos)) };
        acc = acc.wrapping_add(v);
        pos += n;
    }
    acc
}

#[inline(never)]
fn loop_perfkit(mut input: &[u8]) -> u64 {
    let mut acc = 0u64;
    while let Ok((v, n)) = varint::decode_u64(input) {
        acc = acc.wrapping_add(v);
        input = &input[n..];
    }
    acc
}

fn varint_single_decode(c: &mut Criterion) {
    for (shape, values) in shapes() {
        let mut bytes = Vec::new();
        varint::encode_u64_slice(&values, &mut bytes);
        let mut padded = bytes.clone();
        padded.extend_from_slice(&[0; 16]);
        let expected = values.iter().fold(0u64, |a, &v| a.wrapping_add(v));
        let mut g = group(c, &format!("varint_decode_{shape}"), N);
        let contenders: [(&str, DecodeLoop); 6] = [
            ("naive", loop_naive),
            ("prost", loop_prost),
            ("integer-encoding", loop_integer_encoding),
            ("leb128", loop_leb128),
            ("varint-simd", loop_varint_simd),
            ("perfkit", loop_perfkit),
        ];
        for (name, f) in contenders {
            assert_eq!(f(&bytes), expected, "{name}");
            g.bench_function(criterion::BenchmarkId::new(name, N), |b| {
                b.iter(|| f(black_box(&bytes)))
            });
        }
        assert_eq!(loop_varint_simd_unsafe(&padded, bytes.len()), expected);
        g.bench_function(criterion::BenchmarkId::new("varint-simd/unsafe", N), |b| {
            b.iter(|| loop_varint_simd_unsafe(black_box(&padded), bytes.len()));
        });
        g.finish();
    }
}

fn varint_slice_decode(c: &mut Criterion) {
    for (shape, values) in shapes() {
        let mut bytes = Vec::new();
        varint::encode_u64_slice(&values, &mut bytes);
        let mut g = group(c, &format!("varint_decode_slice_{shape}"), N);
        let mut out: Vec<u64> = Vec::with_capacity(N);
        g.bench_function(criterion::BenchmarkId::new("naive", N), |b| {
            b.iter(|| {
                out.clear();
                let mut input = black_box(&bytes[..]);
                while let Some((v, n)) = naive_decode(input) {
                    out.push(v);
                    input = &input[n..];
                }
                out.len()
            });
        });
        g.bench_function(criterion::BenchmarkId::new("prost", N), |b| {
            b.iter(|| {
                out.clear();
                let mut input = black_box(&bytes[..]);
                for _ in 0..N {
                    out.push(prost::encoding::decode_varint(&mut input).unwrap());
                }
                out.len()
            });
        });
        g.bench_function(criterion::BenchmarkId::new("varint-simd", N), |b| {
            b.iter(|| {
                out.clear();
                let mut input = black_box(&bytes[..]);
                for _ in 0..N {
                    let (v, n) = varint_simd::decode::<u64>(input).unwrap();
                    out.push(v);
                    input = &input[n..];
                }
                out.len()
            });
        });
        for level in Level::available() {
            let simd = Simd::new(level).unwrap();
            let name = if level == Level::detected() {
                "perfkit".to_string()
            } else {
                format!("perfkit/{level}")
            };
            g.bench_function(criterion::BenchmarkId::new(name, N), |b| {
                b.iter(|| {
                    out.clear();
                    varint::decode_u64_slice_with(simd, black_box(&bytes), N, &mut out).unwrap()
                });
            });
        }
        g.finish();
    }
}

fn varint_encode(c: &mut Criterion) {
    for (shape, values) in shapes() {
        let mut g = group(c, &format!("varint_encode_{shape}"), N);
        let mut out: Vec<u8> = Vec::with_capacity(10 * N + 16);
        g.bench_function(criterion::BenchmarkId::new("naive", N), |b| {
            b.iter(|| {
                out.clear();
                for &v in black_box(&values[..]) {
                    naive_encode(v, &mut out);
                }
                out.len()
            });
        });
        g.bench_function(criterion::BenchmarkId::new("prost", N), |b| {
            b.iter(|| {
                out.clear();
                for &v in black_box(&values[..]) {
                    prost::encoding::encode_varint(v, &mut out);
                }
                out.len()
            });
        });
        g.bench_function(criterion::BenchmarkId::new("integer-encoding", N), |b| {
            b.iter(|| {
                out.clear();
                let mut buf = [0u8; 10];
                for &v in black_box(&values[..]) {
                    let n = v.encode_var(&mut buf);
                    out.extend_from_slice(&buf[..n]);
                }
                out.len()
            });
        });
        g.bench_function(criterion::BenchmarkId::new("leb128", N), |b| {
            b.iter(|| {
                out.clear();
                for &v in black_box(&values[..]) {
                    leb128::write::unsigned(&mut out, v).unwrap();
                }
                out.len()
            });
        });
        g.bench_function(criterion::BenchmarkId::new("varint-simd", N), |b| {
            b.iter(|| {
                out.clear();
                for &v in black_box(&values[..]) {
                    let (buf, n) = varint_simd::encode(v);
                    out.extend_from_slice(&buf[..usize::from(n)]);
                }
                out.len()
            });
        });
        g.bench_function(criterion::BenchmarkId::new("perfkit", N), |b| {
            b.iter(|| {
                out.clear();
                varint::encode_u64_slice(black_box(&values), &mut out);
                out.len()
            });
        });
        g.bench_function(criterion::BenchmarkId::new("perfkit/array", N), |b| {
            b.iter(|| {
                out.clear();
                let mut buf = [0u8; 10];
                for &v in black_box(&values[..]) {
                    let n = varint::encode_u64(v, &mut buf);
                    out.extend_from_slice(&buf[..n]);
                }
                out.len()
            });
        });
        g.bench_function(criterion::BenchmarkId::new("perfkit/single", N), |b| {
            b.iter(|| {
                out.clear();
                for &v in black_box(&values[..]) {
                    varint::encode_u64_to(v, &mut out);
                }
                out.len()
            });
        });
        // The portable step (no BMI), as on CPUs without a fast `pdep`.
        g.bench_function(criterion::BenchmarkId::new("perfkit/scalar", N), |b| {
            b.iter(|| {
                out.clear();
                varint::encode_u64_slice_with(scalar(), black_box(&values), &mut out);
                out.len()
            });
        });
        g.finish();
    }
}

fn stream_vbyte_benches(c: &mut Criterion) {
    let values = varint_mix_u32(N, DEFAULT_SEED);
    let mut bytes = Vec::new();
    stream_vbyte::encode(&values, &mut bytes);

    let mut g = group(c, "stream_vbyte_decode_mix", N);
    let mut out: Vec<u32> = Vec::with_capacity(N);
    let mut peer_out = vec![0u32; N];
    g.bench_function(criterion::BenchmarkId::new("naive", N), |b| {
        b.iter(|| {
            out.clear();
            let input = black_box(&bytes[..]);
            let ctrl_len = N.div_ceil(4);
            let mut pos = ctrl_len;
            for i in 0..N {
                let len = usize::from((input[i / 4] >> (2 * (i % 4))) & 3) + 1;
                let mut w = [0u8; 4];
                w[..len].copy_from_slice(&input[pos..pos + len]);
                out.push(u32::from_le_bytes(w));
                pos += len;
            }
            pos
        });
    });
    g.bench_function(criterion::BenchmarkId::new("stream-vbyte", N), |b| {
        b.iter(|| {
            stream_vbyte_peer::decode::decode::<stream_vbyte_peer::scalar::Scalar>(
                black_box(&bytes),
                N,
                &mut peer_out,
            )
        });
    });
    g.bench_function(criterion::BenchmarkId::new("perfkit", N), |b| {
        b.iter(|| {
            out.clear();
            stream_vbyte::decode(black_box(&bytes), N, &mut out).unwrap()
        });
    });
    g.bench_function(criterion::BenchmarkId::new("perfkit/delta", N), |b| {
        b.iter(|| {
            out.clear();
            stream_vbyte::decode_delta(black_box(&bytes), N, &mut out).unwrap()
        });
    });
    g.bench_function(criterion::BenchmarkId::new("perfkit/scalar", N), |b| {
        b.iter(|| {
            out.clear();
            stream_vbyte::decode_with(scalar(), black_box(&bytes), N, &mut out).unwrap()
        });
    });
    g.finish();

    let mut g = group(c, "stream_vbyte_encode_mix", N);
    let mut enc: Vec<u8> = Vec::with_capacity(stream_vbyte::max_encoded_len(N) + 16);
    let mut peer_enc = vec![0u8; stream_vbyte::max_encoded_len(N)];
    g.bench_function(criterion::BenchmarkId::new("stream-vbyte", N), |b| {
        b.iter(|| {
            stream_vbyte_peer::encode::encode::<stream_vbyte_peer::scalar::Scalar>(
                black_box(&values),
                &mut peer_enc,
            )
        });
    });
    g.bench_function(criterion::BenchmarkId::new("perfkit", N), |b| {
        b.iter(|| {
            enc.clear();
            stream_vbyte::encode(black_box(&values), &mut enc);
            enc.len()
        });
    });
    g.bench_function(criterion::BenchmarkId::new("perfkit/delta", N), |b| {
        b.iter(|| {
            enc.clear();
            stream_vbyte::encode_delta(black_box(&values), &mut enc);
            enc.len()
        });
    });
    g.bench_function(criterion::BenchmarkId::new("perfkit/scalar", N), |b| {
        b.iter(|| {
            enc.clear();
            stream_vbyte::encode_with(scalar(), black_box(&values), &mut enc);
            enc.len()
        });
    });
    g.finish();
}

fn frames(c: &mut Criterion) {
    let payload = perfkit_testkit::bytes(4096, DEFAULT_SEED);
    let mut wire = Vec::new();
    frame::write(&mut wire, 1, 0, &payload).unwrap();
    let limits = Limits::default();

    let mut g = c.benchmark_group("frame_parse_4k");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function(criterion::BenchmarkId::new("naive", 4096), |b| {
        b.iter(|| {
            let w = black_box(&wire[..]);
            let magic = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
            let len = u32::from_be_bytes([w[8], w[9], w[10], w[11]]) as usize;
            let sum = u32::from_be_bytes([w[12], w[13], w[14], w[15]]);
            let body = &w[HEADER_LEN..HEADER_LEN + len];
            // Bit-at-a-time CRC32C.
            let mut crc = !0u32;
            for &byte in body {
                crc ^= u32::from(byte);
                for _ in 0..8 {
                    crc = if crc & 1 != 0 {
                        (crc >> 1) ^ 0x82f6_3b78
                    } else {
                        crc >> 1
                    };
                }
            }
            (magic == frame::MAGIC && !crc == sum, body.len())
        });
    });
    g.bench_function(criterion::BenchmarkId::new("perfkit", 4096), |b| {
        b.iter(|| frame::parse(black_box(&wire), &limits).map(|(f, n)| (f.payload.len(), n)));
    });
    g.bench_function(
        criterion::BenchmarkId::new("perfkit/portable_crc", 4096),
        |b| {
            b.iter(|| {
                let (h, n) = FrameHeader::ref_from_prefix(black_box(&wire)).unwrap();
                (
                    crc32c::crc32c_append_with(scalar(), 0, &n[..4096]) == h.checksum.get(),
                    n.len(),
                )
            });
        },
    );
    g.finish();

    // The checksum alone: perfkit's CRC32C (hardware instructions, three lanes joined by
    // shift tables) against the `crc32c` crate, at a frame-sized and a larger input.
    let data = perfkit_testkit::bytes(65_536, DEFAULT_SEED);
    let mut g = c.benchmark_group("crc32c");
    for len in [4096usize, 65_536] {
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(criterion::BenchmarkId::new("perfkit", len), |b| {
            b.iter(|| crc32c::crc32c(black_box(&data[..len])));
        });
        g.bench_function(criterion::BenchmarkId::new("crc32c", len), |b| {
            b.iter(|| ::crc32c::crc32c(black_box(&data[..len])));
        });
        g.bench_function(criterion::BenchmarkId::new("perfkit/portable", len), |b| {
            b.iter(|| crc32c::crc32c_append_with(scalar(), 0, black_box(&data[..len])));
        });
    }
    g.finish();

    // Header-only parse over 4096 back-to-back empty frames.
    let headers = empty_frames();
    let mut g = c.benchmark_group("frame_header_parse");
    g.throughput(Throughput::Elements(HEADERS as u64));
    g.bench_function(
        criterion::BenchmarkId::new("hand/zerocopy_ref_from_prefix", HEADERS),
        |b| {
            b.iter(|| headers_bare(black_box(&headers)));
        },
    );
    g.bench_function(criterion::BenchmarkId::new("perfkit", HEADERS), |b| {
        b.iter(|| headers_perfkit(black_box(&headers), &limits));
    });
    g.finish();
}

/// Headers in the header-only parse: 4096 back-to-back empty frames.
const HEADERS: usize = 4096;

fn empty_frames() -> Vec<u8> {
    let mut headers = Vec::new();
    for i in 0..HEADERS {
        frame::write(&mut headers, i as u8, 0, &[]).unwrap();
    }
    headers
}

/// The bare zerocopy cast over every header, reading the same fields as `headers_perfkit`.
fn headers_bare(headers: &[u8]) -> u32 {
    let mut acc = 0u32;
    for chunk in headers.chunks_exact(HEADER_LEN) {
        let (h, _) = FrameHeader::ref_from_prefix(chunk).unwrap();
        acc = acc
            .wrapping_add(u32::from(h.kind))
            .wrapping_add(h.payload_len.get());
    }
    acc
}

/// perfkit's validated `parse_header` over every header.
fn headers_perfkit(headers: &[u8], limits: &Limits) -> u32 {
    let mut acc = 0u32;
    for chunk in headers.chunks_exact(HEADER_LEN) {
        let h = frame::parse_header(chunk, limits).unwrap();
        acc = acc
            .wrapping_add(u32::from(h.kind))
            .wrapping_add(h.payload_len.get());
    }
    acc
}

/// Paired comparisons (see `perfkit_benches::paired`) of the ratio targets, contenders timed
/// in alternating rounds: single-value decode loops and batch decode (mixed distribution),
/// Stream VByte plain against delta decode, and the header-only parse against the bare
/// zerocopy cast. Contenders that write output share one buffer.
fn paired_encoding() {
    use perfkit_benches::paired::{Contender, compare};
    use std::cell::RefCell;
    let values = varint_mix(N, DEFAULT_SEED);
    let mut bytes = Vec::new();
    varint::encode_u64_slice(&values, &mut bytes);
    let bytes = &bytes[..];
    let single: Vec<Contender<'_>> = vec![
        (
            "perfkit",
            Box::new(|| {
                black_box(loop_perfkit(black_box(bytes)));
            }),
        ),
        (
            "varint-simd",
            Box::new(|| {
                black_box(loop_varint_simd(black_box(bytes)));
            }),
        ),
        (
            "prost",
            Box::new(|| {
                black_box(loop_prost(black_box(bytes)));
            }),
        ),
    ];
    compare("varint_decode_mix_paired", N, single);
    // One output buffer for both contenders, so both write to the same (cached) memory.
    let out = RefCell::new(Vec::with_capacity(N));
    let slice: Vec<Contender<'_>> = vec![
        (
            "perfkit",
            Box::new(|| {
                let mut out = out.borrow_mut();
                out.clear();
                black_box(varint::decode_u64_slice(black_box(bytes), N, &mut out).unwrap());
            }),
        ),
        (
            "prost",
            Box::new(|| {
                let mut out = out.borrow_mut();
                out.clear();
                let mut input = black_box(bytes);
                for _ in 0..N {
                    out.push(prost::encoding::decode_varint(&mut input).unwrap());
                }
            }),
        ),
    ];
    compare("varint_decode_slice_mix_paired", N, slice);

    let values = varint_mix_u32(N, DEFAULT_SEED);
    let mut svb = Vec::new();
    stream_vbyte::encode(&values, &mut svb);
    let svb = &svb[..];
    // Plain against delta decode only (the peer ratio is far from its target either way),
    // into one shared output buffer: the same working set as in the criterion group.
    let out = RefCell::new(Vec::with_capacity(N));
    let decode: Vec<Contender<'_>> = vec![
        (
            "perfkit",
            Box::new(|| {
                let mut out = out.borrow_mut();
                out.clear();
                black_box(stream_vbyte::decode(black_box(svb), N, &mut out).unwrap());
            }),
        ),
        (
            "perfkit/delta",
            Box::new(|| {
                let mut out = out.borrow_mut();
                out.clear();
                black_box(stream_vbyte::decode_delta(black_box(svb), N, &mut out).unwrap());
            }),
        ),
    ];
    compare("stream_vbyte_decode_mix_paired", N, decode);

    let headers = empty_frames();
    let limits = Limits::default();
    let parse: Vec<Contender<'_>> = vec![
        (
            "perfkit",
            Box::new(|| {
                black_box(headers_perfkit(black_box(&headers), &limits));
            }),
        ),
        (
            "hand/zerocopy_ref_from_prefix",
            Box::new(|| {
                black_box(headers_bare(black_box(&headers)));
            }),
        ),
    ];
    compare("frame_header_parse_paired", HEADERS, parse);
}

criterion_group! {
    name = benches;
    config = perfkit_benches::criterion();
    targets = varint_single_decode, varint_slice_decode, varint_encode, stream_vbyte_benches, frames
}
fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    paired_encoding();
}
