//! The Helm chart check: `helm/orrery` lints without errors (Helm's own library, through
//! `helm/lint.py`) with its default values and with `values-production.yaml`; values that
//! cannot work are refused; every manifest rendered with accepted values is valid against
//! Kubernetes' own resource schemas (`helm/validate.py`, PyPI `kubernetes-validate`); the
//! dashboards and alert rules it ships are the checked-in ones.

use crate::tools;
use std::path::Path;
use std::process::Command;

/// One lint run: the values applied on top of the defaults, and whether Helm must accept them.
struct Case {
    name: &'static str,
    args: Vec<String>,
    accept: bool,
}

pub fn run() -> anyhow::Result<()> {
    println!("\nHelm chart: lint with Helm's library (helm-sdkpy)…");
    let root = crate::root();
    let chart = root.join("helm/orrery");
    let python = tools::helm_python()?;
    let json = |s: &str| vec!["--set-json".to_owned(), s.to_owned()];
    let cases = [
        Case { name: "default values", args: vec![], accept: true },
        Case { name: "values-production.yaml", args: vec![chart.join("values-production.yaml").display().to_string()], accept: true },
        Case {
            name: "everything optional enabled",
            args: json(
                r#"{"gateway":{"ingress":{"enabled":true},"autoscaling":{"enabled":false}},"metrics":{"serviceMonitor":{"enabled":true},"prometheusRule":{"enabled":true},"dashboards":{"enabled":true}},"secrets":{"jwtSecret":"0123456789abcdef0123456789abcdef","natsUrl":"nats://u:p@nats:4222"}}"#,
            ),
            accept: true,
        },
        Case {
            name: "NATS identity per role and IdP public key",
            args: json(
                r#"{"nats":{"gateway":{"user":"orrery-gateway","passwordSecret":"orrery-nats-gateway"},"worker":{"credentialsSecret":"orrery-nats-worker"}},"auth":{"publicKey":{"enabled":true,"secretName":"idp-key"}}}"#,
            ),
            accept: true,
        },
        Case {
            name: "service CAs",
            args: json(
                r#"{"serviceCa":{"secretName":"orrery-service-ca","natsKey":"nats-ca.pem","redisKey":"redis-ca.pem","databaseKey":"database-ca.pem"},"auth":{"publicKey":{"enabled":true,"secretName":"idp-key"}}}"#,
            ),
            accept: true,
        },
        Case {
            name: "pods migrating at start, no migration Job",
            args: json(r#"{"migration":{"job":false},"secrets":{"existingSecret":"orrery-credentials"}}"#),
            accept: true,
        },
        Case {
            name: "refuses a NATS password without a user",
            args: json(r#"{"nats":{"worker":{"passwordSecret":"orrery-nats-worker"}}}"#),
            accept: false,
        },
        Case {
            name: "schema refuses a runtime role needing quotes",
            args: json(r#"{"migration":{"runtimeRole":"Orrery-Runtime"}}"#),
            accept: false,
        },
        Case {
            name: "refuses worker grace <= drain grace",
            args: json(r#"{"worker":{"terminationGracePeriodSeconds":5}}"#),
            accept: false,
        },
        Case {
            name: "refuses gateway grace <= preStop + drain",
            args: json(r#"{"gateway":{"terminationGracePeriodSeconds":10}}"#),
            accept: false,
        },
        Case { name: "refuses lease margin >= TTL/3 ", args: json(r#"{"worker":{"timing":{"leaseMarginMs":400}}}"#), accept: false },
        Case { name: "schema refuses capacity 0", args: json(r#"{"worker":{"capacity":0}}"#), accept: false },
        Case { name: "schema refuses a retention batch of 0", args: json(r#"{"worker":{"retention":{"batch":0}}}"#), accept: false },
        Case { name: "schema refuses a short JWT secret", args: json(r#"{"secrets":{"jwtSecret":"short"}}"#), accept: false },
    ];
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        let out = Command::new(&python).arg(root.join("helm/lint.py")).arg(&chart).args(&case.args).output()?;
        let accepted = out.status.success();
        let ok = accepted == case.accept;
        let verdict = if accepted { "accepted" } else { "refused" };
        println!("  {} {:<45} {verdict}", if ok { "ok  " } else { "FAIL" }, case.name);
        if !ok || !accepted {
            print_lines(&out, |l| l.contains("ERROR") || l.contains("Error") || !ok);
        }
        if ok { passed += 1 } else { failed += 1 }
    }
    // What Helm accepts must also be what Kubernetes accepts.
    for case in cases.iter().filter(|c| c.accept) {
        let out = Command::new(&python).arg(root.join("helm/validate.py")).arg(&chart).args(&case.args).output()?;
        let ok = out.status.success();
        println!(
            "  {} {:<45} {}",
            if ok { "ok  " } else { "FAIL" },
            format!("schemas: {}", case.name),
            if ok { "valid" } else { "invalid" }
        );
        if !ok {
            print_lines(&out, |l| l.contains("ERROR") || l.contains("Error"));
        }
        if ok { passed += 1 } else { failed += 1 }
    }
    // The chart ships copies (Helm cannot read files outside the chart): they must be identical.
    let mut copies = vec![("alerts/orrery.rules.yaml".to_owned(), "helm/orrery/files/alerts/orrery.rules.yaml".to_owned())];
    for d in json_files(&root.join("dashboards"))? {
        copies.push((format!("dashboards/{d}"), format!("helm/orrery/files/dashboards/{d}")));
    }
    for d in json_files(&root.join("helm/orrery/files/dashboards"))? {
        if !root.join("dashboards").join(&d).exists() {
            copies.push((format!("dashboards/{d}"), format!("helm/orrery/files/dashboards/{d}")));
        }
    }
    for (src, copy) in &copies {
        let same = std::fs::read(root.join(src)).ok().is_some_and(|a| std::fs::read(root.join(copy)).ok().is_some_and(|b| a == b));
        println!("  {} {copy} is {src}", if same { "ok  " } else { "FAIL" });
        if same { passed += 1 } else { failed += 1 }
    }
    if failed > 0 {
        println!(
            "  (copy with: cp dashboards/*.json helm/orrery/files/dashboards/ && cp alerts/orrery.rules.yaml helm/orrery/files/alerts/)"
        );
    }
    println!("helm: {passed} passed, {failed} failed");
    if failed > 0 {
        anyhow::bail!("the Helm chart check failed");
    }
    Ok(())
}

/// The lines of a script's output that `pick` wants, indented.
fn print_lines(out: &std::process::Output, pick: impl Fn(&str) -> bool) {
    for line in String::from_utf8_lossy(&out.stdout).lines().chain(String::from_utf8_lossy(&out.stderr).lines()) {
        if pick(line) {
            println!("         {line}");
        }
    }
}

fn json_files(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir)?.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".json")).collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replicas: 2
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: x, image: x, ports: [{containerPort: 8080, protocol: TCP}]}]
";

    /// Run the schema step on `manifest`; (valid, output).
    fn validate(manifest: &str) -> (bool, String) {
        let python = tools::helm_python().expect("python with kubernetes-validate");
        let file = std::env::temp_dir().join(format!("orrery-validate-{}-{}.yaml", std::process::id(), manifest.len()));
        std::fs::write(&file, manifest).unwrap();
        let out = Command::new(python).arg(crate::root().join("helm/validate.py")).arg("--files").arg(&file).output().unwrap();
        let _ = std::fs::remove_file(&file);
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
    }

    #[test]
    fn the_schema_step_accepts_a_valid_manifest_and_refuses_broken_ones() {
        let (ok, out) = validate(DEPLOYMENT);
        assert!(ok, "{out}");
        let (ok, out) = validate(&DEPLOYMENT.replace("replicas: 2", "replicas: two"));
        assert!(!ok && out.contains("spec.replicas"), "a string where Kubernetes wants an integer: {out}");
        let (ok, out) = validate(&DEPLOYMENT.replace("protocol: TCP", "protocl: TCP"));
        assert!(!ok && out.contains("'protocl' was unexpected"), "a misspelt field: {out}");
    }
}
