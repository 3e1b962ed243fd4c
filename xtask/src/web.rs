//! The TypeScript side: Node.js and npm (Debian's `nodejs npm` when missing), the workspace's
//! packages (`npm ci`), the page's build (`web/dist`), the SDK's and the page's tests, and
//! the browser tests (Debian's `chromium`, driven by playwright-core). Missing Debian
//! packages are installed through [`crate::apt`] (root or passwordless sudo) or named.

use crate::apt::find;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Chromium is expected (Debian's package `chromium`).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// `node` and `npm`, installed from Debian when missing and this process may install
/// (root or passwordless sudo: [`crate::apt`]).
pub fn ensure_node() -> anyhow::Result<()> {
    if find("node").is_some() && find("npm").is_some() {
        return Ok(());
    }
    crate::apt::install(&["nodejs", "npm"]).context("Node.js and npm are needed for the web page and its tests")?;
    if find("node").is_some() && find("npm").is_some() {
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
    crate::apt::install(&["chromium"]).context("the browser tests need Chromium")?;
    if path.is_file() {
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
