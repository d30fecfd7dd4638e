//! `serde` round trips, and input that would break an invariant rejected with an error.

use perfkit_layout::strings::Resolver;
use perfkit_layout::{BitSet, Id, Interner, PackedVec, StringTable, Symbol};

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    let json = serde_json::to_string(value).expect("serializes");
    serde_json::from_str(&json).expect("deserializes")
}

#[test]
fn bit_set_round_trips_as_its_words() {
    let set: BitSet = [0, 5, 64, 200].into_iter().collect();
    assert_eq!(round_trip(&set), set);
    let json = serde_json::to_string(&BitSet::from_words(vec![0b101])).unwrap();
    assert_eq!(json, "[5]");
}

#[test]
fn packed_vec_round_trips_and_rejects_bad_input() {
    let v = PackedVec::from_slice(11, &[0, 1, 2047, 1000]).unwrap();
    let back = round_trip(&v);
    assert_eq!(
        (back.width(), back.iter().collect::<Vec<_>>()),
        (11, vec![0, 1, 2047, 1000])
    );
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"width":11,"values":[0,1,2047,1000]}"#
    );
    let too_wide = serde_json::from_str::<PackedVec>(r#"{"width":3,"values":[1,8]}"#);
    assert!(
        too_wide.unwrap_err().to_string().contains("8"),
        "names the value"
    );
    assert!(serde_json::from_str::<PackedVec>(r#"{"width":0,"values":[]}"#).is_err());
    assert!(serde_json::from_str::<PackedVec>(r#"{"width":65,"values":[]}"#).is_err());
}

#[test]
fn string_table_round_trips_as_its_strings() {
    let mut t = StringTable::new();
    for s in ["", "héllo", "world", ""] {
        t.push(s);
    }
    let back = round_trip(&t);
    assert_eq!(back, t);
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        r#"["","héllo","world",""]"#
    );
}

#[test]
fn interner_round_trips_with_the_same_symbols() {
    let mut i = Interner::new();
    let syms: Vec<Symbol> = ["cpu", "mem", "ünïcode", "disk"]
        .map(|s| i.intern(s))
        .to_vec();
    let back: Interner = round_trip(&i);
    for (sym, s) in syms.iter().zip(["cpu", "mem", "ünïcode", "disk"]) {
        assert_eq!(back.resolve(*sym), s);
        assert_eq!(back.get(s), Some(*sym));
    }
    let resolver: Resolver = round_trip(&i.clone().into_resolver());
    assert_eq!(resolver.resolve(syms[2]), "ünïcode");
    // A string twice would give two symbols one string: refused, naming it.
    let err = serde_json::from_str::<Interner>(r#"["a","b","a"]"#).unwrap_err();
    assert!(err.to_string().contains("string 2"), "{err}");
    // Symbols travel as their raw number; 0 is never one.
    assert_eq!(round_trip(&syms[1]), syms[1]);
    assert!(serde_json::from_str::<Symbol>("0").is_err());
}

#[test]
fn ids_round_trip_as_integers() {
    struct User;
    let id: Id<User> = Id::new(7);
    assert_eq!(serde_json::to_string(&id).unwrap(), "7");
    assert_eq!(round_trip(&id), id);
}
