//! `PackedVec` of an arbitrary bit width (1..=64) under arbitrary operation sequences against
//! a `Vec<u64>`: push / try_push / set / try_set / get / pop / truncate / clear / iter /
//! unpack / clone. Values read back exactly (one by one, by iterator both ways, and in
//! bulk with `unpack` from any start), values too wide and indices out of bounds are refused
//! without changing anything, and a vector equals the one built afresh from its values
//! (bits past the end are kept zero). At most 1 << 16 values.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_layout::PackedVec;
use perfkit_layout::bits::PackedError;

const MAX_LEN: usize = 1 << 16;

#[derive(Debug, Arbitrary)]
enum Op {
    /// Pushes the value masked to the width.
    Push(u64),
    /// `try_push` of the raw value: refused when it does not fit.
    TryPush(u64),
    /// Pushes `count % 2048` values of a simple pattern (runs long enough for `unpack`'s
    /// 64-value blocks).
    PushMany {
        count: u16,
        seed: u64,
    },
    Set {
        index: u16,
        value: u64,
    },
    TrySet {
        index: u16,
        value: u64,
    },
    Get(u16),
    Pop,
    Truncate(u16),
    Clear,
    Unpack {
        start: u16,
        len: u16,
    },
    Iter,
    Clone,
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// The width is `width % 64 + 1`.
    width: u8,
    capacity: Option<u16>,
    ops: Vec<Op>,
}

fn check_all(v: &PackedVec, model: &[u64]) {
    assert_eq!(v.len(), model.len());
    assert_eq!(v.is_empty(), model.is_empty());
    assert!(v.iter().eq(model.iter().copied()));
    assert!(v.iter().rev().eq(model.iter().rev().copied()));
    assert_eq!(v.iter().len(), model.len());
    for (i, &x) in model.iter().enumerate() {
        assert_eq!(v.get(i), Some(x), "value {i}");
    }
    assert_eq!(v.get(model.len()), None);
    let mut all = vec![0; model.len() + 3];
    assert_eq!(v.unpack(0, &mut all), model.len());
    assert_eq!(&all[..model.len()], model);
    assert_eq!(
        &all[model.len()..],
        [0; 3],
        "unpack writes only what it copies"
    );
    let fresh = PackedVec::from_slice(v.width(), model).expect("values fit");
    assert!(
        fresh == *v,
        "equal to the vector built afresh (bits past the end are zero)"
    );
}

fuzz_target!(|input: Input| {
    let width = u32::from(input.width % 64) + 1;
    let mut v = match input.capacity {
        Some(c) => PackedVec::with_capacity(width, usize::from(c)),
        None => PackedVec::new(width),
    }
    .expect("width in 1..=64");
    assert!(matches!(
        PackedVec::new(0),
        Err(PackedError::InvalidWidth { width: 0 })
    ));
    assert!(matches!(
        PackedVec::new(65 + u32::from(input.width)),
        Err(PackedError::InvalidWidth { .. })
    ));
    let max = u64::MAX >> (64 - width);
    assert_eq!(v.width(), width);
    assert_eq!(v.max_value(), max);
    let mut model: Vec<u64> = Vec::new();
    for op in input.ops {
        match op {
            Op::Push(x) => {
                if model.len() < MAX_LEN {
                    v.push(x & max);
                    model.push(x & max);
                }
            }
            Op::TryPush(x) => {
                if model.len() < MAX_LEN {
                    let got = v.try_push(x);
                    if x <= max {
                        assert_eq!(got, Ok(()));
                        model.push(x);
                    } else {
                        assert_eq!(
                            got,
                            Err(PackedError::ValueTooWide {
                                value: x,
                                width,
                                max
                            })
                        );
                    }
                }
            }
            Op::PushMany { count, seed } => {
                let count = usize::from(count % 2048).min(MAX_LEN - model.len());
                for i in 0..count as u64 {
                    let x = seed.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)) & max;
                    v.push(x);
                    model.push(x);
                }
            }
            Op::Set { index, value } => {
                if !model.is_empty() {
                    let i = usize::from(index) % model.len();
                    v.set(i, value & max);
                    model[i] = value & max;
                }
            }
            Op::TrySet { index, value } => {
                let i = usize::from(index);
                let got = v.try_set(i, value);
                if i >= model.len() {
                    assert_eq!(
                        got,
                        Err(PackedError::IndexOutOfBounds {
                            index: i,
                            len: model.len()
                        })
                    );
                } else if value > max {
                    assert_eq!(got, Err(PackedError::ValueTooWide { value, width, max }));
                } else {
                    assert_eq!(got, Ok(()));
                    model[i] = value;
                }
            }
            Op::Get(i) => assert_eq!(v.get(usize::from(i)), model.get(usize::from(i)).copied()),
            Op::Pop => assert_eq!(v.pop(), model.pop()),
            Op::Truncate(n) => {
                v.truncate(usize::from(n));
                model.truncate(usize::from(n));
            }
            Op::Clear => {
                v.clear();
                model.clear();
            }
            Op::Unpack { start, len } => {
                let (start, len) = (usize::from(start), usize::from(len));
                let mut out = vec![u64::MAX; len];
                let n = v.unpack(start, &mut out);
                let want = model.get(start..).unwrap_or(&[]);
                let want = &want[..want.len().min(len)];
                assert_eq!(n, want.len());
                assert_eq!(&out[..n], want, "unpack({start}, {len})");
                assert!(
                    out[n..].iter().all(|&x| x == u64::MAX),
                    "past the copied values"
                );
            }
            Op::Iter => check_all(&v, &model),
            Op::Clone => {
                let copy = v.clone();
                assert!(copy == v);
                drop(v);
                v = copy;
            }
        }
        assert_eq!(v.len(), model.len());
    }
    check_all(&v, &model);
    assert!(v.heap_bytes() >= (model.len() * width as usize).div_ceil(8));
});
