//! `StringTable` and `Interner` against `Vec<String>` and `HashMap<String, Symbol>` models.

use std::collections::HashMap;

use perfkit_layout::strings::{Interner, StringTable, Symbol};
use proptest::prelude::*;

proptest! {
    // Few cases under Miri, which interprets every one.
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 200 }))]

    #[test]
    #[cfg_attr(
        miri,
        ignore = "proptest's Unicode regex strategy takes minutes to set up under Miri; the \
                  interner's unchecked paths are exercised there by its unit tests"
    )]
    fn interner_matches_a_hashmap_model(words in prop::collection::vec("[a-e]{0,3}|\\PC{0,80}", 0..300)) {
        let mut interner = Interner::new();
        let mut model: HashMap<String, Symbol> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for w in &words {
            let before = interner.get(w);
            prop_assert_eq!(before, model.get(w).copied());
            let sym = interner.intern(w);
            match model.get(w) {
                Some(&s) => prop_assert_eq!(s, sym),
                None => {
                    model.insert(w.clone(), sym);
                    order.push(w.clone());
                }
            }
            prop_assert_eq!(interner.resolve(sym), w.as_str());
            prop_assert_eq!(interner.len(), model.len());
        }
        for (w, &s) in &model {
            prop_assert_eq!(interner.resolve(s), w.as_str());
            prop_assert_eq!(interner.get(w), Some(s));
            prop_assert!(interner.contains(w));
        }
        let listed: Vec<(Symbol, String)> = interner.iter().map(|(s, w)| (s, w.to_string())).collect();
        let expected: Vec<(Symbol, String)> = order.iter().map(|w| (model[w], w.clone())).collect();
        prop_assert_eq!(&listed, &expected);

        interner.shrink_to_fit();
        for (w, &s) in &model {
            prop_assert_eq!(interner.get(w), Some(s));
        }
        let frozen = interner.clone().into_resolver();
        prop_assert_eq!(frozen.len(), model.len());
        for (w, &s) in &model {
            prop_assert_eq!(frozen.resolve(s), w.as_str());
        }
        prop_assert_eq!(frozen.iter().map(|(s, w)| (s, w.to_string())).collect::<Vec<_>>(), expected);
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "proptest's Unicode regex strategy takes minutes to set up under Miri; \
                  `StringTable`'s unchecked slicing is exercised there by its unit test"
    )]
    fn string_table_matches_a_vec_model(words in prop::collection::vec("\\PC{0,40}", 0..100)) {
        let mut t = StringTable::new();
        for (i, w) in words.iter().enumerate() {
            prop_assert_eq!(t.push(w), i);
        }
        prop_assert_eq!(t.len(), words.len());
        for (i, w) in words.iter().enumerate() {
            prop_assert_eq!(t.get(i), Some(w.as_str()));
        }
        prop_assert_eq!(t.get(words.len()), None);
        prop_assert_eq!(t.iter().collect::<Vec<_>>(), words.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(t.total_bytes(), words.iter().map(String::len).sum::<usize>());
    }
}

#[test]
fn memory_is_at_most_1_4x_the_raw_bytes_for_20_byte_strings() {
    // Under Miri the smallest size only: it interprets every string.
    let sizes: &[usize] = if cfg!(miri) {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    for &n in sizes {
        let words: Vec<String> = (0..n).map(|i| format!("{i:0>20}")).collect();
        let raw: usize = words.iter().map(String::len).sum();
        let mut interner = Interner::new();
        for w in &words {
            interner.intern(w);
        }
        interner.shrink_to_fit();
        let ratio = interner.heap_bytes() as f64 / raw as f64;
        assert!(ratio <= 1.4, "{n} strings: {ratio:.3}x the raw bytes");
        // Sized up front, it meets the bound without shrinking.
        let mut sized = Interner::with_capacity(n, raw);
        for w in &words {
            sized.intern(w);
        }
        let ratio = sized.heap_bytes() as f64 / raw as f64;
        assert!(
            ratio <= 1.4,
            "{n} strings, presized: {ratio:.3}x the raw bytes"
        );
        let frozen = interner.into_resolver();
        assert!(frozen.heap_bytes() as f64 <= raw as f64 * 1.06);
        assert_eq!(
            frozen.resolve(sized.get(&words[n / 2]).unwrap()),
            words[n / 2]
        );
    }
}

#[test]
fn many_interleaved_duplicates_from_the_testkit() {
    // Fewer draws of fewer strings under Miri (ten draws per distinct string either way).
    let (n, distinct) = if cfg!(miri) {
        (4_000, 400)
    } else {
        (20_000, 2_000)
    };
    let draws = perfkit_testkit::strings(n, distinct, 11);
    let mut interner = Interner::new();
    let syms: Vec<Symbol> = draws.iter().map(|s| interner.intern(s)).collect();
    assert_eq!(interner.len(), distinct);
    for (s, &sym) in draws.iter().zip(&syms) {
        assert_eq!(interner.resolve(sym), s);
    }
    assert_eq!(format!("{:?}", Symbol::from_u32(5).unwrap()), "Symbol(5)");
    assert_eq!(Symbol::from_u32(0), None);
    assert_eq!(core::mem::size_of::<Option<Symbol>>(), 4);
}

#[test]
#[should_panic(expected = "does not belong to this interner")]
fn resolving_a_foreign_symbol_panics_with_a_message() {
    let mut big = Interner::new();
    for i in 0..100 {
        big.intern(&format!("string number {i}"));
    }
    let far = big.intern("the last one");
    let small = Interner::new();
    let _ = small.resolve(far);
}
