//! The TypeScript side: Node.js and npm (Debian's `nodejs npm` when missing), the workspace's
//! packages (`npm ci`), the page's build (`web/dist`), the SDK's and the page's tests, and
//! the browser tests (Debian's `chromium`, driven by playwright-core).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Chromium is expected (Debian's package `chromium`).
pub const CHROMIUM: &str = "/usr/bin/chromium";

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':').map(PathBuf::from).chain(["/usr/bin".into(), "/usr/local/bin".into()]).map(|d| d.join(name)).find(|p| p.is_file())
}

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// `apt-get install -y <packages>` as root (with an `apt-get update` when the first try fails).
fn apt_install(packages: &[&str]) -> bool {
    if !is_root() || find("apt-get").is_none() {
        return false;
    }
    println!("  installing {}: apt-get install -y {}", packages.join(", "), packages.join(" "));
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    if install() {
        return true;
    }
    let _ = Command::new("apt-get").args(["update", "-q"]).env("DEBIAN_FRONTEND", "noninteractive").status();
    install()
}

/// `node` and `npm`, installed from Debian when missing and this process may install.
pub fn ensure_node() -> anyhow::Result<()> {
    if find("node").is_some() && find("npm").is_some() {
        return Ok(());
    }
    if apt_install(&["nodejs", "npm"]) && find("node").is_some() && find("npm").is_some() {
        return Ok(());
    }
    bail!("Node.js and npm are needed for the web page and its tests. Install them with: sudo apt-get install -y nodejs npm")
}

/// Debian's Chromium for the browser tests, installed when missing and this process may.
pub fn ensure_chromium() -> anyhow::Result<PathBuf> {
    let path = PathBuf::from(CHROMIUM);
    if path.is_file() {
        return Ok(path);
    }
    if apt_install(&["chromium"]) && path.is_file() {
        return Ok(path);
    }
    bail!("the browser tests need Chromium at {CHROMIUM}. Install it with: sudo apt-get install -y chromium")
}

fn npm(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("npm").args(args).current_dir(root).status().with_context(|| format!("running npm {}", args.join(" ")))?;
    if !status.success() {
        bail!("`npm {}` failed", args.join(" "));
    }
    Ok(())
}

/// `npm ci` when the workspace's packages are not installed yet.
pub fn ensure_packages(root: &Path) -> anyhow::Result<()> {
    ensure_node()?;
    if !root.join("node_modules").join(".package-lock.json").is_file() {
        println!("Installing the npm workspace's packages (npm ci)…");
        npm(root, &["ci", "--no-audit", "--no-fund"])?;
    }
    Ok(())
}

/// Build the page into `web/dist` (and the SDK it imports); returns that directory.
pub fn build_page(root: &Path) -> anyhow::Result<PathBuf> {
    ensure_packages(root)?;
    println!("Building the web page (npm run build -w web)…");
    npm(root, &["run", "--silent", "build", "-w", "web"])?;
    let dist = root.join("web").join("dist");
    if !dist.join("index.html").is_file() {
        bail!("the page's build left no {}", dist.join("index.html").display());
    }
    Ok(dist)
}

/// The SDK's and the page's TypeScript tests (`npm test` at the workspace root).
pub fn unit_tests(root: &Path) -> anyhow::Result<()> {
    ensure_packages(root)?;
    println!("\nTypeScript tests (npm test: the SDK and the page)…");
    npm(root, &["test"])
}

/// The browser tests: real gateways and workers from `bin_dir` serving the page, pages in
/// Chromium. Services are passed on as the e2e tests take them.
pub fn browser_tests(root: &Path, bin_dir: &Path, services: &crate::services::Services) -> anyhow::Result<()> {
    ensure_packages(root)?;
    let chromium = ensure_chromium()?;
    println!("\nBrowser tests (Chromium, real gateways and workers)…");
    let status = Command::new("npm")
        .args(["run", "test:browser", "-w", "web"])
        .current_dir(root)
        .env("ORRERY_BIN_DIR", bin_dir)
        .env("ORRERY_CHROMIUM", chromium)
        .env("ORRERY_TEST_POSTGRES", &services.postgres_url)
        .env("ORRERY_TEST_NATS", &services.nats_url)
        .env("ORRERY_TEST_REDIS", &services.redis_url)
        .status()
        .context("running the browser tests")?;
    if !status.success() {
        bail!("browser tests failed (screenshots and process logs in target/browser/)");
    }
    Ok(())
}
