//! The pipeline's own tests: every row agrees on generated input, and bad input (corrupt
//! frames, truncated streams, garbage, malformed payloads) is reported at the right offset and
//! skipped the same way by every row, without a panic.

use perfkit::encoding::frame;

use crate::model::{
    self, GenEvent, KIND_EVENTS, MAX_BATCH, PayloadError, Problem, Sink, WINDOW_US, encode_batch,
};
use crate::rows::{ROWS, check};
use crate::{run_row, survey};

/// Held by every test that flips the allocator switch (each row run sets it), so that a test
/// asserting where new blocks come from is not raced by a row starting on another test thread.
static SWITCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn switch_lock() -> std::sync::MutexGuard<'static, ()> {
    // A test that failed while holding the lock leaves nothing to repair.
    SWITCH
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs every row over `input`; asserts they agree and returns the common sink and the
/// events each row accepted.
fn all_rows_agree(input: &[u8]) -> (Sink, u64) {
    let (frames, _) = survey(input);
    let _switch = switch_lock();
    let results: Vec<_> = ROWS.iter().map(|row| run_row(row, input, frames)).collect();
    for r in &results {
        assert_eq!(
            r.sink, results[0].sink,
            "row {} differs from row naive",
            r.name
        );
        assert_eq!(
            r.events, results[0].events,
            "row {} accepted other events",
            r.name
        );
        assert_eq!(
            r.rejected, results[0].rejected,
            "row {} rejected other batches",
            r.name
        );
    }
    (results[0].sink, results[0].events)
}

fn names() -> Vec<String> {
    vec![
        "cpu.user".into(),
        "disk.io_wait".into(),
        "net.rx_bytes".into(),
    ]
}

fn event(metric: usize, delta: u64, value: f32, labels: &[u32]) -> GenEvent {
    GenEvent {
        metric,
        delta,
        value,
        labels: labels.to_vec(),
    }
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    frame::write(&mut out, KIND_EVENTS, 0, payload).unwrap();
    out
}

#[test]
fn every_row_emits_the_same_aggregates_over_many_windows() {
    // 40 000 events with deltas up to 2 ms span about 40 windows.
    let input = model::generate(40_000, 11, 2_000);
    let (sink, events) = all_rows_agree(&input);
    assert_eq!(events, 40_000);
    assert_eq!(
        sink.events, 40_000,
        "every event lands in exactly one aggregate"
    );
    assert!(sink.rows > 30 * 60, "{} aggregates", sink.rows);
}

#[test]
fn aggregates_match_a_hand_computed_example() {
    // Two windows: cpu.user twice in window 0, once (late-free) in window 1.
    let evs = [
        event(0, 5, 10.0, &[1, 2]),
        event(1, 5, 7.0, &[]),
        event(0, 5, 30.0, &[3]),
        event(0, WINDOW_US, 20.0, &[]),
    ];
    let mut payload = Vec::new();
    encode_batch(&mut payload, 0, &names(), &evs);
    let input = framed(&payload);
    let (sink, events) = all_rows_agree(&input);
    assert_eq!(events, 4);
    let mut expect = Sink::default();
    let mut a = model::Agg::new();
    a.add(10.0, &[1, 2]);
    a.add(30.0, &[3]);
    assert_eq!((a.count, a.sum, a.min, a.max), (2, 40.0, 10.0, 30.0));
    a.emit(&mut expect, "cpu.user", 0);
    let mut b = model::Agg::new();
    b.add(7.0, &[]);
    b.emit(&mut expect, "disk.io_wait", 0);
    let mut c = model::Agg::new();
    c.add(20.0, &[]);
    c.emit(&mut expect, "cpu.user", 1);
    assert_eq!(sink, expect);
}

#[test]
fn late_events_join_the_open_window() {
    // The second batch starts before the first one ended: its events belong to window 2 by
    // timestamp order rules, not to the closed window 0.
    let mut p1 = Vec::new();
    encode_batch(
        &mut p1,
        0,
        &names(),
        &[event(0, 2 * WINDOW_US + 1, 1.0, &[])],
    );
    let mut p2 = Vec::new();
    encode_batch(&mut p2, 10, &names(), &[event(0, 0, 2.0, &[])]);
    let mut input = framed(&p1);
    input.extend(framed(&p2));
    let (sink, _) = all_rows_agree(&input);
    let mut expect = Sink::default();
    let mut a = model::Agg::new();
    a.add(1.0, &[]);
    a.add(2.0, &[]);
    a.emit(&mut expect, "cpu.user", 2);
    assert_eq!(sink, expect);
}

