//! The gateway's HTTP API from the client side: guest tokens, room creation, invite codes,
//! metrics.

use crate::{Error, Result};
use orrery_common::RoomId;
use serde::Deserialize;
use serde_json::json;

/// A guest token and who it names.
#[derive(Clone, Debug, Deserialize)]
pub struct GuestToken {
    pub token: String,
    pub player: String,
    pub name: String,
    pub expires_in: u64,
}

/// What an invite code opens (`GET /v1/invites/{code}`): the room and its mode, which names
/// its game.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Invite {
    pub room: u64,
    pub mode: String,
}

/// HTTP calls against one gateway (`http://host:port`).
#[derive(Clone, Debug)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: impl Into<String>) -> Self {
        Self { base: base.into().trim_end_matches('/').to_owned(), http: reqwest::Client::new() }
    }

    /// The WebSocket URL of this gateway.
    pub fn ws_url(&self) -> String {
        format!("{}/v1/ws", self.base.replacen("http", "ws", 1))
    }

    /// `POST /v1/auth/guest`.
    pub async fn guest(&self, name: Option<&str>) -> Result<GuestToken> {
        let resp = self.http.post(format!("{}/v1/auth/guest", self.base)).json(&json!({ "name": name })).send().await?;
        Ok(checked(resp).await?.json().await?)
    }

    /// `POST /v1/rooms` with the given settings (`mode`, `max_players`, `tick_hz`, `region`).
    pub async fn create_room(&self, token: &str, settings: serde_json::Value) -> Result<RoomId> {
        #[derive(Deserialize)]
        struct Created {
            room: u64,
        }
        let resp = self.http.post(format!("{}/v1/rooms", self.base)).bearer_auth(token).json(&settings).send().await?;
        let created: Created = checked(resp).await?.json().await?;
        Ok(RoomId(created.room))
    }

    /// `POST /v1/rooms` for a private room (`"private": true` added to `settings`): the room
    /// and its invite code.
    pub async fn create_private_room(&self, token: &str, mut settings: serde_json::Value) -> Result<(RoomId, String)> {
        #[derive(Deserialize)]
        struct Created {
            room: u64,
            invite_code: String,
        }
        settings["private"] = json!(true);
        let resp = self.http.post(format!("{}/v1/rooms", self.base)).bearer_auth(token).json(&settings).send().await?;
        let created: Created = checked(resp).await?.json().await?;
        Ok((RoomId(created.room), created.invite_code))
    }

    /// `GET /v1/invites/{code}`: which room and game a code opens (admits nobody).
    pub async fn invite(&self, token: &str, code: &str) -> Result<Invite> {
        let resp = self.http.get(format!("{}/v1/invites/{code}", self.base)).bearer_auth(token).send().await?;
        Ok(checked(resp).await?.json().await?)
    }

    /// `GET /metrics`: the gateway's Prometheus metrics as text (the operators' endpoint on
    /// the gateway's ops listener: build this `Api` with that base URL; the load generator
    /// reads the gateway's own timings from it).
    pub async fn metrics(&self) -> Result<String> {
        let resp = self.http.get(format!("{}/metrics", self.base)).send().await?;
        Ok(checked(resp).await?.text().await?)
    }
}

async fn checked(resp: reqwest::Response) -> Result<reqwest::Response> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    Err(Error::Status { status, body })
}
