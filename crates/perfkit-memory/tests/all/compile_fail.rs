//! Misuses the API forbids at compile time: a drop-running arena value that borrows a local
//! or the arena itself (its destructor would run after the borrow ends).

#[test]
#[cfg_attr(miri, ignore = "trybuild runs the compiler, which Miri cannot")]
fn drop_running_values_cannot_borrow() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
