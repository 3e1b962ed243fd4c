//! Child processes started by `up` and `ops-check`: logs to files, readiness probes, ordered
//! SIGTERM, and the plain HTTP GET both use to talk to them.

use anyhow::bail;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running child and where its output goes.
pub struct Proc {
    pub name: String,
    pub log: PathBuf,
    child: Child,
}

impl Proc {
    /// Start `cmd`, logging stdout and stderr to `logs/<name>.log`.
    pub fn spawn(name: &str, mut cmd: Command, logs: &Path) -> anyhow::Result<Self> {
        let log = logs.join(format!("{name}.log"));
        let file = std::fs::File::create(&log)?;
        let child = cmd.stdout(file.try_clone()?).stderr(file).stdin(Stdio::null()).spawn()?;
        Ok(Self { name: name.to_owned(), log, child })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Exited already? With its status.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGTERM, then wait up to `grace`, then SIGKILL. Returns whether it exited cleanly.
    pub fn stop(&mut self, grace: Duration) -> bool {
        if let Some(status) = self.exited() {
            return status.success();
        }
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let until = Instant::now() + grace;
        while Instant::now() < until {
            if let Some(status) = self.exited() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }

    /// SIGKILL now (a crash, for failover drills), and reap it.
    pub fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Wait for it to exit by itself.
    pub fn wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

/// Poll `GET /readyz` on `port` until it answers 200, or fail after `limit`.
pub fn wait_ready(proc: &mut Proc, port: u16, limit: Duration) -> anyhow::Result<()> {
    let until = Instant::now() + limit;
    loop {
        if let Some(status) = proc.exited() {
            bail!("{} exited with {status} before it was ready; see {}", proc.name, proc.log.display());
        }
        if http_status(port, "/readyz") == Some(200) {
            return Ok(());
        }
        if Instant::now() > until {
            bail!("{} not ready on port {port} after {limit:?}; see {}", proc.name, proc.log.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The status code of a plain HTTP/1.0 GET on 127.0.0.1 (a readiness probe, nothing more).
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 16];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// A plain HTTP/1.0 GET on 127.0.0.1: the status code and the body (the server closes the
/// connection after an HTTP/1.0 answer, so the body is everything after the head).
pub fn http_get(port: u16, path_and_query: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let status = text.get(9..12)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Some((status, body))
}
