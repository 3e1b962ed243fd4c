//! Installing missing Debian packages when this process may: as root, or through
//! passwordless `sudo`. Otherwise the caller gets the exact command to run.
//!
//! The decision ([`plan`]) is pure so it can be tested without touching the machine;
//! [`install`] detects the privilege and runs the plan, with `apt-get update` at most once
//! per process.

use anyhow::bail;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

/// What this process may do to the system's packages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privilege {
    Root,
    /// Not root, but `sudo -n true` succeeds.
    PasswordlessSudo,
    Neither,
}

impl Privilege {
    pub fn detect() -> Self {
        if nix::unistd::Uid::effective().is_root() {
            Privilege::Root
        } else if find("sudo").is_some()
            && Command::new("sudo").args(["-n", "true"]).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
        {
            Privilege::PasswordlessSudo
        } else {
            Privilege::Neither
        }
    }
}

/// What to do about missing packages.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan {
    /// Nothing is missing.
    Nothing,
    /// Run these commands, in order (the first refreshes the package lists).
    Run { update: Vec<String>, install: Vec<String> },
    /// Cannot install: tell the user this.
    Tell(String),
}

/// The command a user would type.
pub fn install_hint(packages: &[&str]) -> String {
    format!("sudo apt-get install -y {}", packages.join(" "))
}

/// What to do to get `packages` installed with `privilege`, when `apt-get` is there or not.
pub fn plan(packages: &[&str], privilege: Privilege, has_apt_get: bool) -> Plan {
    if packages.is_empty() {
        return Plan::Nothing;
    }
    if !has_apt_get || privilege == Privilege::Neither {
        let why = if has_apt_get { "not root and no passwordless sudo" } else { "no apt-get on this machine" };
        return Plan::Tell(format!("missing {} ({why}). Install with: {}", packages.join(", "), install_hint(packages)));
    }
    let prefix: &[&str] = match privilege {
        Privilege::Root => &[],
        _ => &["sudo", "-n"],
    };
    let apt = |args: &[&str]| -> Vec<String> {
        prefix.iter().chain(&["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]).chain(args).map(|s| s.to_string()).collect()
    };
    let mut install = apt(&["install", "-y", "-q"]);
    install.extend(packages.iter().map(|p| p.to_string()));
    Plan::Run { update: apt(&["update", "-q"]), install }
}

static UPDATED: AtomicBool = AtomicBool::new(false);

/// Install `packages` if this process may (saying what it installs), else fail with the
/// command to run.
pub fn install(packages: &[&str]) -> anyhow::Result<()> {
    match plan(packages, Privilege::detect(), find("apt-get").is_some()) {
        Plan::Nothing => Ok(()),
        Plan::Tell(message) => bail!(message),
        Plan::Run { update, install } => {
            println!("  installing {}: {}", packages.join(", "), install.join(" "));
            if !UPDATED.swap(true, Ordering::SeqCst) {
                run(&update)?;
            }
            run(&install)
        }
    }
}

fn run(argv: &[String]) -> anyhow::Result<()> {
    let status = Command::new(&argv[0]).args(&argv[1..]).stdin(Stdio::null()).status()?;
    if !status.success() {
        bail!("`{}` exited with {status}", argv.join(" "));
    }
    Ok(())
}

/// The first `name` on PATH or in the usual system directories.
pub fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .map(PathBuf::from)
        .chain(["/usr/sbin".into(), "/usr/bin".into(), "/usr/local/bin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_missing_means_nothing_to_do() {
        assert_eq!(plan(&[], Privilege::Neither, false), Plan::Nothing);
        assert_eq!(plan(&[], Privilege::Root, true), Plan::Nothing);
    }

    #[test]
    fn root_runs_apt_get_itself() {
        let Plan::Run { update, install } = plan(&["redis-server", "nats-server"], Privilege::Root, true) else { panic!() };
        assert_eq!(update.join(" "), "env DEBIAN_FRONTEND=noninteractive apt-get update -q");
        assert_eq!(install.join(" "), "env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server nats-server");
    }

    #[test]
    fn passwordless_sudo_runs_apt_get_through_sudo_without_a_prompt() {
        let Plan::Run { update, install } = plan(&["postgresql"], Privilege::PasswordlessSudo, true) else { panic!() };
        assert_eq!(update[..2], ["sudo", "-n"]);
        assert_eq!(install.join(" "), "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql");
    }

    #[test]
    fn without_privilege_or_apt_get_the_user_is_told_the_command() {
        for (privilege, apt) in [(Privilege::Neither, true), (Privilege::Root, false), (Privilege::PasswordlessSudo, false)] {
            let Plan::Tell(message) = plan(&["nats-server", "redis-server"], privilege, apt) else { panic!("{privilege:?} {apt}") };
            assert!(message.ends_with("Install with: sudo apt-get install -y nats-server redis-server"), "{message}");
        }
    }
}
