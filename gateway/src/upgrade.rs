//! Everything checked before a WebSocket upgrade: origin, subprotocol, token.
//!
//! A request that fails here never becomes a socket: 403 for a foreign `Origin`,
//! 400 without the `orrery.v1` subprotocol, 401 for a missing or bad token.

use crate::error::ApiError;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use orrery_common::auth::{AuthError, Identity, Verifier};
use orrery_common::protocol::client::{SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX};

/// Browser origins allowed to connect.
#[derive(Clone, Debug)]
pub struct OriginPolicy {
    any: bool,
    allowed: Vec<String>,
}

impl OriginPolicy {
    pub fn new(allowed: &[String]) -> Self {
        let allowed: Vec<String> = allowed.iter().map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect();
        Self { any: allowed.iter().any(|o| o == "*"), allowed }
    }

    /// No `Origin` (a native client) is allowed; a browser's must be on the list.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(origin) = headers.get(ORIGIN) else { return Ok(()) };
        let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
        if self.any || self.allowed.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
            Ok(())
        } else {
            Err(ApiError::ForbiddenOrigin(origin.to_owned()))
        }
    }
}

/// Check the subprotocol and the token; return who is connecting.
pub fn authenticate(headers: &HeaderMap, verifier: &Verifier) -> Result<Identity, ApiError> {
    let offered: Vec<&str> =
        headers.get_all(SEC_WEBSOCKET_PROTOCOL).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim).collect();
    if !offered.contains(&SUBPROTOCOL) {
        return Err(ApiError::BadRequest(format!("the WebSocket subprotocol {SUBPROTOCOL:?} is required")));
    }
    let token =
        bearer(headers).or_else(|| offered.iter().find_map(|p| p.strip_prefix(TOKEN_SUBPROTOCOL_PREFIX))).ok_or(AuthError::Missing)?;
    Ok(verifier.verify(token)?)
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_matched_exactly_and_absent_ones_pass() {
        let p = OriginPolicy::new(&["http://localhost:8080".into()]);
        let mut h = HeaderMap::new();
        assert!(p.check(&h).is_ok());
        h.insert(ORIGIN, "http://localhost:8080".parse().unwrap());
        assert!(p.check(&h).is_ok());
        h.insert(ORIGIN, "http://evil.example".parse().unwrap());
        assert!(matches!(p.check(&h), Err(ApiError::ForbiddenOrigin(_))));
        assert!(OriginPolicy::new(&["*".into()]).check(&h).is_ok());
    }
}