#[test]
fn corrupt_frames_are_reported_at_their_offset_and_skipped_by_every_row() {
    let good = model::generate(3 * MAX_BATCH, 5, 4);
    let (frames, problems) = survey(&good);
    assert_eq!((frames, problems.len()), (3, 0));
    let offsets: Vec<usize> = model::Walker::new(&good).map(|f| f.unwrap().0).collect();
    let clean_events = all_rows_agree(&good).1;

    // Flip one payload byte of the second frame: its CRC no longer matches.
    let mut bad = good.clone();
    bad[offsets[1] + frame::HEADER_LEN + 100] ^= 0x40;
    let (_, problems) = survey(&bad);
    assert_eq!(problems.len(), 1);
    assert!(
        matches!(problems[0], Problem::Frame { offset, .. } if offset == offsets[1]),
        "{:?}",
        problems[0]
    );
    let (_, events) = all_rows_agree(&bad);
    assert_eq!(events, clean_events - MAX_BATCH as u64);

    // Garbage between frames and a truncated last frame.
    let mut messy = good[..offsets[1]].to_vec();
    messy.extend_from_slice(b"this is not a frame");
    messy.extend_from_slice(&good[offsets[1]..good.len() - 7]);
    let (_, problems) = survey(&messy);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(matches!(problems[0], Problem::Frame { offset, .. } if offset == offsets[1]));
    assert!(
        matches!(problems[1], Problem::Frame { offset, .. } if offset == offsets[2] + 19),
        "{:?}",
        problems[1]
    );
    let (_, events) = all_rows_agree(&messy);
    assert_eq!(events, 2 * MAX_BATCH as u64);

    // A stream that is nothing but noise: no frames, no aggregates, no panic.
    let (sink, events) = all_rows_agree(&[0xFFu8; 1000]);
    assert_eq!((sink.rows, events), (0, 0));
}

/// A malformed-payload case: what it is, the payload, and the error it must give.
type Case = (&'static str, Vec<u8>, fn(&PayloadError) -> bool);

#[test]
fn malformed_payloads_are_rejected_whole_by_every_row() {
    let base = {
        let mut p = Vec::new();
        encode_batch(
            &mut p,
            0,
            &names(),
            &[event(0, 1, 3.0, &[9]), event(1, 1, 4.0, &[])],
        );
        p
    };
    // Layout of `base`: 00 | 02 | 08 "cpu.user" | 0c "disk.io_wait" | 02 | 00 01 | 01 01 |
    // values 8 bytes | counts 01 00 | label 09.
    let values_at = 1 + 1 + 9 + 13 + 1 + 2 + 2;
    let counts_at = values_at + 8;
    let cases: Vec<Case> = vec![
        ("empty", vec![], |e| {
            matches!(
                e,
                PayloadError::Varint {
                    field: "base timestamp",
                    ..
                }
            )
        }),
        ("truncated in the name table", base[..15].to_vec(), |e| {
            matches!(e, PayloadError::Truncated { field: "name", .. })
        }),
        (
            "too many events",
            {
                let mut p = base[..24].to_vec();
                p.extend_from_slice(&[0x81, 0x40]); // 8193
                p
            },
            |e| matches!(e, PayloadError::TooManyEvents { count: 8193 }),
        ),
        (
            "name index out of range",
            {
                let mut p = base.clone();
                p[25] = 7;
                p
            },
            |e| {
                matches!(
                    e,
                    PayloadError::NameIndex {
                        event: 0,
                        index: 7,
                        names: 2
                    }
                )
            },
        ),
        (
            "value not whole",
            {
                let mut p = base.clone();
                p[values_at..values_at + 4].copy_from_slice(&2.5f32.to_le_bytes());
                p
            },
            |e| matches!(e, PayloadError::Value { event: 0, .. }),
        ),
        (
            "value NaN",
            {
                let mut p = base.clone();
                p[values_at + 4..values_at + 8].copy_from_slice(&f32::NAN.to_le_bytes());
                p
            },
            |e| matches!(e, PayloadError::Value { event: 1, .. }),
        ),
        (
            "too many labels",
            {
                let mut p = base.clone();
                p[counts_at] = 5;
                p
            },
            |e| matches!(e, PayloadError::LabelCount { event: 0, count: 5 }),
        ),
        (
            "label over u32",
            {
                let mut p = base[..counts_at + 2].to_vec();
                p.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0x7F]); // 2^35 - 1
                p
            },
            |e| matches!(e, PayloadError::LabelId { .. }),
        ),
        (
            "trailing bytes",
            {
                let mut p = base.clone();
                p.push(0);
                p
            },
            |e| *e == PayloadError::Trailing { offset: 40 },
        ), // counts_at + 2 counts + 1 label byte
        (
            "11-byte varint",
            {
                let mut p = base[..counts_at + 2].to_vec();
                p.extend_from_slice(&[0x80; 10]);
                p.push(0);
                p
            },
            |e| matches!(e, PayloadError::Varint { field: "label", .. }),
        ),
        (
            "too many names",
            {
                let mut p = vec![0x00];
                p.extend_from_slice(&[0x81, 0x40]); // 8193 names
                p
            },
            |e| matches!(e, PayloadError::TooManyNames { count: 8193 }),
        ),
        (
            "name too long",
            {
                // One name of 4096 bytes: every event of a batch naming it would copy it in
                // the naive rows.
                let mut p = vec![0x00, 0x01, 0x80, 0x20];
                p.extend(std::iter::repeat_n(b'x', 4096));
                p.push(0x00);
                p
            },
            |e| {
                matches!(
                    e,
                    PayloadError::NameTooLong {
                        offset: 4,
                        len: 4096
                    }
                )
            },
        ),
        (
            "name not UTF-8",
            {
                let mut p = base.clone();
                p[3] = 0xFF;
                p
            },
            |e| matches!(e, PayloadError::NameNotUtf8 { offset: 3 }),
        ),
    ];
    assert!(check(&base).is_ok());
    for (what, payload, expected) in cases {
        let err = check(&payload).expect_err(what);
        assert!(expected(&err), "{what}: got {err:?}");
        assert!(!err.to_string().is_empty());
        // Between two good batches, every row skips the bad one alone.
        let mut input = framed(&base);
        let at = input.len();
        input.extend(framed(&payload));
        input.extend(framed(&base));
        let (_, problems) = survey(&input);
        assert!(
            matches!(&problems[..], [Problem::Payload { offset, .. }] if *offset == at),
            "{what}: {problems:?}"
        );
        let (sink, events) = all_rows_agree(&input);
        assert_eq!(events, 4, "{what}");
        assert_eq!(sink.events, 4, "{what}");
    }
}

