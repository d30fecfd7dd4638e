//! `profile!` under `--cfg perfkit_profile_disabled`. The expansion it switches to,
//! `__profile_disabled!`, is tested in every build; `profile!` itself only in a build with the
//! cfg (`RUSTFLAGS="--cfg perfkit_profile_disabled" cargo test -p perfkit-profile --tests`).

use perfkit_profile::{Trace, snapshot};

use crate::serial;

#[test]
fn the_disabled_expansion_records_nothing_and_keeps_the_body() {
    let _serial = serial();
    let trace = Trace::start().unwrap();
    let mut ran = 0;
    {
        perfkit_profile::__profile_disabled!("disabled/statement");
        ran += 1;
    }
    let value = perfkit_profile::__profile_disabled!("disabled/expression", {
        ran += 1;
        6 * 7
    });
    let data = trace.finish();
    assert_eq!((ran, value), (2, 42));
    let snap = snapshot();
    assert!(snap.get("disabled/statement").is_none());
    assert!(snap.get("disabled/expression").is_none());
    assert!(
        data.events()
            .iter()
            .all(|e| !e.name().starts_with("disabled/"))
    );
}

#[test]
fn the_disabled_expansion_does_not_evaluate_the_name() {
    let names = ["disabled/a", "disabled/b"];
    let mut evaluated = 0;
    let mut name = |i: usize| -> &'static str {
        evaluated += 1;
        names[i]
    };
    {
        perfkit_profile::__profile_disabled!(name(0));
    }
    let v = perfkit_profile::__profile_disabled!(name(1), 5);
    assert_eq!(v, 5);
    // Type-checked (it is a `&'static str` expression), never run.
    assert_eq!(evaluated, 0);
}

/// In a build with the cfg, `profile!` is the disabled expansion.
#[cfg(perfkit_profile_disabled)]
#[test]
fn profile_records_nothing_when_compiled_out() {
    let _serial = serial();
    let trace = Trace::start().unwrap();
    {
        perfkit_profile::profile!("compiled-out/statement");
    }
    let v = perfkit_profile::profile!("compiled-out/expression", 1 + 1);
    let data = trace.finish();
    assert_eq!(v, 2);
    assert!(snapshot().get("compiled-out/statement").is_none());
    assert!(snapshot().get("compiled-out/expression").is_none());
    assert!(
        data.events().is_empty()
            || data
                .events()
                .iter()
                .all(|e| !e.name().starts_with("compiled-out/"))
    );
}
