//! `Interner` under arbitrary operation sequences against a model (`Vec<String>` in interning
//! order + `HashMap<String, Symbol>`): intern / try_intern / get / contains / resolve /
//! try_resolve / iter, clone, shrink_to_fit and into_resolver. Interning a string twice gives
//! the same symbol, distinct strings distinct symbols, every symbol resolves to its string
//! (also after shrinking, cloning and freezing), and forged symbols (arbitrary raw values,
//! values next to real ones) resolve to nothing or to some string, never panicking or reading
//! out of bounds (`try_resolve`), identically in the interner and its frozen resolver.
//!
//! The hash is `SeededHash` with a seed from the input (the same table on every run, unlike
//! `Interner::new()`'s random seed), or a deliberately weak one keeping a few bits of a
//! simple hash (all strings in one group, one tag, ...), so the long probe sequences and the
//! displaced entries get exercised too.
#![no_main]

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use perfkit_layout::strings::{Resolver, SeededHash};
use perfkit_layout::{Interner, Symbol};

/// A weak hash: a multiplicative hash of the bytes, masked to `mask`.
#[derive(Debug, Clone, Copy)]
struct Weak {
    mask: u64,
}

impl BuildHasher for Weak {
    type Hasher = WeakHasher;
    fn build_hasher(&self) -> WeakHasher {
        WeakHasher {
            h: 0,
            mask: self.mask,
        }
    }
}

struct WeakHasher {
    h: u64,
    mask: u64,
}

impl Hasher for WeakHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.h = self.h.wrapping_mul(31).wrapping_add(b.into());
        }
    }
    fn finish(&self) -> u64 {
        self.h & self.mask
    }
}

#[derive(Debug, Arbitrary)]
enum Hash {
    /// `SeededHash::with_seed(seed)`.
    Seeded(u64),
    /// `Weak` keeping `bits % 9` bits, rotated left by `rotate`.
    Weak { bits: u8, rotate: u8 },
}

#[derive(Debug, Arbitrary)]
enum Op {
    Intern(String),
    TryIntern(String),
    /// `text` repeated up to 255 times: strings of 64 bytes and more (long entry headers).
    InternRepeated {
        text: String,
        times: u8,
    },
    /// Interns the model's string at this index again (modulo its length).
    InternAgain(u16),
    /// `get` / `contains` of an arbitrary string.
    Get(String),
    /// `get` / `resolve` of the model's string at this index.
    Lookup(u16),
    /// `try_resolve` of `Symbol::from_u32(raw)`.
    Forged(u32),
    /// `try_resolve` of a real symbol's raw value plus `delta`.
    ForgedNear {
        index: u16,
        delta: i8,
    },
    Iter,
    ShrinkToFit,
    Clone,
    /// Freezes a clone and checks the resolver.
    Freeze,
}

#[derive(Debug, Arbitrary)]
struct Input {
    hash: Hash,
    /// `with_capacity_and_hasher(strings, bytes, ..)` (bounded) instead of `with_hasher(..)`.
    capacity: Option<(u8, u16)>,
    ops: Vec<Op>,
}

#[derive(Default)]
struct Model {
    strings: Vec<String>,
    symbols: Vec<Symbol>,
    by_string: HashMap<String, Symbol>,
}

impl Model {
    /// The model's string for `sym`, if `sym` is one the interner returned.
    fn string_of(&self, sym: Symbol) -> Option<&str> {
        let i = self.symbols.iter().position(|&s| s == sym)?;
        Some(&self.strings[i])
    }
}

fn intern<S: BuildHasher>(interner: &mut Interner<S>, model: &mut Model, s: String, try_: bool) {
    let sym = if try_ {
        interner.try_intern(&s).expect("far below 4 GiB")
    } else {
        interner.intern(&s)
    };
    match model.by_string.get(&s) {
        Some(&known) => assert_eq!(sym, known, "{s:?} interned twice, two symbols"),
        None => {
            assert!(
                !model.symbols.contains(&sym),
                "{s:?} got {sym:?}, which names {:?}",
                model.string_of(sym)
            );
            model.by_string.insert(s.clone(), sym);
            model.symbols.push(sym);
            model.strings.push(s);
        }
    }
    assert_eq!(interner.len(), model.strings.len());
}

/// What a forged symbol may resolve to: the string of a real symbol if it is one, else
/// nothing or any string (it must not panic); the resolver agrees with the interner.
fn forged<S: BuildHasher>(interner: &Interner<S>, model: &Model, raw: u32) {
    let Some(sym) = Symbol::from_u32(raw) else {
        assert_eq!(raw, 0);
        return;
    };
    assert_eq!(sym.as_u32(), raw);
    let got = interner.try_resolve(sym);
    if let Some(want) = model.string_of(sym) {
        assert_eq!(got, Some(want));
    }
    if let Some(s) = got {
        // `resolve` panics exactly when `try_resolve` says `None`.
        assert_eq!(interner.resolve(sym), s);
    }
}

