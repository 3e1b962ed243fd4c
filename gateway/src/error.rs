//! The one place that maps gateway errors to HTTP statuses and WebSocket close codes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use orrery_common::auth::AuthError;
use orrery_common::protocol::close;

/// An HTTP request failed (API calls and refused upgrades).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Unauthorized(#[from] AuthError),
    #[error("origin {0:?} is not allowed")]
    ForbiddenOrigin(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::ForbiddenOrigin(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(e: redis::RedisError) -> Self {
        ApiError::Internal(format!("redis: {e}"))
    }
}

impl From<crate::matchmaking::MatchmakingError> for ApiError {
    fn from(e: crate::matchmaking::MatchmakingError) -> Self {
        use crate::matchmaking::MatchmakingError as M;
        match e {
            M::UnknownMode(_) | M::BadRegion | M::PartyTooLarge(_) => ApiError::BadRequest(e.to_string()),
            M::MemberBusy(_) => ApiError::Conflict(e.to_string()),
            M::Redis(_) | M::Db(_) | M::Script(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl ApiError {
    /// The code a WebSocket client gets for the same failure (`ServerMsg::Error`).
    pub fn error_code(&self) -> orrery_common::protocol::client::ErrorCode {
        use orrery_common::protocol::client::ErrorCode;
        match self {
            ApiError::BadRequest(_) | ApiError::Conflict(_) => ErrorCode::QueueRefused,
            ApiError::NotFound(_) => ErrorCode::RoomNotFound,
            ApiError::Forbidden(_) => ErrorCode::JoinRefused,
            ApiError::Unavailable(_) => ErrorCode::RoomUnavailable,
            _ => ErrorCode::Internal,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(self, ApiError::Internal(_)) {
            tracing::error!(error = %self, "request failed");
        }
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), Json(body)).into_response()
    }
}

/// Why the gateway ended a WebSocket session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client closed or left.
    Normal,
    /// The gateway is draining.
    GoingAway,
    /// A message above the size limit.
    TooLarge,
    /// A frame that is not a v1 `ClientMsg`.
    Malformed,
    /// Over the message rate.
    RateLimited,
    /// Kicked from the room.
    Kicked,
    /// Could not keep up with its frames.
    SlowConsumer,
    /// Silent for longer than the idle timeout.
    IdleTimeout,
    /// The same player connected again.
    Replaced,
    /// The socket failed underneath.
    Transport,
}

impl SessionEnd {
    /// Every variant, so the disconnect counter can export each reason from the start.
    pub const ALL: [SessionEnd; 10] = [
        SessionEnd::Normal,
        SessionEnd::GoingAway,
        SessionEnd::TooLarge,
        SessionEnd::Malformed,
        SessionEnd::RateLimited,
        SessionEnd::Kicked,
        SessionEnd::SlowConsumer,
        SessionEnd::IdleTimeout,
        SessionEnd::Replaced,
        SessionEnd::Transport,
    ];

    /// The close code sent to the client (see `docs/protocol.md`).
    pub fn close_code(self) -> u16 {
        match self {
            SessionEnd::Normal | SessionEnd::Transport => close::NORMAL,
            SessionEnd::GoingAway => close::GOING_AWAY,
            SessionEnd::TooLarge => close::TOO_LARGE,
            SessionEnd::Malformed => close::MALFORMED,
            SessionEnd::RateLimited => close::RATE_LIMITED,
            SessionEnd::Kicked => close::KICKED,
            SessionEnd::SlowConsumer => close::SLOW_CONSUMER,
            SessionEnd::IdleTimeout => close::IDLE_TIMEOUT,
            SessionEnd::Replaced => close::REPLACED,
        }
    }

    /// The metric label and close reason text.
    pub fn label(self) -> &'static str {
        match self {
            SessionEnd::Normal => "normal",
            SessionEnd::GoingAway => "going_away",
            SessionEnd::TooLarge => "too_large",
            SessionEnd::Malformed => "malformed",
            SessionEnd::RateLimited => "rate_limited",
            SessionEnd::Kicked => "kicked",
            SessionEnd::SlowConsumer => "slow_consumer",
            SessionEnd::IdleTimeout => "idle_timeout",
            SessionEnd::Replaced => "replaced",
            SessionEnd::Transport => "transport",
        }
    }
}
