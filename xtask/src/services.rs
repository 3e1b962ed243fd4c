//! Make sure NATS (with JetStream), Redis and PostgreSQL answer on 127.0.0.1, starting
//! local ones when nothing listens. A server program that is missing is installed first
//! (Debian packages, when running as root or with passwordless sudo: [`crate::apt`]);
//! otherwise the error names the packages to install.

use anyhow::{Context, bail};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where the services are (the defaults every binary uses).
#[derive(Debug, Clone)]
pub struct Services {
    pub nats_url: String,
    pub redis_url: String,
    pub postgres_url: String,
}

const NATS: u16 = 4222;
const REDIS: u16 = 6379;
const POSTGRES: u16 = 5432;

/// Check, start what is missing, and report.
pub fn ensure() -> anyhow::Result<Services> {
    let state = crate::root().join(".orrery");
    std::fs::create_dir_all(&state)?;
    let servers = [
        Server { listening: listening(NATS), installed: nats_server().is_some(), packages: &["nats-server"] },
        Server { listening: listening(REDIS), installed: redis_server().is_some(), packages: &["redis-server"] },
        Server { listening: listening(POSTGRES), installed: postgres_installed(), packages: &["postgresql", "postgresql-client"] },
    ];
    crate::apt::install(&packages_to_install(&servers, psql().is_some()))?;
    ensure_one("NATS", NATS, || start_nats(&state))?;
    ensure_one("Redis", REDIS, start_redis)?;
    ensure_one("PostgreSQL", POSTGRES, || start_postgres(&state))?;
    if !passwordless_login(POSTGRES) {
        bail!(
            "PostgreSQL on 127.0.0.1:{POSTGRES} refuses user postgres without a password, and the tests and `up` \
             connect as postgres@127.0.0.1 with none. Allow it in that server's pg_hba.conf \
             (`host all postgres 127.0.0.1/32 trust`), or stop that server so that xtask starts its own."
        );
    }
    Ok(Services {
        nats_url: format!("nats://127.0.0.1:{NATS}"),
        redis_url: format!("redis://127.0.0.1:{REDIS}"),
        postgres_url: format!("postgres://postgres@127.0.0.1:{POSTGRES}"),
    })
}

/// A server `ensure` may have to start.
struct Server {
    listening: bool,
    /// Its programs are on this machine.
    installed: bool,
    /// The Debian packages that provide them.
    packages: &'static [&'static str],
}

/// The packages to install: those of each server that nothing serves and that is not
/// installed, and `postgresql-client` for `psql` (databases are created with it).
fn packages_to_install(servers: &[Server], psql_installed: bool) -> Vec<&'static str> {
    let mut packages: Vec<&'static str> =
        servers.iter().filter(|s| !s.listening && !s.installed).flat_map(|s| s.packages.iter().copied()).collect();
    if !psql_installed {
        packages.push("postgresql-client");
    }
    let mut seen = std::collections::HashSet::new();
    packages.retain(|p| seen.insert(*p));
    packages
}

fn nats_server() -> Option<PathBuf> {
    find(&["nats-server"], &["/usr/sbin", "/usr/local/bin"])
}

fn redis_server() -> Option<PathBuf> {
    find(&["redis-server"], &["/usr/bin", "/usr/local/bin"])
}

fn psql() -> Option<PathBuf> {
    find(&["psql"], &["/usr/bin"])
}

/// A Debian cluster to start, or `initdb` to make a private one.
fn postgres_installed() -> bool {
    (find(&["pg_ctlcluster"], &["/usr/bin"]).is_some() && std::path::Path::new("/etc/postgresql").is_dir()) || initdb().is_some()
}

fn initdb() -> Option<PathBuf> {
    let bin_dirs: Vec<String> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("bin").display().to_string())
        .collect();
    let extra: Vec<&str> = bin_dirs.iter().map(String::as_str).collect();
    find(&["initdb"], &extra)
}

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_millis(300)).is_ok()
}

