//! The operating system's package manager, for the one command that installs a system tool
//! (`perf`, `valgrind`): the tools say what is missing together with how to get it on the
//! distribution `/etc/os-release` names, Debian's command when it names none they know.

/// A tool that comes from the distribution's packages, not from cargo or rustup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemTool {
    /// Linux `perf` (`flamegraph`).
    Perf,
    /// `valgrind` (cachegrind, callgrind).
    Valgrind,
}

/// `/etc/os-release` (or `/usr/lib/os-release`), empty when neither is readable.
#[must_use]
pub fn os_release() -> String {
    ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default()
}

/// The value of `key` in an os-release text, quotes removed.
fn field<'a>(os_release: &'a str, key: &str) -> Option<&'a str> {
    os_release.lines().find_map(|l| {
        let v = l.strip_prefix(key)?.strip_prefix('=')?;
        Some(v.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

/// The command that installs `tool` on the distribution `os_release` describes (its `ID`,
/// then its `ID_LIKE` list); Debian's for any other.
#[must_use]
pub fn install_command(os_release: &str, tool: SystemTool) -> String {
    let ids: Vec<&str> = field(os_release, "ID")
        .into_iter()
        .chain(
            field(os_release, "ID_LIKE")
                .into_iter()
                .flat_map(str::split_whitespace),
        )
        .collect();
    let family = ids.iter().find_map(|id| match *id {
        "ubuntu" => Some("ubuntu"),
        "debian" => Some("debian"),
        "fedora" | "rhel" | "centos" => Some("fedora"),
        "arch" => Some("arch"),
        "alpine" => Some("alpine"),
        "suse" | "opensuse" => Some("suse"),
        _ => None,
    });
    let valgrind = tool == SystemTool::Valgrind;
    match family {
        // Ubuntu's perf comes with the packages of the running kernel.
        Some("ubuntu") if !valgrind => {
            "sudo apt-get install linux-tools-common linux-tools-$(uname -r)".into()
        }
        Some("fedora") => format!("sudo dnf install {}", name(tool)),
        Some("arch") => format!("sudo pacman -S {}", name(tool)),
        Some("alpine") => format!("sudo apk add {}", name(tool)),
        Some("suse") => format!("sudo zypper install {}", name(tool)),
        // Debian, Ubuntu's valgrind, and anything unknown: Debian's package names.
        _ if valgrind => "sudo apt-get install valgrind".into(),
        _ => "sudo apt-get install linux-perf".into(),
    }
}

/// The package's name where it is the tool's own.
fn name(tool: SystemTool) -> &'static str {
    match tool {
        SystemTool::Perf => "perf",
        SystemTool::Valgrind => "valgrind",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_commands_follow_the_distribution() {
        let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n";
        assert_eq!(
            install_command(debian, SystemTool::Perf),
            "sudo apt-get install linux-perf"
        );
        assert_eq!(
            install_command(debian, SystemTool::Valgrind),
            "sudo apt-get install valgrind"
        );
        let ubuntu = "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n";
        assert_eq!(
            install_command(ubuntu, SystemTool::Perf),
            "sudo apt-get install linux-tools-common linux-tools-$(uname -r)"
        );
        assert_eq!(
            install_command(ubuntu, SystemTool::Valgrind),
            "sudo apt-get install valgrind"
        );
        // A derivative is known by its ID_LIKE.
        let rocky = "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n";
        assert_eq!(
            install_command(rocky, SystemTool::Perf),
            "sudo dnf install perf"
        );
        let mint = "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n";
        assert!(install_command(mint, SystemTool::Perf).contains("linux-tools"));
        assert_eq!(
            install_command("ID=arch\n", SystemTool::Valgrind),
            "sudo pacman -S valgrind"
        );
        // `ID_LIKE` is not `ID`; nothing known is Debian's names.
        assert_eq!(
            install_command("ID_LIKE=fedora\n", SystemTool::Perf),
            "sudo dnf install perf"
        );
        assert_eq!(
            install_command("", SystemTool::Perf),
            "sudo apt-get install linux-perf"
        );
    }
}
