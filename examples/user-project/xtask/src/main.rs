fn main() -> std::process::ExitCode {
    perfkit_xtask::main()
}
