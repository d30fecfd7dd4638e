//! `Level::detected`, the `Simd` token and the `PERFKIT_SIMD` override.

use perfkit_simd::{Level, Simd};

#[test]
fn detected_is_available_and_cached() {
    let level = Level::detected();
    assert!(level.is_available());
    assert_eq!(Level::detected(), level);
    assert_eq!(Simd::detected().level(), level);
    for l in Level::ALL {
        assert_eq!(Simd::new(l).is_some(), l.is_available(), "{l}");
    }
    // Available levels are cumulative: each includes the ones before it.
    let avail: Vec<Level> = Level::available().collect();
    for (i, l) in avail.iter().enumerate() {
        assert!(avail[..i].iter().all(|lower| l.includes(*lower)));
    }
}

/// Runs this test binary again, with `PERFKIT_SIMD=<value>`, and returns the level the child
/// detected. Under an emulator (`PERFKIT_TEST_RUNNER`, which .ci/run's qemu step sets to the
/// same runner it gives cargo), the child runs through it too.
#[cfg(not(miri))]
fn detected_in_child(value: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut command = match std::env::var("PERFKIT_TEST_RUNNER") {
        Ok(runner) if !runner.trim().is_empty() => {
            let mut words = runner.split_whitespace();
            let mut c = std::process::Command::new(words.next().unwrap());
            c.args(words).arg(exe);
            c
        }
        _ => std::process::Command::new(exe),
    };
    let out = command
        .args([
            "--exact",
            "env::child_prints_detected_level",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PERFKIT_SIMD", value)
        .output()
        .expect("run the test binary");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (_, rest) = stdout
        .split_once("detected=")
        .unwrap_or_else(|| panic!("no level printed: {stdout}"));
    rest.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Helper for `env_override_is_honoured` (runs only when asked for).
#[test]
#[ignore = "run by env_override_is_honoured in a child process"]
fn child_prints_detected_level() {
    println!("detected={}", Level::detected());
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn processes")]
fn env_override_is_honoured() {
    #[cfg(not(miri))]
    {
        let best = Level::available().last().unwrap();
        for level in Level::available() {
            assert_eq!(detected_in_child(level.name()), level.name());
            assert_eq!(
                detected_in_child(&level.name().to_uppercase()),
                level.name()
            );
        }
        // Never raised above the hardware; another architecture's level means scalar;
        // unknown names are ignored.
        for level in Level::ALL.into_iter().filter(|l| !l.is_available()) {
            let same_arch = |l: Level| {
                Level::ALL
                    .iter()
                    .any(|&o| o != Level::Scalar && l.includes(o) && best.includes(o))
            };
            let want = if same_arch(level) {
                best
            } else {
                Level::Scalar
            };
            assert_eq!(
                detected_in_child(level.name()),
                want.name(),
                "PERFKIT_SIMD={level}"
            );
        }
        assert_eq!(detected_in_child("no-such-level"), best.name());
    }
}
