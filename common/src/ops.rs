//! The operational endpoints every binary serves on its ops listener — `/healthz`,
//! `/readyz`, `/metrics` — and the shutdown signal. A public port serves only the first two.
//!
//! Ready means: connected to NATS, Redis answers, PostgreSQL answers, and the process
//! is not draining. Draining flips readiness off at once, before anything else stops.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What readiness checks, plus the registry `/metrics` renders.
#[derive(Clone)]
pub struct Ops {
    pub registry: prometheus::Registry,
    pub nats: async_nats::Client,
    pub redis: redis::aio::ConnectionManager,
    pub pg: sqlx::PgPool,
    pub draining: Arc<AtomicBool>,
}

impl Ops {
    /// Why the process is not ready, if it is not.
    pub async fn not_ready(&self) -> Option<String> {
        if self.draining.load(Ordering::SeqCst) {
            return Some("draining".into());
        }
        if self.nats.connection_state() != async_nats::connection::State::Connected {
            return Some("NATS is not connected".into());
        }
        let mut redis = self.redis.clone();
        let ping = redis::cmd("PING");
        let ping = tokio::time::timeout(Duration::from_secs(1), ping.query_async::<String>(&mut redis));
        if !matches!(ping.await, Ok(Ok(_))) {
            return Some("Redis does not answer".into());
        }
        let pg = tokio::time::timeout(Duration::from_secs(1), sqlx::query("SELECT 1").execute(&self.pg));
        if !matches!(pg.await, Ok(Ok(_))) {
            return Some("PostgreSQL does not answer".into());
        }
        None
    }

    /// Start draining: readiness fails from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// `/healthz`, `/readyz`, `/metrics`: the ops listener's routes.
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> axum::Router<S> {
        axum::Router::new().route("/metrics", get(metrics)).with_state(self.clone()).merge(self.health_router())
    }

    /// `/healthz` and `/readyz` alone: what a public port may also answer (a load
    /// balancer's probe), without the metrics.
    pub fn health_router<S: Clone + Send + Sync + 'static>(self) -> axum::Router<S> {
        axum::Router::new().route("/healthz", get(|| async { "ok" })).route("/readyz", get(readyz)).with_state(self)
    }
}

async fn readyz(State(ops): State<Ops>) -> impl IntoResponse {
    match ops.not_ready().await {
        None => (StatusCode::OK, "ready".to_owned()),
        Some(why) => (StatusCode::SERVICE_UNAVAILABLE, why),
    }
}

async fn metrics(State(ops): State<Ops>) -> impl IntoResponse {
    use prometheus::Encoder;
    let mut buf = Vec::new();
    let encoder = prometheus::TextEncoder::new();
    match encoder.encode(&ops.registry.gather(), &mut buf) {
        Ok(()) => ([(header::CONTENT_TYPE, encoder.format_type().to_owned())], buf).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler cannot fail on unix");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
