//! `cargo xtask ops-check`: the operations checks, each closing with its own
//! `N passed, N failed` line — the Helm chart ([`crate::helm_lint`]), the alert rules
//! ([`crate::alerts`]) and the dashboards against live metrics ([`crate::observability`]).

use anyhow::bail;

pub fn run() -> anyhow::Result<()> {
    let mut failures = Vec::new();
    if let Err(e) = crate::helm_lint::run() {
        println!("helm check: {e:#}");
        failures.push("helm");
    }
    match crate::tools::prometheus() {
        Ok(tools) => {
            if let Err(e) = crate::alerts::run(&tools) {
                println!("alerts check: {e:#}");
                failures.push("alerts");
            }
            if let Err(e) = crate::observability::run(&tools) {
                println!("observability check: {e:#}");
                failures.push("observability");
            }
        }
        Err(e) => {
            println!("{e:#}");
            failures.push("alerts and observability (no Prometheus)");
        }
    }
    if !failures.is_empty() {
        bail!("operations checks failed: {}", failures.join(", "));
    }
    Ok(())
}
