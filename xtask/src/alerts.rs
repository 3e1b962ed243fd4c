//! The alert rules check: `alerts/orrery.rules.yaml` is valid (`promtool check rules`) and its
//! unit tests pass (`promtool test rules alerts/orrery.rules.test.yaml`).

use crate::tools::PrometheusTools;
use std::process::Command;

pub fn run(tools: &PrometheusTools) -> anyhow::Result<()> {
    println!("\nAlert rules: promtool check rules, promtool test rules…");
    let dir = crate::root().join("alerts");
    let steps: [(&str, &[&str]); 2] =
        [("check rules", &["check", "rules", "orrery.rules.yaml"]), ("test rules", &["test", "rules", "orrery.rules.test.yaml"])];
    let (mut passed, mut failed) = (0, 0);
    for (name, args) in steps {
        let out = Command::new(&tools.promtool).args(args).current_dir(&dir).output()?;
        let ok = out.status.success();
        println!("  {} promtool {name}", if ok { "ok  " } else { "FAIL" });
        for line in String::from_utf8_lossy(&out.stdout).lines().chain(String::from_utf8_lossy(&out.stderr).lines()) {
            if !line.trim().is_empty() {
                println!("         {line}");
            }
        }
        if ok { passed += 1 } else { failed += 1 }
    }
    println!("alerts: {passed} passed, {failed} failed");
    if failed > 0 {
        anyhow::bail!("the alert rules check failed");
    }
    Ok(())
}
