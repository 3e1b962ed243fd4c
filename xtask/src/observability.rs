//! The observability check: a real Prometheus scrapes real gateways and workers while bots
//! play (and one worker is killed, so failover metrics move), then every query of every
//! dashboard in `dashboards/` is evaluated through Prometheus' HTTP API and must be valid and
//! return data; `promtool check metrics` must pass on every `/metrics` output; the alert rules
//! must load and evaluate on the live data.
//!
//! Closing lines (read by CI): `dashboards: N passed, N failed`, `metrics: …`, `scenario: …`.

use crate::children::{Proc, http_get};
use crate::tools::PrometheusTools;
use crate::{services, up};
use anyhow::{Context, bail};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GATEWAY_PORT: u16 = 28080;
const WORKER_PORT: u16 = 29300;
const DATABASE: &str = "orrery_opscheck";
/// The dashboards that must exist, by uid.
const UIDS: [&str; 4] = ["orrery-overview", "orrery-tick", "orrery-failover", "orrery-players"];

/// Grafana's variables, replaced by concrete values before a query goes to Prometheus (which
/// does not know them). Anything else starting with `$` left in a query fails the check.
const SUBSTITUTIONS: [(&str, &str); 6] = [
    ("${__rate_interval}", "1m"),
    ("$__rate_interval", "1m"),
    ("${__interval}", "15s"),
    ("$__interval", "15s"),
    ("${__range}", "1m"),
    ("$__range", "1m"),
];

/// Queries allowed to return only NaN in this run, and why: a histogram quantile over no
/// observations is NaN, and these histograms legitimately observe nothing here.
const NAN_ALLOWED: [(&str, &str); 1] =
    [("orrery_gateway_resume_duration_seconds", "the bots do not reconnect, so no resume is timed in this run")];

/// Processes stopped in reverse start order whatever happens (bots, gateways, workers, Prometheus).
struct Fleet(Vec<Proc>);

impl Drop for Fleet {
    fn drop(&mut self) {
        for p in self.0.iter_mut().rev() {
            p.stop(Duration::from_secs(10));
        }
    }
}

/// Tally of one check's closing line.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
}

impl Tally {
    fn record(&mut self, ok: bool, what: &str, detail: &str) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
        let detail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
        println!("  {} {what}{detail}", if ok { "ok  " } else { "FAIL" });
    }
}

