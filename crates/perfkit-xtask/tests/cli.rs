//! The installed binary as a user meets it: which workspace it works on, and how it fails.

use std::path::Path;
use std::process::{Command, Output};

fn cargo_perfkit(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-perfkit"))
        .arg("perfkit")
        .args(args)
        .current_dir(dir)
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
