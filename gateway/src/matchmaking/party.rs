//! Parties, formed with every member's consent: a player creates a party (`POST
//! /v1/parties`, answered with a code), others join it with the code (`POST
//! /v1/parties/join`), anyone leaves it (`DELETE /v1/parties`; the leader's leaving
//! disbands it), and only its leader queues it (a queue request of the leader queues the
//! whole party). Nobody can put another player in a party, or in a queue.
//!
//! A party lives in Redis (`mm:party:<code>`, `mm:party_of:<player>`), changed only by
//! `party.lua`, atomically; it expires [`PARTY_TTL_SECS`] after its last change or look-up.

use crate::App;
use crate::api::authenticate_http;
use crate::error::ApiError;
use crate::validate;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use orrery_common::PlayerId;
use orrery_common::names::Names;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The party script.
pub const PARTY_LUA: &str = include_str!("party.lua");

/// A party outlives its last change or look-up by this.
pub const PARTY_TTL_SECS: u64 = 3600;

/// A party as its members see it (the answer of every party endpoint).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// What others join it with.
    pub code: String,
    /// Who queues it.
    pub leader: PlayerId,
    /// Everyone in it, the leader first, then in the order they joined.
    pub members: Vec<PlayerId>,
}

/// Why a party request failed.
#[derive(Debug, thiserror::Error)]
pub enum PartyError {
    #[error("you are already in party {0}: leave it first")]
    InAnotherParty(String),
    #[error("no party has this code")]
    UnknownCode,
    #[error("you are in no party")]
    NoParty,
    #[error("the party is full ({} players)", super::MAX_PARTY)]
    Full,
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("unexpected answer from the party script: {0}")]
    Script(String),
}

impl From<PartyError> for ApiError {
    fn from(e: PartyError) -> Self {
        match e {
            PartyError::InAnotherParty(_) | PartyError::Full => ApiError::Conflict(e.to_string()),
            PartyError::UnknownCode | PartyError::NoParty => ApiError::NotFound(e.to_string()),
            PartyError::Redis(_) | PartyError::Script(_) => ApiError::Internal(e.to_string()),
        }
    }
}

/// Parties in Redis.
pub struct Parties {
    redis: ConnectionManager,
    names: Names,
    script: redis::Script,
}

impl Parties {
    pub fn new(redis: ConnectionManager, names: Names) -> Self {
        Self { redis, names, script: redis::Script::new(PARTY_LUA) }
    }

    async fn run(&self, op: &str, player: PlayerId, extra: &[String]) -> Result<Vec<String>, PartyError> {
        let mut inv = self.script.prepare_invoke();
        inv.arg(self.names.prefix()).arg(op).arg(player.to_string()).arg(PARTY_TTL_SECS);
        for a in extra {
            inv.arg(a);
        }
        let mut conn = self.redis.clone();
        Ok(inv.invoke_async(&mut conn).await?)
    }

    /// A new party led by `player`.
    pub async fn create(&self, player: PlayerId) -> Result<Party, PartyError> {
        for _ in 0..5 {
            match self.run("create", player, &[validate::new_code()]).await?.as_slice() {
                [ok, _] if ok == "ok" => return self.of(player).await?.ok_or(PartyError::NoParty),
                [busy, code] if busy == "busy" => return Err(PartyError::InAnotherParty(code.clone())),
                [taken] if taken == "taken" => continue,
                other => return Err(PartyError::Script(format!("{other:?}"))),
            }
        }
        Err(PartyError::Script("no free party code after 5 draws".into()))
    }

    /// `player` joins the party of `code` (case-insensitive).
    pub async fn join(&self, player: PlayerId, code: &str) -> Result<Party, PartyError> {
        let code = validate::code(code).ok_or(PartyError::UnknownCode)?;
        match self.run("join", player, &[code, super::MAX_PARTY.to_string()]).await?.as_slice() {
            [ok, _] if ok == "ok" => self.of(player).await?.ok_or(PartyError::NoParty),
            [busy, code] if busy == "busy" => Err(PartyError::InAnotherParty(code.clone())),
            [none] if none == "none" => Err(PartyError::UnknownCode),
            [full] if full == "full" => Err(PartyError::Full),
            other => Err(PartyError::Script(format!("{other:?}"))),
        }
    }

    /// `player` leaves their party (disbanding it when they lead it); false when in none.
    pub async fn leave(&self, player: PlayerId) -> Result<bool, PartyError> {
        match self.run("leave", player, &[]).await?.as_slice() {
            [left, _] if left == "left" || left == "disbanded" => Ok(true),
            [none] if none == "none" => Ok(false),
            other => Err(PartyError::Script(format!("{other:?}"))),
        }
    }

    /// The party `player` is in.
    pub async fn of(&self, player: PlayerId) -> Result<Option<Party>, redis::RedisError> {
        let mut conn = self.redis.clone();
        let Some(code): Option<String> = redis::cmd("GET").arg(self.names.mm_party_of(player)).query_async(&mut conn).await? else {
            return Ok(None);
        };
        let (leader, members): (Option<String>, Option<String>) =
            redis::cmd("HMGET").arg(self.names.mm_party(&code)).arg("leader").arg("members").query_async(&mut conn).await?;
        let (Some(leader), Some(members)) = (leader.and_then(|l| l.parse().ok()), members) else { return Ok(None) };
        let members = members.split(',').filter_map(|m| m.parse().ok()).collect();
        Ok(Some(Party { code, leader, members }))
    }
}

/// The party routes (merged into the gateway's router).
pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/v1/parties", post(create).get(mine).delete(leave)).route("/v1/parties/join", post(join))
}

/// Body of `POST /v1/parties/join`.
#[derive(Debug, Deserialize)]
pub struct JoinParty {
    pub code: String,
}

/// `POST /v1/parties`: a new party led by the caller; 201 with the party.
pub async fn create(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    let party = app.matchmaker.parties().create(identity.player).await?;
    Ok((StatusCode::CREATED, Json(party)).into_response())
}

/// `POST /v1/parties/join` with `{"code"}`: join a party; the party.
pub async fn join(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Json<Party>, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    let req: JoinParty = validate::json(&body)?;
    if validate::code(&req.code).is_none() {
        return Err(ApiError::BadRequest(format!(
            "code must be {} of {}",
            validate::CODE_LEN,
            String::from_utf8_lossy(validate::CODE_ALPHABET)
        )));
    }
    Ok(Json(app.matchmaker.parties().join(identity.player, &req.code).await?))
}

/// `GET /v1/parties`: the caller's party, 404 when in none.
pub async fn mine(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Json<Party>, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    let party = app.matchmaker.parties().of(identity.player).await.map_err(PartyError::from)?;
    Ok(Json(party.ok_or(PartyError::NoParty)?))
}

/// `DELETE /v1/parties`: leave the party (its leader disbands it); `{"left": bool}`.
pub async fn leave(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Json<serde_json::Value>, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    let left = app.matchmaker.parties().leave(identity.player).await?;
    Ok(Json(serde_json::json!({ "left": left })))
}
