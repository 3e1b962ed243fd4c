//! The one place gateway failures become what a client is told.
//!
//! Every domain error of the gateway ([`ApiError`], [`MatchmakingError`], [`OwnerError`])
//! says what kind of failure it is, once: its [`DomainError::error_code`], a [`Code`] (the
//! way quickwit's `ServiceError::error_code()` does). From the code alone come the HTTP
//! status ([`Code::http_status`]) and the WebSocket `ErrorCode` of a `ServerMsg::Error`
//! ([`Code::client_code`]). A socket's end is a [`SessionEnd`], which gives its close code
//! ([`SessionEnd::close_code`]); no failure with a code closes a socket.

use crate::matchmaking::MatchmakingError;
use crate::owner_client::OwnerError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use orrery_common::auth::AuthError;
use orrery_common::protocol::client::ErrorCode;
use orrery_common::protocol::close;

/// What kind of failure an error is, whatever caused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// No token, or a bad one.
    Unauthorized,
    /// A browser origin that is not on the allowlist.
    ForbiddenOrigin,
    /// A request that cannot be served as it is (a bad body or parameter, no subprotocol,
    /// a matchmaking request for an unknown mode or too large a party).
    BadRequest,
    /// Not for this player (a room they were kicked from or not invited to, a kick by
    /// someone else than the creator, a seat the room refused).
    Forbidden,
    /// No such thing (room, invite code, guest tokens when switched off).
    NotFound,
    /// Clashes with the player's state (a party member already queued or playing).
    Conflict,
    /// Over a quota (`crate::quota`); retry after the time the answer names.
    TooManyRequests,
    /// Nobody answered in time (a room between owners); try again shortly.
    Unavailable,
    /// A room has as many spectators as it takes; try again later.
    SpectatorsFull,
    /// Something on our side failed.
    Internal,
}

impl Code {
    /// The HTTP status of a request that failed so.
    pub fn http_status(self) -> StatusCode {
        match self {
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::ForbiddenOrigin | Code::Forbidden => StatusCode::FORBIDDEN,
            Code::BadRequest => StatusCode::BAD_REQUEST,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::Conflict | Code::SpectatorsFull => StatusCode::CONFLICT,
            Code::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code a WebSocket client gets for the same failure (`ServerMsg::Error`). Bad
    /// requests and conflicts reach a socket only from matchmaking, hence `QueueRefused`.
    pub fn client_code(self) -> ErrorCode {
        match self {
            Code::BadRequest | Code::Conflict => ErrorCode::QueueRefused,
            Code::NotFound => ErrorCode::RoomNotFound,
            Code::Forbidden => ErrorCode::JoinRefused,
            Code::Unavailable | Code::TooManyRequests => ErrorCode::RoomUnavailable,
            Code::SpectatorsFull => ErrorCode::SpectatorsFull,
            Code::Unauthorized | Code::ForbiddenOrigin | Code::Internal => ErrorCode::Internal,
        }
    }
}

/// An error of the gateway's domain: it knows its [`Code`].
pub trait DomainError: std::error::Error {
    fn error_code(&self) -> Code;
}

/// What a client is told of an internal failure: never its text (a database's or a
/// service's error, which names tables, values and hosts), which goes to the log.
pub const INTERNAL_MESSAGE: &str = "internal error; try again later";

/// The message a client gets for `e`: its text, or [`INTERNAL_MESSAGE`] for an internal
/// failure, whose text is logged instead.
pub fn client_message(e: &(impl DomainError + ?Sized)) -> String {
    if e.error_code() == Code::Internal {
        tracing::error!(error = %e, "request failed");
        INTERNAL_MESSAGE.to_owned()
    } else {
        e.to_string()
    }
}

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
    #[error(transparent)]
    Matchmaking(#[from] MatchmakingError),
}

impl DomainError for ApiError {
    fn error_code(&self) -> Code {
        match self {
            ApiError::Unauthorized(_) => Code::Unauthorized,
            ApiError::ForbiddenOrigin(_) => Code::ForbiddenOrigin,
            ApiError::BadRequest(_) => Code::BadRequest,
            ApiError::NotFound(_) => Code::NotFound,
            ApiError::Unavailable(_) => Code::Unavailable,
            ApiError::Conflict(_) => Code::Conflict,
            ApiError::Forbidden(_) => Code::Forbidden,
            ApiError::Internal(_) => Code::Internal,
            ApiError::Matchmaking(e) => e.error_code(),
        }
    }
}

impl DomainError for MatchmakingError {
    fn error_code(&self) -> Code {
        match self {
            MatchmakingError::UnknownMode(_)
            | MatchmakingError::BadRegion
            | MatchmakingError::PartyTooLarge(_)
            | MatchmakingError::PartyNotFormed => Code::BadRequest,
            MatchmakingError::MemberBusy(_) => Code::Conflict,
            MatchmakingError::Redis(_) | MatchmakingError::Db(_) | MatchmakingError::Script(_) => Code::Internal,
        }
    }
}

impl DomainError for OwnerError {
    fn error_code(&self) -> Code {
        match self {
            OwnerError::Refused { .. } => Code::Forbidden,
            OwnerError::NoAnswer | OwnerError::Unexpected { .. } => Code::Unavailable,
            OwnerError::SpectatorsFull { .. } => Code::SpectatorsFull,
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": client_message(&self) });
        (self.error_code().http_status(), Json(body)).into_response()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_gets_its_status_and_client_code_from_its_code() {
        let cases: [(&dyn DomainError, StatusCode, ErrorCode); 6] = [
            (&ApiError::Forbidden("kicked".into()), StatusCode::FORBIDDEN, ErrorCode::JoinRefused),
            (&ApiError::NotFound("no such code".into()), StatusCode::NOT_FOUND, ErrorCode::RoomNotFound),
            (&MatchmakingError::MemberBusy("ada".into()), StatusCode::CONFLICT, ErrorCode::QueueRefused),
            (&OwnerError::Refused { reason: "full".into() }, StatusCode::FORBIDDEN, ErrorCode::JoinRefused),
            (&OwnerError::NoAnswer, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::RoomUnavailable),
            (&OwnerError::SpectatorsFull { limit: 2 }, StatusCode::CONFLICT, ErrorCode::SpectatorsFull),
        ];
        for (e, status, client) in cases {
            assert_eq!((e.error_code().http_status(), e.error_code().client_code()), (status, client), "{e}");
        }
        let wrapped = ApiError::from(MatchmakingError::BadRegion);
        assert_eq!(wrapped.error_code(), Code::BadRequest, "a wrapped error keeps its code");
    }

    #[test]
    fn internal_failures_tell_the_client_nothing_of_their_cause() {
        let db = ApiError::Internal("database: invalid byte sequence for encoding \"UTF8\": 0x00".into());
        assert_eq!(client_message(&db), INTERNAL_MESSAGE);
        let wrapped = ApiError::from(MatchmakingError::Script("HSET mm:ticket".into()));
        assert_eq!(client_message(&wrapped), INTERNAL_MESSAGE);
        assert_eq!(client_message(&ApiError::BadRequest("mode must be …".into())), "mode must be …");
    }
}
