//! The installed binary as a user meets it: which workspace it works on, and how it fails.

use std::path::Path;
use std::process::{Command, Output};

fn cargo_perfkit(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-perfkit"))
        .arg("perfkit")
        .args(args)
        .current_dir(dir)
        // The workspace's own target directory, whatever the caller's environment says.
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `examples/user-project`, a workspace of its own inside this repository.
fn user_project() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/user-project")
}

#[test]
fn the_workspace_is_the_one_cargo_finds_or_the_manifest_path_names() {
    // From inside the user project (its `app/` member): that workspace, not perfkit's.
    let o = cargo_perfkit(
        &user_project().join("app"),
        &["bench", "--no-run", "nomatch"],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    // Its results (or their absence) are under the user project's target directory.
    assert!(e.contains("user-project/target/criterion"), "{e}");
    // The same from elsewhere, by --manifest-path.
    let manifest = user_project().join("Cargo.toml");
    let m = manifest.to_str().unwrap();
    let o = cargo_perfkit(
        &std::env::temp_dir(),
        &["--manifest-path", m, "bench", "--no-run", "nomatch"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), e, "the same workspace either way");
}

#[test]
fn bad_input_is_one_line_exit_2_with_the_fix() {
    let tmp = std::env::temp_dir().join(format!("perfkit-cli-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["frobnicate"], "unexpected argument: \"frobnicate\""),
        (&["bench", "--qiuck"], "unexpected flag: `--qiuck`"),
        (
            &["--manifest-path", "/nonexistent/Cargo.toml", "doctor"],
            "no such file",
        ),
        (&["bench"], "no Cargo workspace here"),
        (&["pgo", "--runs", "0"], "`--runs` must be at least 1"),
    ];
    for (args, what) in cases {
        let o = cargo_perfkit(&tmp, args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains(what), "{args:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
        assert!(
            e.contains("cargo perfkit"),
            "names the tool as invoked: {e}"
        );
    }
    // A revision that does not exist: said before anything is built.
    let o = cargo_perfkit(&user_project(), &["bench", "--compare", "no-such-rev-123"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("no commit `no-such-rev-123`") && e.contains("git log"),
        "{e}"
    );
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// `tests/fixtures/hot-spin`: a workspace of its own whose binary spends its time in
/// `perfkit_hot_spin`.
fn hot_spin() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hot-spin")
}

/// `cargo perfkit ARGS` on the fixture workspace at `dir`, with `envs`, building into a target
/// directory of the test's own (kept between runs, so the fixture is built once).
fn on_fixture(dir: &Path, args: &[&str], target_dir: &Path, envs: &[(&str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-perfkit"))
        .arg("perfkit")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("runs")
}

/// `cargo perfkit ARGS` on the hot-spin fixture.
fn on_hot_spin(args: &[&str], target_dir: &Path) -> Output {
    on_fixture(&hot_spin(), args, target_dir, &[])
}

#[test]
fn flamegraph_without_perf_is_one_line_with_the_install_command() {
    let tmp = std::env::temp_dir().join(format!("perfkit-noperf-{}", std::process::id()));
    let empty_path = tmp.join("bin");
    std::fs::create_dir_all(&empty_path).unwrap();
    // Once with `PERF` naming a binary that does not exist, once with no perf on PATH. Both
    // from a directory that is no workspace: perf is checked before anything else.
    let perf_var = Command::new(env!("CARGO_BIN_EXE_cargo-perfkit"))
        .args(["perfkit", "flamegraph", "--bin", "app"])
        .env("PERF", "/nonexistent/perf")
        .current_dir(&tmp)
        .output()
        .unwrap();
    let no_path = Command::new(env!("CARGO_BIN_EXE_cargo-perfkit"))
        .args(["perfkit", "flamegraph", "--bin", "app"])
        .env_remove("PERF")
        .env("PATH", &empty_path)
        .current_dir(&tmp)
        .output()
        .unwrap();
    for (o, what) in [
        (perf_var, "no `/nonexistent/perf` on PATH"),
        (no_path, "no `perf` on PATH"),
    ] {
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
        assert!(
            e.starts_with("error: perf is not installed") && e.contains(what),
            "{e}"
        );
        // The install command for this distribution (`sudo apt-get install linux-perf` on
        // Debian), as the fix.
        assert!(
            e.contains("(fix: `sudo ") && e.trim_end().ends_with("`)"),
            "{e}"
        );
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
#[ignore = "needs perf allowed to record: .ci/run runs it where `perf record -e cpu-clock -o /dev/null true` works"]
fn flamegraph_names_the_hot_function() {
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hot-spin");
    let o = on_hot_spin(
        &["flamegraph", "--bin", "hot-spin", "--", "1000"],
        &target_dir,
    );
    let (out, err) = (String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let dir = target_dir.join("perfkit/flamegraph");
    let svg = std::fs::read_to_string(dir.join("hot-spin.svg")).expect("the SVG");
    assert!(svg.starts_with("<?xml") && svg.contains("</svg>"), "an SVG");
    assert!(
        svg.contains("hot_spin::perfkit_hot_spin ("),
        "a frame of its own"
    );
    // Its stack is whole: main calls it, and std's runtime calls main.
    let folded = std::fs::read_to_string(dir.join("hot-spin.folded")).expect("the stacks");
    assert!(
        folded
            .lines()
            .any(|l| l.contains("std::rt::lang_start_internal;")
                && l.contains("hot_spin::main;hot_spin::perfkit_hot_spin ")),
        "{folded}"
    );
    // It spins for a second; everything else takes milliseconds: it tops the list.
    let first = out
        .lines()
        .skip_while(|l| !l.contains("most samples of their own"))
        .nth(1)
        .unwrap_or("");
    assert!(first.ends_with(" hot_spin::perfkit_hot_spin"), "{out}");
    assert!(
        out.contains(&dir.join("hot-spin.svg").display().to_string()),
        "{out}"
    );
}

#[test]
fn timings_copies_cargos_report_and_names_the_units() {
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hot-spin-timings");
    let o = on_hot_spin(&["timings", "--clean"], &target_dir);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let report = target_dir.join("perfkit/timings/hot-spin.html");
    let html = std::fs::read_to_string(&report).expect("the report");
    assert!(html.contains("const UNIT_DATA"), "cargo's page");
    assert!(
        out.contains(&format!("timing report: {}", report.display())),
        "{out}"
    );
    // A clean build compiles the one unit, and names it as cargo does.
    assert!(out.contains("1 units compiled, 0 fresh"), "{out}");
    let slowest = out.split("slowest units:\n").nth(1).unwrap_or("");
    assert!(
        slowest
            .lines()
            .next()
            .unwrap_or("")
            .ends_with(" s  hot-spin v0.1.0 hot-spin \"bin\""),
        "{out}"
    );
    // Without --clean, nothing changed since: up to date, and said so.
    let o = on_hot_spin(
        &["timings", "--bin", "hot-spin"],
        &target_dir.join("perfkit/timings/target"),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.contains("nothing was compiled"), "{out}");
}

/// `cargo perfkit ARGS` on the icount-loop fixture (its bench turns a three-instruction loop
/// `turns` times), building into a target directory of this test's own.
fn on_icount_loop(args: &[&str], turns: u64, target_dir: &Path) -> Output {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/icount-loop");
    on_fixture(
        &dir,
        args,
        target_dir,
        &[("ICOUNT_LOOP_N", turns.to_string())],
    )
}

/// The instruction count `bench --icount` wrote for the fixture's one benchmark.
fn spin_count(target_dir: &Path) -> u64 {
    let json =
        std::fs::read_to_string(target_dir.join("perfkit/bench/icount.json")).expect("icount.json");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["benchmarks"][0]["id"], "spin", "{v}");
    v["benchmarks"][0]["instructions"]
        .as_u64()
        .expect("a count")
}

#[test]
#[ignore = "needs valgrind: .ci/run runs it where valgrind is installed"]
fn icount_is_exact_repeatable_and_compared_against_a_baseline() {
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("icount-loop");
    let run = |args: &[&str], turns| {
        let o = on_icount_loop(args, turns, &target_dir);
        (o.status.code(), stderr(&o))
    };
    let (code, err) = run(&["bench", "--icount", "--save", "base"], 100);
    assert_eq!(code, Some(0), "{err}");
    let first = spin_count(&target_dir);
    let (code, err) = run(&["bench", "--icount"], 100);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(spin_count(&target_dir), first, "two runs, one count");
    if cfg!(target_arch = "x86_64") {
        // One more turn of the loop: its three instructions, nothing else.
        let (code, err) = run(&["bench", "--icount"], 101);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(spin_count(&target_dir), first + 3);
        // The count is the routine's (100 turns and a call) and criterion's few instructions
        // around it, not its clock reads (about 240 instructions here).
        assert!(
            (300..300 + 80).contains(&first),
            "{first} instructions for 100 turns"
        );
    }
    // Against the baseline: unchanged passes; 20 more turns (+60 instructions, far past 1%)
    // is a regression named with its counts, exit code 1.
    let (code, err) = run(&["bench", "--icount", "--baseline", "base"], 100);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run(&["bench", "--icount", "--baseline", "base"], 120);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("spin (") && err.contains("regression"),
        "{err}"
    );
}
