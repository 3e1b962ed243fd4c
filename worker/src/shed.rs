//! `POST /v1/shed?rooms=N` on the ops port: hand N rooms to the other workers without
//! stopping this one — the same drain as on SIGTERM (final snapshot, lease released with
//! a wake-up), and this worker leaves those rooms alone for a while.
//!
//! Shedding moves rooms (a short pause for their players), so it takes a credential:
//! `Authorization: Bearer <secret>` with the secret of `--shed-token-file`. Without it, or
//! with a wrong one, 401; a worker configured without a secret refuses every call.

use crate::App;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct ShedQuery {
    rooms: usize,
}

/// What the shed route needs: the rooms and the secret.
#[derive(Clone)]
struct Shed {
    app: Arc<App>,
    secret: Option<Arc<str>>,
}

/// The shed route, to merge into the ops router. `secret`: the bearer secret calls must carry.
pub fn router(app: Arc<App>, secret: Option<String>) -> axum::Router {
    axum::Router::new().route("/v1/shed", post(shed)).with_state(Shed { app, secret: secret.map(Into::into) })
}

async fn shed(State(s): State<Shed>, headers: HeaderMap, Query(q): Query<ShedQuery>) -> Response {
    if !authorized(s.secret.as_deref(), &headers) {
        s.app.metrics.shed_refused.inc();
        let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
        return (StatusCode::UNAUTHORIZED, challenge, Json(serde_json::json!({ "error": "a valid bearer secret is required" })))
            .into_response();
    }
    let rooms = s.app.owned.shed(q.rooms);
    tracing::info!(rooms = rooms.len(), "shedding load");
    Json(serde_json::json!({ "shed": rooms.iter().map(|r| r.get()).collect::<Vec<_>>() })).into_response()
}

/// The request carries `Bearer <secret>`; compared in constant time.
fn authorized(secret: Option<&str>, headers: &HeaderMap) -> bool {
    let Some(secret) = secret else { return false };
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    let Some(given) = given else { return false };
    given.len() == secret.len() && given.bytes().zip(secret.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::authorized;
    use axum::http::{HeaderMap, header};

    fn bearer(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn only_the_configured_secret_is_authorized() {
        let secret = Some("0123456789abcdef");
        assert!(authorized(secret, &bearer("Bearer 0123456789abcdef")));
        assert!(!authorized(secret, &HeaderMap::new()));
        assert!(!authorized(secret, &bearer("Bearer 0123456789abcdeX")));
        assert!(!authorized(secret, &bearer("Bearer 0123456789abcdef0")));
        assert!(!authorized(secret, &bearer("Basic 0123456789abcdef")));
        assert!(!authorized(None, &bearer("Bearer 0123456789abcdef")), "no secret configured: nobody may shed");
    }
}