pub fn run(tools: &PrometheusTools) -> anyhow::Result<()> {
    println!("\nObservability: Prometheus scraping 2 gateways and 2 workers while bots play…");
    let started = Instant::now();
    let dashboards = load_dashboards(&crate::root().join("dashboards"))?;
    let services = services::ensure()?;
    services::create_database(&services, DATABASE)?;
    up::build()?;
    let logs = crate::root().join(".orrery").join("logs").join("ops-check");
    std::fs::create_dir_all(&logs)?;
    let tmp = std::env::temp_dir().join(format!("orrery-ops-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;

    let result = scenario(tools, &dashboards, &services, &logs, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    println!("  (observability check took {:.0} s; logs in {})", started.elapsed().as_secs_f64(), logs.display());
    result
}

fn scenario(
    tools: &PrometheusTools,
    dashboards: &[(String, Value)],
    services: &services::Services,
    logs: &Path,
    tmp: &Path,
) -> anyhow::Result<()> {
    let prefix = format!("opscheck{}", std::process::id());
    let env = up::server_env(services, DATABASE, &prefix);
    let gateways = [GATEWAY_PORT, GATEWAY_PORT + 1];
    let workers = [WORKER_PORT, WORKER_PORT + 1];
    let mut fleet = Fleet(Vec::new());
    let mut scenario = Tally::default();

    // Prometheus first, so it sees every process from its start.
    let prom_port = free_port()?;
    let config = tmp.join("prometheus.yml");
    let target_list = |ports: &[u16]| ports.iter().map(|p| format!("'127.0.0.1:{p}'")).collect::<Vec<_>>().join(", ");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\nrule_files:\n  - '{}'\nscrape_configs:\n  - job_name: orrery-gateway\n    static_configs:\n      - targets: [{}]\n  - job_name: orrery-worker\n    static_configs:\n      - targets: [{}]\n",
            crate::root().join("alerts/orrery.rules.yaml").display(),
            target_list(&gateways.map(up::gateway_ops_port)),
            target_list(&workers)
        ),
    )?;
    let mut cmd = Command::new(&tools.prometheus);
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", tmp.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .arg("--storage.tsdb.retention.time=1h");
    fleet.0.push(Proc::spawn("prometheus", cmd, logs)?);
    wait_http(prom_port, "/-/ready", Duration::from_secs(30)).context("Prometheus did not become ready")?;
    println!("  prometheus on 127.0.0.1:{prom_port}, scraping every 1 s");

    up::start_servers(&mut fleet.0, &env, logs, (2, WORKER_PORT), (2, GATEWAY_PORT))?;
    let up_at = Instant::now();

    // Players come after Prometheus has a first sample of every process (as in production), so
    // every counter's increase from here on is seen by rate().
    let scraped_until = Instant::now() + Duration::from_secs(15);
    let mut scraped = 0.0;
    while Instant::now() < scraped_until {
        scraped = instant_value(prom_port, "count(up == 1)").unwrap_or(0.0);
        if scraped >= 4.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(Duration::from_secs(2));
    scenario.record(scraped >= 4.0, "Prometheus scrapes all 4 processes", &format!("count(up == 1) = {scraped}"));

    // One refused connection per gateway (a token that is not a JWT), so auth failures exist.
    for port in gateways {
        let status = refused_upgrade(port);
        scenario.record(status == Some(401), &format!("gateway :{port} refuses a bad token with 401"), &format!("{status:?}"));
    }

    // Bots: a short group that finishes (disconnects happen), a long one still playing when
    // the queries run (bytes per player need players).
    let gw_list = gateways.iter().map(|p| format!("http://127.0.0.1:{p}")).collect::<Vec<_>>().join(",");
    let bot = |name: &str, n: usize, secs: u64| -> anyhow::Result<Proc> {
        let mut cmd = Command::new(up::target_dir().join("orrery-bot"));
        cmd.args(["--gateway", &gw_list, "--bots", &n.to_string(), "--duration-secs", &secs.to_string(), "--name", name]);
        Proc::spawn(&format!("bots-{name}"), cmd, logs)
    };
    fleet.0.push(bot("short", 2, 4)?);
    fleet.0.push(bot("long", 4, 40)?);
    let short = fleet.0.len() - 2;
    let short_ok = fleet.0[short].wait(Duration::from_secs(20)).is_some_and(|s| s.success());
    scenario.record(short_ok, "the short bot group played and finished", "");

    // Kill the worker that owns the most rooms: its rooms must fail over to the other one.
    let rooms: Vec<f64> =
        workers.iter().map(|p| sample(&scrape(*p).unwrap_or_default(), "orrery_worker_rooms_owned").unwrap_or(0.0)).collect();
    let victim = if rooms[1] > rooms[0] { 1 } else { 0 };
    let survivor = 1 - victim;
    scenario.record(rooms[victim] > 0.0, "a worker owns rooms before the kill", &format!("rooms owned {rooms:?}"));
    let mut metrics_outputs: Vec<(String, String)> = Vec::new();
    if let Some(text) = scrape(workers[victim]) {
        metrics_outputs.push((format!("worker :{} (before its kill)", workers[victim]), text));
    }
    let victim_name = format!("worker-{victim}");
    if let Some(p) = fleet.0.iter_mut().find(|p| p.name == victim_name) {
        p.kill_now();
    }
    println!("  killed {victim_name} (SIGKILL) holding {} rooms", rooms[victim]);
    let failover_deadline = Instant::now() + Duration::from_secs(15);
    let mut failovers = 0.0;
    while Instant::now() < failover_deadline {
        failovers = sample(&scrape(workers[survivor]).unwrap_or_default(), "orrery_worker_failovers_total").unwrap_or(0.0);
        if failovers > 0.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    scenario.record(
        failovers > 0.0,
        &format!("worker-{survivor} took the rooms over"),
        &format!("orrery_worker_failovers_total {failovers}"),
    );

    // Let Prometheus scrape the aftermath, then ask it.
    let settle = Duration::from_secs(20).saturating_sub(up_at.elapsed()).max(Duration::from_secs(4));
    std::thread::sleep(settle);
    let long = fleet.0.iter_mut().find(|p| p.name == "bots-long").expect("started above");
    scenario.record(long.exited().is_none(), "the long bot group is still playing", "");

    let mut metrics = Tally::default();
    for port in gateways.map(up::gateway_ops_port) {
        if let Some(text) = scrape(port) {
            metrics_outputs.push((format!("gateway :{port}"), text));
        }
    }
    if let Some(text) = scrape(workers[survivor]) {
        metrics_outputs.push((format!("worker :{}", workers[survivor]), text));
    }
    metrics.record(metrics_outputs.len() == 4, "every process served /metrics", &format!("{} of 4", metrics_outputs.len()));
    for (name, text) in &metrics_outputs {
        let (ok, problems) = promtool_check_metrics(&tools.promtool, text)?;
        metrics.record(ok, &format!("promtool check metrics: {name}"), problems.trim());
    }

    let mut dash = Tally::default();
    for (file, d) in dashboards {
        let problems = structure_problems(d);
        dash.record(problems.is_empty(), &format!("{file}: uid, schemaVersion, datasource variable"), &problems.join("; "));
        for (panel, expr) in targets(d) {
            let (ok, detail) = evaluate(prom_port, &expr);
            dash.record(ok, &format!("{file} / {panel}"), &detail);
            if !ok {
                println!("         query: {expr}");
            }
        }
    }

    // The alert rules loaded into this Prometheus and evaluate without error on live data.
    let rules = http_get(prom_port, "/api/v1/rules").and_then(|(_, b)| serde_json::from_str::<Value>(&b).ok());
    let mut n_rules = 0;
    let mut bad = Vec::new();
    for group in rules.as_ref().and_then(|r| r["data"]["groups"].as_array()).into_iter().flatten() {
        for rule in group["rules"].as_array().into_iter().flatten() {
            n_rules += 1;
            if rule["health"] != "ok" {
                bad.push(format!("{} ({})", rule["name"], rule["lastError"]));
            }
        }
    }
    scenario.record(
        n_rules > 0 && bad.is_empty(),
        "alert rules load and evaluate on live data",
        &format!("{n_rules} rules, unhealthy: {bad:?}"),
    );

    drop(fleet);
    println!("scenario: {} passed, {} failed", scenario.passed, scenario.failed);
    println!("metrics: {} passed, {} failed", metrics.passed, metrics.failed);
    println!("dashboards: {} passed, {} failed", dash.passed, dash.failed);
    if scenario.failed + metrics.failed + dash.failed > 0 {
        bail!("the observability check failed");
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_http(port: u16, path: &str, limit: Duration) -> anyhow::Result<()> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if http_get(port, path).is_some_and(|(s, _)| s == 200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("no 200 from 127.0.0.1:{port}{path} within {limit:?}")
}

/// A WebSocket upgrade with a token that is not a JWT; the status code of the answer.
fn refused_upgrade(port: u16) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: orrery.v1\r\nAuthorization: Bearer not-a-jwt\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The single value of an instant query, if it has exactly one.
fn instant_value(prom_port: u16, query: &str) -> Option<f64> {
    let (_, body) = http_get(prom_port, &format!("/api/v1/query?query={}", percent_encode(query)))?;
    let v: Value = serde_json::from_str(&body).ok()?;
    let result = v["data"]["result"].as_array()?;
    if result.len() != 1 {
        return None;
    }
    result[0]["value"][1].as_str()?.parse().ok()
}

fn scrape(port: u16) -> Option<String> {
    http_get(port, "/metrics").filter(|(s, _)| *s == 200).map(|(_, b)| b)
}

/// The value of an unlabelled sample in Prometheus text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn promtool_check_metrics(promtool: &Path, text: &str) -> anyhow::Result<(bool, String)> {
    let mut child =
        Command::new(promtool).args(["check", "metrics"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    child.stdin.take().expect("piped").write_all(text.as_bytes())?;
    let out = child.wait_with_output()?;
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success() && said.trim().is_empty(), said))
}

fn load_dashboards(dir: &Path) -> anyhow::Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(e.path())?).with_context(|| format!("{name} is not JSON"))?;
            out.push((name, v));
        }
    }
    let uids: Vec<&str> = out.iter().filter_map(|(_, d)| d["uid"].as_str()).collect();
    for uid in UIDS {
        if !uids.contains(&uid) {
            bail!("no dashboard with uid {uid:?} in {}", dir.display());
        }
    }
    Ok(out)
}

