//! The HTTP server every binary runs its routers on: HTTP/1.1 with a header-read timeout
//! (a client that trickles its request head is cut off, so slow-header connections cannot
//! pile up), a request body limit sized to small JSON APIs (413 above it), `TCP_NODELAY`,
//! the peer address as axum's `ConnectInfo<SocketAddr>`, WebSocket upgrades and a
//! graceful shutdown.
//!
//! `axum::serve` exposes none of the timeouts, so the connection loop is hyper's own.

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

/// What a connection and a request may cost (`--header-read-timeout-ms`, `--max-body-bytes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// The whole request head (line and headers) must arrive within this time.
    pub header_read_timeout: Duration,
    /// Largest request body a handler reads.
    pub max_body_bytes: usize,
}

impl HttpLimits {
    /// Defaults for Orrery's small JSON APIs.
    pub const DEFAULT: HttpLimits = HttpLimits { header_read_timeout: Duration::from_secs(5), max_body_bytes: 4096 };
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The flags of [`HttpLimits`], shared by the gateway and the worker.
#[derive(clap::Args, Clone, Debug)]
pub struct HttpArgs {
    /// Close a connection whose request line and headers have not all arrived within this time.
    #[arg(long, env = "ORRERY_HEADER_READ_TIMEOUT_MS", default_value_t = HttpLimits::DEFAULT.header_read_timeout.as_millis() as u64)]
    pub header_read_timeout_ms: u64,
    /// Largest HTTP request body accepted, in bytes (413 above it).
    #[arg(long, env = "ORRERY_MAX_BODY_BYTES", default_value_t = HttpLimits::DEFAULT.max_body_bytes)]
    pub max_body_bytes: usize,
}

impl HttpArgs {
    pub fn limits(&self) -> HttpLimits {
        HttpLimits { header_read_timeout: Duration::from_millis(self.header_read_timeout_ms.max(1)), max_body_bytes: self.max_body_bytes }
    }
}

/// Serve `router` on `listener` until `shutdown` resolves; then stop accepting and wait
/// for the requests in flight (upgraded sockets are no longer HTTP and are not waited for).
pub async fn serve(listener: TcpListener, router: Router, limits: HttpLimits, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let router = router.layer(DefaultBodyLimit::max(limits.max_body_bytes));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    // Each connection holds a receiver: a value sent asks it to finish its request and
    // close; the sender sees every receiver gone when the last connection ended.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Frames are small and must leave at once: Nagle's algorithm would hold one back
        // until the client acknowledged the previous (tens of milliseconds with delayed ACKs).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req)
        });
        let conn = builder.serve_connection(TokioIo::new(tcp), service).with_upgrades();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            tokio::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(());
    stop_tx.closed().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::routing::post;
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn server(limits: HttpLimits) -> SocketAddr {
        let router = Router::new().route("/echo", post(|body: Bytes| async move { body.len().to_string() }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, router, limits, std::future::pending()));
        addr
    }

    /// Read until the server closes the connection (or `limit` passes): what it sent, and whether it closed.
    async fn read_until_closed(s: &mut tokio::net::TcpStream, limit: Duration) -> (String, bool) {
        let mut out = Vec::new();
        let mut buf = [0u8; 1024];
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
                Err(_) => return (String::from_utf8_lossy(&out).into(), false),
                Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into(), true),
                Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[tokio::test]
    async fn a_connection_trickling_its_headers_is_closed_after_the_timeout() {
        let addr = server(HttpLimits { header_read_timeout: Duration::from_millis(300), ..HttpLimits::DEFAULT }).await;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        let started = tokio::time::Instant::now();
        // One header byte every 100 ms: always active, never done.
        let trickle = async {
            for _ in 0..100 {
                if s.write_all(b"X").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(3), trickle).await;
        let (_, closed) = read_until_closed(&mut s, Duration::from_millis(500)).await;
        assert!(closed, "a slow-header connection is still open after {:?}", started.elapsed());
        assert!(started.elapsed() < Duration::from_secs(3), "closed only after {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_body_above_the_limit_is_refused_with_413_and_one_below_is_served() {
        let addr = server(HttpLimits { max_body_bytes: 1024, ..HttpLimits::DEFAULT }).await;
        for (len, status) in [(1024, "200"), (1025, "413"), (2 << 20, "413")] {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let head = format!("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
            s.write_all(head.as_bytes()).await.unwrap();
            // The server may answer (and close) before reading the whole body.
            let _ = s.write_all(&vec![b'a'; len]).await;
            let (answer, _) = read_until_closed(&mut s, Duration::from_secs(5)).await;
            assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{len} bytes: {answer}");
        }
    }
}