/// The input offset of a problem.
fn offset_of(p: &Problem) -> usize {
    match *p {
        Problem::Frame { offset, .. } | Problem::Kind { offset, .. } => offset,
        Problem::Payload { offset, .. } => offset,
    }
}

/// Distinct metric names over the batches of `input` that every row accepts.
fn distinct_names(input: &[u8]) -> usize {
    let mut names = std::collections::HashSet::new();
    for (_, payload) in model::Walker::new(input).flatten() {
        if check(payload).is_ok() {
            let mut cur = model::Cursor::new(payload);
            model::read_head(&mut cur, |n| {
                names.insert(n.to_owned());
            })
            .expect("checked");
        }
    }
    names.len()
}

/// A frame header (magic, version, kind, flags, declared payload length, CRC) and then only
/// `body` bytes: the length field says what the frame claims, whatever follows.
fn header_claiming(len: u32, body: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&frame::MAGIC.to_be_bytes());
    out.extend_from_slice(&[frame::VERSION, KIND_EVENTS, 0, 0]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend(std::iter::repeat_n(0xA5, body));
    out
}

#[test]
fn hostile_input_is_reported_at_its_offsets_in_bounded_memory() {
    let good = model::generate(2 * MAX_BATCH, 9, 4);
    let max = frame::Limits::DEFAULT.max_payload;
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("random bytes".into(), perfkit_testkit::bytes(1 << 20, 11)),
        ("random bytes with a frame magic every 997 bytes".into(), {
            let mut b = perfkit_testkit::bytes(1 << 20, 12);
            for at in (0..b.len() - 4).step_by(997) {
                b[at..at + 4].copy_from_slice(&frame::MAGIC.to_be_bytes());
            }
            b
        }),
    ];
    // Truncated frames: the good stream cut inside its first header, inside its first
    // payload, and one byte short of its end.
    for cut in [7, frame::HEADER_LEN + 1000, good.len() - 1] {
        cases.push((format!("cut at byte {cut}"), good[..cut].to_vec()));
    }
    // Length fields at and past every limit, each followed by a good stream: a length the
    // limit allows but the input does not hold, one past the limit, the largest u32, and
    // zero.
    for len in [max, max + 1, u32::MAX, 0] {
        let mut b = header_claiming(len, 64);
        b.extend_from_slice(&good);
        cases.push((format!("length field {len}"), b));
    }
    // Payload-level limits in valid frames: the most names a batch may declare (each new),
    // and the longest names, every event of a full batch naming the longest one.
    let long: Vec<String> = (0..MAX_BATCH)
        .map(|k| format!("{k:x<width$}", width = model::MAX_NAME_LEN))
        .collect();
    let events: Vec<GenEvent> = (0..MAX_BATCH)
        .map(|k| event(k, 1, 1.0, &[k as u32]))
        .collect();
    let mut payload = Vec::new();
    encode_batch(&mut payload, 0, &long, &events);
    cases.push(("a full batch of the longest names".into(), framed(&payload)));
    let one: Vec<GenEvent> = (0..MAX_BATCH)
        .map(|_| event(0, 1, 1.0, &[1, 2, 3, 4]))
        .collect();
    encode_batch(&mut payload, 0, &long[..1], &one);
    cases.push((
        "every event naming the longest name".into(),
        framed(&payload),
    ));
    // Valid frames whose names were crafted to collide under a known interner seed.
    let crafted = model::colliding_names(1024, 13);
    cases.push((
        "names crafted to collide".into(),
        model::generate_with_names(4 * MAX_BATCH, 13, 4, &crafted),
    ));

    let _switch = switch_lock();
    for (what, input) in &cases {
        let (frames, problems) = survey(input);
        let offsets: Vec<usize> = problems.iter().map(offset_of).collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]) && offsets.iter().all(|&o| o < input.len()),
            "{what}: offsets {offsets:?} out of order or past the input"
        );
        let names = distinct_names(input);
        let results: Vec<_> = ROWS.iter().map(|row| run_row(row, input, frames)).collect();
        for r in &results {
            assert_eq!(r.sink, results[0].sink, "{what}: row {} differs", r.name);
            // The input is borrowed, never copied: what a row holds at its peak is its
            // working state for one batch (bounded by MAX_BATCH and MAX_NAME_LEN) plus an
            // aggregate and a histogram (15 KiB) per distinct name, never what a length field
            // claims.
            let bound = (4 << 20) + names * (20 << 10);
            assert!(
                r.peak_live_bytes <= bound as u64,
                "{what}: row {} peaked at {} bytes, over {bound} ({names} names)",
                r.name,
                r.peak_live_bytes
            );
        }
        let top = results.iter().max_by_key(|r| r.peak_live_bytes).unwrap();
        eprintln!(
            "{what}: {} problems, {names} names, peak {} KiB (row {})",
            problems.len(),
            top.peak_live_bytes >> 10,
            top.name
        );
    }
    // The length fields were reported where they are, and the good stream after each one
    // was still read in full.
    for len in [max + 1, u32::MAX] {
        let mut b = header_claiming(len, 64);
        b.extend_from_slice(&good);
        let (frames, problems) = survey(&b);
        assert_eq!(frames, 3, "length {len}");
        assert!(
            matches!(problems[..], [Problem::Frame { offset: 0, .. }]),
            "length {len}: {problems:?}"
        );
    }
}

#[test]
fn blocks_are_freed_by_the_allocator_that_made_them_whatever_the_switch_says() {
    use crate::alloc::{owned_by_mimalloc, use_mimalloc};
    // Rows run by other tests flip the switch too; hold it while asserting where blocks land.
    let _switch = switch_lock();
    use_mimalloc(false);
    let from_system: Vec<Vec<u8>> = (0..40).map(|i| vec![7u8; 1 << (i % 22)]).collect();
    assert!(from_system.iter().all(|v| !owned_by_mimalloc(v.as_ptr())));
    use_mimalloc(true);
    let mut from_mimalloc: Vec<Vec<u8>> = (0..40).map(|i| vec![9u8; 1 << (i % 22)]).collect();
    assert!(from_mimalloc.iter().all(|v| owned_by_mimalloc(v.as_ptr())));
    use_mimalloc(false);
    // Grow (realloc) mimalloc blocks while new blocks go to the system allocator.
    for v in &mut from_mimalloc {
        v.extend_from_slice(&[1, 2, 3]);
        assert!(owned_by_mimalloc(v.as_ptr()));
    }
    drop(from_mimalloc);
    use_mimalloc(true);
    drop(from_system);
    use_mimalloc(false);
}
