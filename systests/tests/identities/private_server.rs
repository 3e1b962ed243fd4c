//! A server process of the test's own (nats-server, redis-server) on a free port of
//! 127.0.0.1, with its files in a temp dir; killed when dropped.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateServer {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl PrivateServer {
    /// Run `program` with `args(port, dir)` and wait (at most 10 s) until it accepts
    /// connections on the port. Its output goes to `server.log` in the dir.
    pub fn start(program: &str, args: impl FnOnce(u16, &Path) -> Vec<String>) -> PrivateServer {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("orrery-private-{port}-{:x}", rand::random::<u32>()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let child = Command::new(program)
            .args(args(port, &dir))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let server = PrivateServer { port, dir, child };
        let until = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "{program} does not listen on {port}: {}", server.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// What the server wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
