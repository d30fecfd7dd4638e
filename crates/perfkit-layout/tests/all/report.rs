//! Layout reports equal what the compiler did.

use core::mem::{align_of, offset_of, size_of};

use perfkit_layout::{Layout, LayoutReport};

#[derive(Layout)]
#[allow(dead_code)]
struct RustRepr {
    a: u8,
    b: u64,
    c: u16,
    d: u32,
}

#[derive(Layout)]
#[repr(C)]
#[allow(dead_code)]
struct CRepr {
    a: u8,
    b: u64,
    c: u16,
    d: u32,
    e: u8,
}

#[derive(Layout)]
#[repr(C, packed)]
#[allow(dead_code)]
struct Packed {
    a: u8,
    b: u64,
    c: u16,
}

#[derive(Layout)]
#[repr(C, packed(2))]
#[allow(dead_code)]
struct Packed2 {
    a: u8,
    b: u64,
    c: u8,
}

#[derive(Layout)]
#[repr(C)]
#[allow(dead_code)]
struct Nested {
    flag: bool,
    inner: CRepr,
    tail: u16,
    pair: (u8, u32),
}

#[derive(Layout)]
#[repr(C, align(32))]
#[allow(dead_code)]
struct Aligned {
    a: u8,
    b: u16,
}

#[derive(Layout)]
#[repr(C)]
#[allow(dead_code)]
struct Tuple(u8, u32, u8);

#[derive(Layout)]
#[repr(C)]
#[allow(dead_code)]
struct Generic<T> {
    a: u8,
    value: T,
}

#[derive(Layout)]
#[allow(dead_code)]
struct Empty {}

macro_rules! check {
    ($ty:ty, $($field:tt : $fty:ty),*) => {{
        let r: LayoutReport = <$ty>::layout_report();
        assert_eq!(r.size(), size_of::<$ty>(), "size of {}", stringify!($ty));
        assert_eq!(r.align(), align_of::<$ty>(), "align of {}", stringify!($ty));
        let mut want = vec![$( (stringify!($field), offset_of!($ty, $field), size_of::<$fty>(), align_of::<$fty>()) ),*];
        want.sort_by_key(|w| w.1);
        let got: Vec<_> = r.fields().iter().map(|f| (f.name, f.offset, f.size, f.align)).collect();
        assert_eq!(got, want, "fields of {}", stringify!($ty));
        let data: usize = want.iter().map(|w| w.2).sum();
        assert_eq!(r.padding(), r.size() - data);
        assert!(r.reordered_size() <= r.size());
        assert_eq!(r.bytes_saved(), r.size() - r.reordered_size());
        r
    }};
}

#[test]
fn reports_equal_size_of_and_offset_of() {
    let r = check!(RustRepr, a: u8, b: u64, c: u16, d: u32);
    assert_eq!(r.padding(), 1); // the compiler already reorders repr(Rust)

    let r = check!(CRepr, a: u8, b: u64, c: u16, d: u32, e: u8);
    assert_eq!(
        (r.size(), r.padding(), r.reordered_size(), r.bytes_saved()),
        (32, 16, 16, 16)
    );
    assert_eq!(r.tail_padding(), 7);
    let gaps: Vec<(&str, usize)> = r.padding_before().map(|(f, g)| (f.name, g)).collect();
    assert_eq!(gaps, [("a", 0), ("b", 7), ("c", 0), ("d", 2), ("e", 0)]);
    assert_eq!(r.fields()[1].type_name, "u64");

    let r = check!(Packed, a: u8, b: u64, c: u16);
    assert_eq!((r.size(), r.padding(), r.bytes_saved()), (11, 0, 0));

    let r = check!(Packed2, a: u8, b: u64, c: u8);
    assert_eq!((r.size(), r.padding(), r.reordered_size()), (12, 2, 10));

    let r = check!(Nested, flag: bool, inner: CRepr, tail: u16, pair: (u8, u32));
    assert_eq!(r.size(), 56);
    assert!(r.reordered_size() < r.size());

    let r = check!(Aligned, a: u8, b: u16);
    assert_eq!((r.size(), r.reordered_size()), (32, 32));

    let r = check!(Tuple, 0: u8, 1: u32, 2: u8);
    assert_eq!(r.fields()[2].name, "2");
    assert_eq!((r.size(), r.reordered_size()), (12, 8));

    check!(Generic<u64>, a: u8, value: u64);
    check!(Generic<[u8; 3]>, a: u8, value: [u8; 3]);

    let r = Empty::layout_report();
    assert_eq!((r.size(), r.padding(), r.reordered_size()), (0, 0, 0));
}

#[test]
fn display_is_a_table_with_padding_rows() {
    let text = CRepr::layout_report().to_string();
    let expected = "\
CRepr: size 32, align 8, 5 fields
offset    size  align  field      type
     0       1      1  a          u8
     1       7         (padding)
     8       8      8  b          u64
    16       2      2  c          u16
    18       2         (padding)
    20       4      4  d          u32
    24       1      1  e          u8
    25       7         (padding)
padding 16 of 32 bytes; sorted by alignment: 16 bytes (saves 16)";
    assert_eq!(text, expected);
}

mod reorder_never_grows {
    use perfkit_layout::{FieldLayout, LayoutReport};
    use proptest::prelude::*;

    /// A repr(C)-style layout of arbitrary fields (power-of-two alignments, sizes that are
    /// multiples of them), computed the way the compiler does for repr(C).
    fn repr_c(fields: &[(usize, usize)], packed: Option<usize>) -> LayoutReport {
        let mut off = 0usize;
        let mut align = 1usize;
        let mut out = Vec::new();
        for &(size_units, align_log) in fields {
            let a = 1usize << align_log;
            let eff = packed.map_or(a, |p| a.min(p));
            off = off.next_multiple_of(eff);
            out.push(FieldLayout {
                name: "f",
                type_name: "T",
                offset: off,
                size: size_units * a,
                align: a,
            });
            off += size_units * a;
            align = align.max(eff);
        }
        LayoutReport::new("S", off.next_multiple_of(align), align, out)
    }

    proptest! {
        // Few cases under Miri, which interprets every one.
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { 256 }))]

        #[test]
        fn reordered_size_never_exceeds_size(fields in prop::collection::vec((0usize..4, 0usize..5), 0..12),
                                             packed in prop::option::of(prop::sample::select(vec![1usize, 2, 4]))) {
            let r = repr_c(&fields, packed);
            prop_assert!(r.reordered_size() <= r.size());
            // And the suggestion is itself a valid layout: no smaller than the data.
            prop_assert!(r.reordered_size() >= r.data_bytes());
            prop_assert_eq!(r.reordered_size() % r.align(), 0);
        }
    }
}
