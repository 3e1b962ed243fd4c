//! Real processes for the tests that kill them: a worker (`orrery-test-worker`, a test
//! game registered) and a gateway (`orrery-test-gateway`), each with this test's prefix,
//! SIGSTOPped and SIGKILLed by pid. Both are killed when their handle drops.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use orrery_client::http::Api;
use orrery_systests::{Env, RELAXED_QUOTAS, SHED_SECRET};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A worker process running rooms of `game` (`turns`, `secrets`, `frontier`).
pub fn worker(env: &Env, game: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_orrery-test-worker"))
        .args(["--game", game])
        .args(env.service_args())
        .args(["--ops-listen", "127.0.0.1:0", "--shed-token", SHED_SECRET])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("orrery-test-worker starts")
}

/// A gateway process on port-0 listeners.
pub struct GatewayProcess {
    child: Child,
    /// The public API and WebSocket.
    pub addr: SocketAddr,
}

impl GatewayProcess {
    pub async fn start(env: &Env) -> GatewayProcess {
        let mut args = env.service_args();
        args.extend(["--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"].map(String::from));
        args.extend(["--jwt-secret-file".to_string(), env.dir.join("jwt-secret").display().to_string()]);
        for (flag, value) in RELAXED_QUOTAS {
            args.extend([flag.to_string(), value.to_string()]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_orrery-test-gateway"))
            .args(args)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("orrery-test-gateway starts");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let bound = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.expect("the gateway's stdout") {
                if let Some(rest) = line.strip_prefix("listening ") {
                    let (public, _ops) = rest.split_once(' ').expect("two addresses");
                    return public.parse::<SocketAddr>().unwrap();
                }
            }
            panic!("the gateway process exited before listening");
        })
        .await
        .expect("the gateway process listens within 20 s");
        // Keep reading its stdout, so that its logs never fill the pipe and block it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        GatewayProcess { child, addr: bound }
    }

    pub fn api(&self) -> Api {
        Api::new(format!("http://{}", self.addr))
    }

    pub fn ws_url(&self) -> String {
        self.api().ws_url()
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id().expect("running") as i32)
    }

    /// [`freeze`] this gateway.
    pub fn freeze(&self) {
        freeze(self.pid());
    }

    /// SIGKILL (a stopped process dies too), and reap it.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("SIGKILL");
    }
}

/// SIGSTOP `pid`, and wait until every thread of the process is stopped: from then on it
/// reads, forwards and answers nothing (a hung process), until it is killed.
pub fn freeze(pid: Pid) {
    kill(pid, Signal::SIGSTOP).expect("SIGSTOP");
    let tasks = format!("/proc/{pid}/task");
    let stopped = || {
        std::fs::read_dir(&tasks).expect("the process's threads").all(|t| {
            let stat = std::fs::read_to_string(t.unwrap().path().join("stat")).unwrap_or_default();
            // `pid (comm) S ...`: the state follows the last parenthesis.
            stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with(['T', 't']))
        })
    };
    let until = std::time::Instant::now() + Duration::from_secs(5);
    while !stopped() {
        assert!(std::time::Instant::now() < until, "the process did not stop");
        std::thread::sleep(Duration::from_micros(200));
    }
}
