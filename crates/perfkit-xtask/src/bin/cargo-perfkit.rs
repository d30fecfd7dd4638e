//! `cargo perfkit <COMMAND>`: perfkit's tools in any Cargo project, after
//! `cargo install perfkit-xtask`.

fn main() -> std::process::ExitCode {
    perfkit_xtask::cargo_perfkit_main()
}
