//! TLS to each backing service, against a private server of each configured for TLS
//! with certificates this test makes (a CA, and a server certificate it signs for
//! 127.0.0.1): with the CA file, the connection works (a round trip over TLS); without it,
//! the connection fails at start with an error saying the certificate did not verify.
//!
//! Each server runs from a temp dir on a free port and is killed when its guard drops.

use orrery_common::config::ServiceArgs;
use orrery_common::services::{ServiceError, connect_nats, connect_postgres, connect_redis};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A temp dir holding `ca.pem`, `server.pem` and `server.key`; removed when dropped.
struct Certs {
    dir: PathBuf,
}

impl Certs {
    fn new(name: &str) -> Certs {
        let dir = std::env::temp_dir().join(format!("orrery-tls-{name}-{:016x}", rand_u64()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "orrery test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap()).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let server =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.join("server.pem"), server.pem()).unwrap();
        std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
        Certs { dir }
    }

    fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
    fn cert(&self) -> PathBuf {
        self.dir.join("server.pem")
    }
    fn key(&self) -> PathBuf {
        self.dir.join("server.key")
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    name: &'static str,
}

impl Server {
    fn start(name: &'static str, command: &mut Command, port: u16) -> Server {
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let mut server = Server { child, name };
        server.wait_for(port);
        server
    }

    fn wait_for(&mut self, port: u16) {
        let until = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited before listening: {status}", self.name);
            }
            assert!(Instant::now() < until, "{} does not listen on {port}", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The error's message, after checking it is the certificate error that names `flag`.
fn assert_not_verified(err: ServiceError, flag: &str) -> String {
    let message = err.to_string();
    assert!(matches!(err, ServiceError::CertificateNotVerified { .. }), "{message}");
    assert!(message.contains("TLS certificate did not verify"), "{message}");
    assert!(message.contains("UnknownIssuer"), "rustls's reason is kept: {message}");
    assert!(message.contains(flag), "the message names the CA flag: {message}");
    message
}

#[tokio::test]
async fn nats_over_tls_with_the_private_ca_and_a_clear_error_without_it() {
    let certs = Certs::new("nats");
    let port = free_port();
    let config = certs.dir.join("nats.conf");
    std::fs::write(
        &config,
        format!(
            "listen: \"127.0.0.1:{port}\"\ntls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n}}\n",
            certs.cert().display(),
            certs.key().display()
        ),
    )
    .unwrap();
    let _server = Server::start("nats-server", Command::new("/usr/sbin/nats-server").arg("-c").arg(&config), port);
    let url = format!("nats://127.0.0.1:{port}");

    let nats = connect_nats(&nats_args(&url, Some(certs.ca())), "tls-test").await.expect("connects with the CA");
    let mut sub = nats.subscribe("tls.check").await.unwrap();
    nats.publish("tls.check", "over tls".into()).await.unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(5), futures::StreamExt::next(&mut sub)).await.unwrap().unwrap();
    assert_eq!(&msg.payload[..], b"over tls");

    let err = connect_nats(&nats_args(&url, None), "tls-test").await.expect_err("an unknown CA");
    assert_not_verified(err, "--nats-ca-file");
}

#[tokio::test]
async fn redis_over_tls_with_the_private_ca_and_a_clear_error_without_it() {
    let certs = Certs::new("redis");
    let port = free_port();
    let _server = Server::start(
        "redis-server",
        Command::new("/usr/bin/redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--tls-cert-file")
            .arg(certs.cert())
            .arg("--tls-key-file")
            .arg(certs.key())
            .arg("--tls-ca-cert-file")
            .arg(certs.ca())
            .args(["--tls-auth-clients", "no", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&certs.dir),
        port,
    );
    let url = format!("rediss://127.0.0.1:{port}");

    let mut redis = connect_redis(&url, Some(&certs.ca())).await.expect("connects with the CA");
    let () = redis::cmd("SET").arg("tls").arg("yes").query_async(&mut redis).await.unwrap();
    let got: String = redis::cmd("GET").arg("tls").query_async(&mut redis).await.unwrap();
    assert_eq!(got, "yes");

    let Err(err) = connect_redis(&url, None).await else { panic!("connected to a server signed by an unknown CA") };
    assert_not_verified(err, "--redis-ca-file");
}

/// A PostgreSQL cluster in a temp dir (initdb, `ssl = on`), started with pg_ctl.
struct Postgres {
    data: PathBuf,
    owner: Option<String>,
}

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

impl Postgres {
    fn start(certs: &Certs, port: u16) -> Postgres {
        // initdb refuses to run as root: as root, the cluster belongs to `postgres`.
        let owner = is_root().then(|| "postgres".to_string());
        let data = certs.dir.join("pg");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::copy(certs.cert(), certs.dir.join("pg-server.pem")).unwrap();
        std::fs::copy(certs.key(), certs.dir.join("pg-server.key")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(certs.dir.join("pg-server.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
        if let Some(owner) = &owner {
            let status = Command::new("chown").arg("-R").arg(owner).arg(&certs.dir).status().unwrap();
            assert!(status.success(), "chown the cluster's dir to {owner}");
        }
        let pg = Postgres { data, owner };
        pg.run("initdb", &["-D", &pg.data.display().to_string(), "-U", "postgres", "--auth=trust", "--no-sync", "--no-instructions"]);
        let conf = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\nfsync = off\n",
            certs.dir.display(),
            certs.dir.join("pg-server.pem").display(),
            certs.dir.join("pg-server.key").display()
        );
        let mut file = std::fs::OpenOptions::new().append(true).open(pg.data.join("postgresql.conf")).unwrap();
        std::io::Write::write_all(&mut file, conf.as_bytes()).unwrap();
        let log = certs.dir.join("pg.log").display().to_string();
        pg.run("pg_ctl", &["-D", &pg.data.display().to_string(), "-l", &log, "-w", "-t", "20", "start"]);
        pg
    }

    /// Run one of PostgreSQL's programs, as the cluster's owner.
    fn run(&self, program: &str, args: &[&str]) {
        let path = Path::new(PG_BIN).join(program);
        let mut command = match &self.owner {
            Some(owner) => {
                let mut c = Command::new("runuser");
                c.args(["-u", owner, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let out = command.args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        assert!(out.status.success(), "{program} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let path = Path::new(PG_BIN).join("pg_ctl");
        let mut command = match &self.owner {
            Some(owner) => {
                let mut c = Command::new("runuser");
                c.args(["-u", owner, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let _ = command.args(["-D", &data, "-m", "immediate", "-w", "stop"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

#[tokio::test]
async fn postgres_over_tls_with_the_private_ca_and_a_clear_error_without_it() {
    let certs = Certs::new("pg");
    let port = free_port();
    let _pg = Postgres::start(&certs, port);
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");

    // With the CA the default sslmode (prefer) becomes verify-full.
    let pool = connect_postgres(&url, Some(&certs.ca()), 1).await.expect("connects with the CA");
    let (ssl,): (bool,) = sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetch_one(&pool).await.unwrap();
    assert!(ssl, "the session is encrypted");
    pool.close().await;

    let err = connect_postgres(&format!("{url}?sslmode=verify-full"), None, 1).await.expect_err("an unknown CA");
    assert_not_verified(err, "--database-ca-file");
}

/// The service arguments of a client of the NATS server at `url`, trusting `ca`.
fn nats_args(url: &str, ca: Option<PathBuf>) -> ServiceArgs {
    ServiceArgs {
        nats_url: url.into(),
        nats_credentials_file: None,
        nats_user: None,
        nats_password_file: None,
        nats_ca_file: ca,
        redis_url: "redis://127.0.0.1:1".into(),
        redis_ca_file: None,
        database_url: "postgres://127.0.0.1:1/none".into(),
        database_ca_file: None,
        skip_migrations: false,
        prefix: "tlstest".into(),
    }
}