/// What is wrong with a dashboard's frame: uid, schema version, the datasource variable, and
/// every panel and target using it.
fn structure_problems(d: &Value) -> Vec<String> {
    let mut p = Vec::new();
    if !d["uid"].as_str().is_some_and(|u| UIDS.contains(&u)) {
        p.push(format!("uid {} is not one of {UIDS:?}", d["uid"]));
    }
    if !d["schemaVersion"].as_u64().is_some_and(|v| (36..=41).contains(&v)) {
        p.push(format!("schemaVersion {}", d["schemaVersion"]));
    }
    let has_var = d["templating"]["list"]
        .as_array()
        .is_some_and(|l| l.iter().any(|v| v["name"] == "datasource" && v["type"] == "datasource" && v["query"] == "prometheus"));
    if !has_var {
        p.push("no `datasource` template variable of type datasource/prometheus".into());
    }
    for panel in d["panels"].as_array().into_iter().flatten().filter(|x| x["type"] != "row") {
        if panel["datasource"]["uid"] != "${datasource}" {
            p.push(format!("panel {} does not use ${{datasource}}", panel["title"]));
        }
        for t in panel["targets"].as_array().into_iter().flatten() {
            if t["datasource"]["uid"] != "${datasource}" {
                p.push(format!("a target of panel {} does not use ${{datasource}}", panel["title"]));
            }
        }
        if panel["targets"].as_array().is_none_or(|t| t.is_empty()) {
            p.push(format!("panel {} has no query", panel["title"]));
        }
    }
    p
}