fn check_all<S: BuildHasher>(interner: &Interner<S>, model: &Model) {
    assert_eq!(interner.len(), model.strings.len());
    assert_eq!(interner.is_empty(), model.strings.is_empty());
    for (s, &sym) in model.strings.iter().zip(&model.symbols) {
        assert_eq!(interner.resolve(sym), s);
        assert_eq!(interner.try_resolve(sym), Some(s.as_str()));
        assert_eq!(interner.get(s), Some(sym));
        assert!(interner.contains(s));
    }
    let listed: Vec<(Symbol, &str)> = interner.iter().collect();
    let want: Vec<(Symbol, &str)> = model
        .symbols
        .iter()
        .copied()
        .zip(model.strings.iter().map(String::as_str))
        .collect();
    assert_eq!(listed, want, "iter: every pair, in interning order");
    assert_eq!(interner.iter().len(), model.strings.len());
}

fn check_resolver<S: BuildHasher>(
    resolver: &Resolver,
    interner: &Interner<S>,
    model: &Model,
    probes: &[u32],
) {
    assert_eq!(resolver.len(), model.strings.len());
    assert_eq!(resolver.is_empty(), model.strings.is_empty());
    for (s, &sym) in model.strings.iter().zip(&model.symbols) {
        assert_eq!(resolver.resolve(sym), s);
        assert_eq!(resolver.try_resolve(sym), Some(s.as_str()));
    }
    assert!(resolver.iter().eq(interner.iter()));
    for &raw in probes {
        if let Some(sym) = Symbol::from_u32(raw) {
            assert_eq!(
                resolver.try_resolve(sym),
                interner.try_resolve(sym),
                "{sym:?}"
            );
        }
    }
}

fn run<S: BuildHasher + Clone>(hasher: S, capacity: Option<(u8, u16)>, ops: Vec<Op>) {
    let mut interner = match capacity {
        Some((strings, bytes)) => {
            Interner::with_capacity_and_hasher(strings.into(), bytes.into(), hasher)
        }
        None => Interner::with_hasher(hasher),
    };
    let mut model = Model::default();
    // Raw values the forging operations tried, for the resolver to answer the same way.
    let mut probes: Vec<u32> = Vec::new();
    for op in ops {
        match op {
            Op::Intern(s) => intern(&mut interner, &mut model, s, false),
            Op::TryIntern(s) => intern(&mut interner, &mut model, s, true),
            Op::InternRepeated { text, times } => {
                intern(&mut interner, &mut model, text.repeat(times.into()), false)
            }
            Op::InternAgain(i) => {
                if let Some(s) = model
                    .strings
                    .get(usize::from(i) % model.strings.len().max(1))
                    .cloned()
                {
                    intern(&mut interner, &mut model, s, false);
                }
            }
            Op::Get(s) => {
                let want = model.by_string.get(&s).copied();
                assert_eq!(interner.get(&s), want, "{s:?}");
                assert_eq!(interner.contains(&s), want.is_some());
            }
            Op::Lookup(i) => {
                let i = usize::from(i) % model.strings.len().max(1);
                if let (Some(s), Some(&sym)) = (model.strings.get(i), model.symbols.get(i)) {
                    assert_eq!(interner.get(s), Some(sym));
                    assert_eq!(interner.resolve(sym), s);
                }
            }
            Op::Forged(raw) => {
                forged(&interner, &model, raw);
                probes.push(raw);
            }
            Op::ForgedNear { index, delta } => {
                let i = usize::from(index) % model.symbols.len().max(1);
                let base = model.symbols.get(i).map_or(1, |s| s.as_u32());
                let raw = base.wrapping_add_signed(delta.into());
                forged(&interner, &model, raw);
                probes.push(raw);
            }
            Op::Iter => check_all(&interner, &model),
            Op::ShrinkToFit => {
                interner.shrink_to_fit();
                check_all(&interner, &model);
            }
            Op::Clone => {
                let copy = interner.clone();
                drop(interner);
                interner = copy;
                check_all(&interner, &model);
            }
            Op::Freeze => {
                let resolver = interner.clone().into_resolver();
                check_resolver(&resolver, &interner, &model, &probes);
            }
        }
    }
    check_all(&interner, &model);
    let frozen = interner.clone().into_resolver();
    check_resolver(&frozen, &interner, &model, &probes);
    // The same strings interned afresh, in the same order, get the same symbols.
    let mut again = Interner::with_seed(7);
    for (s, &sym) in model.strings.iter().zip(&model.symbols) {
        assert_eq!(again.intern(s), sym);
    }
}

fuzz_target!(|input: Input| {
    match input.hash {
        Hash::Seeded(seed) => run(SeededHash::with_seed(seed), input.capacity, input.ops),
        Hash::Weak { bits, rotate } => {
            let bits = u32::from(bits % 9);
            let mask = match bits {
                0 => 0,
                n => (u64::MAX >> (64 - n)).rotate_left(rotate.into()),
            };
            run(Weak { mask }, input.capacity, input.ops)
        }
    }
});
