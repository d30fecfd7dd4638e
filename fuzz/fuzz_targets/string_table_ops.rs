//! `StringTable` under arbitrary operation sequences (push, try_push, get, iter, clone,
//! shrink_to_fit, ...) against a `Vec<String>`: every string reads back exactly, at its
//! index, and the sizes agree.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_layout::StringTable;

#[derive(Debug, Arbitrary)]
enum Op {
    Push(String),
    TryPush(String),
    /// `text` repeated up to 255 times: long strings without long inputs.
    PushRepeated {
        text: String,
        times: u8,
    },
    /// Pushes the string already at this index again (modulo the length).
    PushAgain(u16),
    Get(u16),
    /// An index past the end.
    GetPast(u16),
    Iter,
    ShrinkToFit,
    Clone,
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// `with_capacity(strings, bytes)` instead of `new()` when given (bounded).
    capacity: Option<(u8, u16)>,
    ops: Vec<Op>,
}

fn check_all(table: &StringTable, model: &[String]) {
    assert_eq!(table.len(), model.len());
    assert_eq!(table.is_empty(), model.is_empty());
    let total: usize = model.iter().map(String::len).sum();
    assert_eq!(table.total_bytes(), total);
    assert!(table.heap_bytes() >= total);
    assert!(table.iter().eq(model.iter().map(String::as_str)));
    assert!(
        table
            .iter()
            .rev()
            .eq(model.iter().rev().map(String::as_str))
    );
    assert_eq!(table.iter().len(), model.len());
    for (i, s) in model.iter().enumerate() {
        assert_eq!(table.get(i), Some(s.as_str()), "string {i}");
    }
    assert_eq!(table.get(model.len()), None);
    assert_eq!(format!("{table:?}"), format!("{model:?}"));
}

fn push(table: &mut StringTable, model: &mut Vec<String>, s: String, try_: bool) {
    let i = if try_ {
        table.try_push(&s).expect("far below 4 GiB")
    } else {
        table.push(&s)
    };
    assert_eq!(i, model.len(), "push returns the new index");
    model.push(s);
}

fuzz_target!(|input: Input| {
    let mut table = match input.capacity {
        Some((strings, bytes)) => StringTable::with_capacity(strings.into(), bytes.into()),
        None => StringTable::new(),
    };
    let mut model: Vec<String> = Vec::new();
    for op in input.ops {
        match op {
            Op::Push(s) => push(&mut table, &mut model, s, false),
            Op::TryPush(s) => push(&mut table, &mut model, s, true),
            Op::PushRepeated { text, times } => {
                push(&mut table, &mut model, text.repeat(times.into()), false)
            }
            Op::PushAgain(i) => {
                if let Some(s) = model.get(usize::from(i) % model.len().max(1)).cloned() {
                    push(&mut table, &mut model, s, false);
                }
            }
            Op::Get(i) => {
                let i = usize::from(i) % model.len().max(1);
                assert_eq!(table.get(i), model.get(i).map(String::as_str));
            }
            Op::GetPast(k) => {
                assert_eq!(table.get(model.len() + usize::from(k)), None);
                assert_eq!(table.get(usize::MAX - usize::from(k)), None);
            }
            Op::Iter => check_all(&table, &model),
            Op::ShrinkToFit => {
                table.shrink_to_fit();
                check_all(&table, &model);
            }
            Op::Clone => {
                let copy = table.clone();
                assert!(copy == table);
                drop(table);
                table = copy;
                check_all(&table, &model);
            }
        }
        assert_eq!(table.len(), model.len());
    }
    check_all(&table, &model);
    // Equal to a table built in one go from the same strings.
    let mut fresh = StringTable::new();
    for s in &model {
        fresh.push(s);
    }
    assert!(fresh == table);
});
