//! The outside tools the operations checks need — Prometheus and promtool (Debian package
//! `prometheus`), and Helm's library for Python (PyPI `helm-sdkpy`, with `cffi` and `pyyaml`)
//! with Kubernetes' resource schemas (PyPI `kubernetes-validate`) —
//! found, or installed when this process may install them, or named exactly when missing.

use crate::apt::find;
use anyhow::bail;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `prometheus` and `promtool`.
pub struct PrometheusTools {
    pub prometheus: PathBuf,
    pub promtool: PathBuf,
}

fn quiet(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Find `prometheus` and `promtool`; as root or with passwordless sudo, install Debian's
/// `prometheus` package when they are missing (CI on a fresh machine); otherwise say what to install.
pub fn prometheus() -> anyhow::Result<PrometheusTools> {
    let found = || Some(PrometheusTools { prometheus: find("prometheus")?, promtool: find("promtool")? });
    if let Some(t) = found() {
        return Ok(t);
    }
    // The package starts a system Prometheus on :9090 where it can; the checks use their own.
    crate::apt::install(&["prometheus"])?;
    if let Some(t) = found() {
        return Ok(t);
    }
    bail!("`prometheus` and `promtool` are not installed. Install them with: sudo apt-get install -y prometheus")
}

/// The Python interpreter that can `import helm_sdkpy, yaml, kubernetes_validate`; installs
/// the packages with pip when they are missing.
pub fn helm_python() -> anyhow::Result<PathBuf> {
    let python = find("python3").ok_or_else(|| anyhow::anyhow!("`python3` is not installed (Debian package python3)"))?;
    let ready = || quiet(Command::new(&python).args(["-c", "import helm_sdkpy, yaml, kubernetes_validate"]));
    if ready() {
        return Ok(python);
    }
    const PACKAGES: [&str; 4] = ["helm-sdkpy", "cffi", "pyyaml", "kubernetes-validate"];
    println!(
        "  Helm's Python library or kubernetes-validate missing: python3 -m pip install --ignore-requires-python {}",
        PACKAGES.join(" ")
    );
    let _ = Command::new(&python).args(["-m", "pip", "install", "-q", "--ignore-requires-python"]).args(PACKAGES).status();
    if ready() {
        return Ok(python);
    }
    bail!(
        "Helm's Python library or kubernetes-validate is missing. Install them with: python3 -m pip install --ignore-requires-python {}",
        PACKAGES.join(" ")
    )
}
