//! `cargo xtask`: perfkit's tools (`bench`, `pgo`, `bloat`, `flamegraph`, `heap`, `fuzz`,
//! `timings`, `doctor`) for this workspace.
fn main() -> std::process::ExitCode {
    perfkit_xtask::main()
}
