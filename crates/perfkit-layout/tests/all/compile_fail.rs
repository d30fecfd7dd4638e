//! Unsupported inputs to the derives fail to compile with a message that says what is
//! supported.

#[test]
#[cfg_attr(miri, ignore = "trybuild runs the compiler, which Miri cannot")]
fn unsupported_inputs_fail_with_a_clear_message() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