/// (panel title and legend, expression) of every target of every panel.
fn targets(d: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for panel in d["panels"].as_array().into_iter().flatten() {
        for t in panel["targets"].as_array().into_iter().flatten() {
            let title = panel["title"].as_str().unwrap_or("?");
            let legend = t["legendFormat"].as_str().unwrap_or("");
            out.push((format!("{title} [{legend}]"), t["expr"].as_str().unwrap_or("").to_owned()));
        }
    }
    out
}

/// Run one dashboard query (after substituting Grafana's variables) as an instant query.
/// Passes when it is valid and returns at least one series with a finite value (or only NaN,
/// for the queries in [`NAN_ALLOWED`]).
fn evaluate(prom_port: u16, expr: &str) -> (bool, String) {
    let mut q = expr.to_owned();
    for (var, value) in SUBSTITUTIONS {
        q = q.replace(var, value);
    }
    if q.contains('$') {
        return (false, "a Grafana variable the check does not know".into());
    }
    if q.trim().is_empty() {
        return (false, "empty query".into());
    }
    let Some((status, body)) = http_get(prom_port, &format!("/api/v1/query?query={}", percent_encode(&q))) else {
        return (false, "Prometheus did not answer".into());
    };
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return (false, format!("HTTP {status}, not JSON: {body}"));
    };
    if v["status"] != "success" {
        return (false, format!("invalid: {} {}", v["errorType"], v["error"]));
    }
    let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
    if result.is_empty() {
        return (false, "no data".into());
    }
    let values: Vec<f64> = result.iter().filter_map(|s| s["value"][1].as_str()?.parse::<f64>().ok()).collect();
    let finite = values.iter().filter(|x| x.is_finite()).count();
    let shown = values.iter().take(4).map(|x| format!("{x:.4}")).collect::<Vec<_>>().join(", ");
    if finite > 0 {
        return (true, format!("{} series ({shown})", result.len()));
    }
    match NAN_ALLOWED.iter().find(|(m, _)| q.contains(m)) {
        Some((_, why)) if values.iter().all(|x| x.is_nan()) => (true, format!("{} series, NaN allowed: {why}", result.len())),
        _ => (false, format!("{} series, no finite value ({shown})", result.len())),
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