fn ensure_one(name: &str, port: u16, start: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    if listening(port) {
        println!("  {name:<10} listening on 127.0.0.1:{port}");
        return Ok(());
    }
    println!("  {name:<10} not listening on 127.0.0.1:{port}: starting a local one");
    start().with_context(|| format!("cannot start {name}"))?;
    let until = Instant::now() + Duration::from_secs(20);
    while !listening(port) {
        if Instant::now() > until {
            bail!("{name} was started but does not listen on 127.0.0.1:{port} after 20 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("  {name:<10} started on 127.0.0.1:{port}");
    Ok(())
}

/// The first of `names` found on PATH or in `extra` directories.
fn find(names: &[&str], extra: &[&str]) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let dirs = path.split(':').map(PathBuf::from).chain(extra.iter().map(PathBuf::from));
    for dir in dirs {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn missing(binary: &str, package: &str) -> anyhow::Error {
    anyhow::anyhow!("`{binary}` is not installed. Install it with: {}", crate::apt::install_hint(&[package]))
}

fn start_nats(state: &Path) -> anyhow::Result<()> {
    let bin = nats_server().ok_or_else(|| missing("nats-server", "nats-server"))?;
    let dir = state.join("nats");
    std::fs::create_dir_all(&dir)?;
    let log = std::fs::File::create(state.join("nats.log"))?;
    Command::new(bin)
        .args(["-a", "127.0.0.1", "-p", &NATS.to_string(), "-js", "-sd"])
        .arg(&dir)
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()?;
    Ok(())
}

fn start_redis() -> anyhow::Result<()> {
    let bin = redis_server().ok_or_else(|| missing("redis-server", "redis-server"))?;
    let status = Command::new(bin)
        .args(["--daemonize", "yes", "--bind", "127.0.0.1", "--port", &REDIS.to_string(), "--save", "", "--appendonly", "no"])
        .status()?;
    if !status.success() {
        bail!("redis-server exited with {status}");
    }
    Ok(())
}

fn start_postgres(state: &Path) -> anyhow::Result<()> {
    // A Debian cluster, if one exists.
    if let Some(ctl) = find(&["pg_ctlcluster"], &["/usr/bin"]) {
        let clusters = std::fs::read_dir("/etc/postgresql").ok().into_iter().flatten().flatten();
        for version in clusters {
            let v = version.file_name().to_string_lossy().to_string();
            let status = Command::new(&ctl).args(["--skip-systemctl-redirect", &v, "main", "start"]).status()?;
            if !status.success() {
                continue;
            }
            // A freshly installed Debian cluster asks for a password over TCP (scram-sha-256 in
            // its pg_hba.conf): then give it back and run the private trust cluster instead.
            let until = Instant::now() + Duration::from_secs(20);
            while !listening(POSTGRES) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(200));
            }
            if passwordless_login(POSTGRES) {
                return Ok(());
            }
            println!(
                "  PostgreSQL cluster {v}/main asks for a password on 127.0.0.1: stopping it, starting a private one with trust auth under .orrery/pg"
            );
            Command::new(&ctl).args(["--skip-systemctl-redirect", &v, "main", "stop"]).status()?;
            break;
        }
    }
    // Otherwise a private cluster with trust auth under .orrery/pg.
    let initdb = initdb().ok_or_else(|| missing("postgres", "postgresql postgresql-client"))?;
    let pg_ctl = initdb.with_file_name("pg_ctl");
    let data = state.join("pg");
    let as_postgres = nix::unistd::Uid::effective().is_root();
    let run = |args: Vec<String>| -> anyhow::Result<()> {
        let mut cmd = if as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]);
            c
        } else {
            Command::new(&args[0])
        };
        let args = if as_postgres { args } else { args[1..].to_vec() };
        let status = cmd.args(&args).status()?;
        if !status.success() {
            bail!("{args:?} exited with {status}");
        }
        Ok(())
    };
    if !data.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&data)?;
        if as_postgres {
            Command::new("chown").args(["-R", "postgres:postgres"]).arg(state).status()?;
        }
        run(vec![
            initdb.display().to_string(),
            "-D".into(),
            data.display().to_string(),
            "-U".into(),
            "postgres".into(),
            "--auth=trust".into(),
        ])?;
    }
    run(vec![
        pg_ctl.display().to_string(),
        "-D".into(),
        data.display().to_string(),
        "-l".into(),
        state.join("postgres.log").display().to_string(),
        "-o".into(),
        format!("-p {POSTGRES} -k /tmp -c listen_addresses=127.0.0.1"),
        "start".into(),
    ])
}

/// Whether user `postgres` may log in on 127.0.0.1:`port` without a password, as the tests
/// and `up` do (false when `psql` is missing or nothing listens there).
fn passwordless_login(port: u16) -> bool {
    let Some(psql) = psql() else { return false };
    Command::new(psql)
        .args(["-w", &format!("postgres://postgres@127.0.0.1:{port}/postgres"), "-tAc", "SELECT 1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Create a database if it does not exist (needs `psql`).
pub fn create_database(services: &Services, name: &str) -> anyhow::Result<()> {
    let psql = psql().ok_or_else(|| missing("psql", "postgresql-client"))?;
    let url = format!("{}/postgres", services.postgres_url);
    let exists = Command::new(&psql)
        .args([&url, "-tAc", &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'")])
        .output()
        .context("running psql")?;
    if String::from_utf8_lossy(&exists.stdout).trim() == "1" {
        return Ok(());
    }
    let status = Command::new(&psql).args([&url, "-qc", &format!("CREATE DATABASE {name}")]).status()?;
    if !status.success() {
        bail!("cannot create database {name}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(listening: bool, installed: bool, packages: &'static [&'static str]) -> Server {
        Server { listening, installed, packages }
    }

    #[test]
    fn passwordless_login_is_what_the_tests_rely_on() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        assert!(!passwordless_login(closed), "nothing listens there");
        // The project's PostgreSQL (started by `cargo xtask test` before the tests) lets
        // postgres in without a password: the check must say so, or ensure() would refuse it.
        if listening(POSTGRES) && psql().is_some() {
            assert!(passwordless_login(POSTGRES));
        }
    }

    #[test]
    fn only_servers_that_must_be_started_and_are_not_installed_need_packages() {
        let servers = [
            server(false, false, &["nats-server"]),
            server(true, false, &["redis-server"]), // someone else's Redis answers: nothing to install
            server(false, true, &["postgresql", "postgresql-client"]),
        ];
        assert_eq!(packages_to_install(&servers, true), ["nats-server"]);
    }

    #[test]
    fn a_fresh_machine_needs_every_server_once() {
        let servers = [
            server(false, false, &["nats-server"]),
            server(false, false, &["redis-server"]),
            server(false, false, &["postgresql", "postgresql-client"]),
        ];
        assert_eq!(packages_to_install(&servers, false), ["nats-server", "redis-server", "postgresql", "postgresql-client"]);
    }

    #[test]
    fn psql_alone_needs_the_client_package() {
        let servers = [server(true, false, &["nats-server"]), server(true, true, &["redis-server"])];
        assert_eq!(packages_to_install(&servers, false), ["postgresql-client"]);
        assert!(packages_to_install(&servers, true).is_empty());
    }
}
