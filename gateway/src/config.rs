//! The gateway's configuration: flags with `ORRERY_*` environment fallbacks, validated at start.

use orrery_common::config::{AuthArgs, ServiceArgs, TelemetryArgs};
use orrery_common::protocol::client::Limits;
use std::net::SocketAddr;
use std::time::Duration;

/// `orrery-gateway` flags.
#[derive(clap::Parser, Clone, Debug)]
#[command(name = "orrery-gateway", version, about = "Orrery WebSocket gateway: authenticates players and routes them to rooms")]
pub struct Config {
    #[command(flatten)]
    pub services: ServiceArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
    /// Address of the HTTP API and the WebSocket endpoint (and `/healthz`, `/readyz`).
    #[arg(long, env = "ORRERY_GATEWAY_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// Address of the ops endpoints: `/metrics`, `/healthz`, `/readyz`. Keep it off the public network.
    #[arg(long, env = "ORRERY_GATEWAY_OPS_LISTEN", default_value = "0.0.0.0:9090")]
    pub ops_listen: SocketAddr,
    #[command(flatten)]
    pub http: orrery_common::http_serve::HttpArgs,
    /// Browser origins allowed to open a WebSocket, comma separated; `*` allows any.
    /// Clients that send no `Origin` (native clients, bots) are always allowed.
    #[arg(
        long,
        env = "ORRERY_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = "http://localhost:8080,http://127.0.0.1:8080,http://localhost:8081,http://127.0.0.1:8081"
    )]
    pub allowed_origins: Vec<String>,
    /// Issue guest tokens on `POST /v1/auth/guest` (needs the HS256 secret).
    #[arg(long, env = "ORRERY_GUEST_TOKENS", default_value_t = true, action = clap::ArgAction::Set)]
    pub guest_tokens: bool,
    /// Lifetime of a guest token.
    #[arg(long, env = "ORRERY_GUEST_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub guest_token_ttl_secs: u64,
    /// Largest message accepted from a client, in bytes.
    #[arg(long, env = "ORRERY_MAX_MESSAGE_BYTES", default_value_t = 1024)]
    pub max_message_bytes: u32,
    /// Sustained messages per second accepted from a client.
    #[arg(long, env = "ORRERY_MESSAGES_PER_SECOND", default_value_t = 60)]
    pub messages_per_second: u16,
    /// Burst above the sustained rate.
    #[arg(long, env = "ORRERY_MESSAGE_BURST", default_value_t = 120)]
    pub message_burst: u16,
    /// Frames queued per socket before frames are dropped for it.
    #[arg(long, env = "ORRERY_SOCKET_QUEUE", default_value_t = 64)]
    pub socket_queue: usize,
    /// Close a socket that sent nothing (not even a ping) for this long.
    #[arg(long, env = "ORRERY_IDLE_TIMEOUT_SECS", default_value_t = 30)]
    pub idle_timeout_secs: u64,
    /// How long a draining gateway waits for its sockets to close.
    #[arg(long, env = "ORRERY_DRAIN_GRACE_MS", default_value_t = 5000)]
    pub drain_grace_ms: u64,
    /// Delay a client is told to wait before reconnecting elsewhere on drain.
    #[arg(long, env = "ORRERY_RECONNECT_AFTER_MS", default_value_t = 100)]
    pub reconnect_after_ms: u32,
    /// Serve the built web page from this directory at `/` (same origin as the API).
    /// Unset: the gateway serves only the API.
    #[arg(long, env = "ORRERY_WEB_DIR")]
    pub web_dir: Option<std::path::PathBuf>,
    /// Other gateways' base URLs the page may reconnect through, comma separated
    /// (served to the page as `/config.json`).
    #[arg(long, env = "ORRERY_WEB_PEERS", value_delimiter = ',')]
    pub web_peers: Vec<String>,
    #[command(flatten)]
    pub matchmaking: MatchmakingArgs,
    #[command(flatten)]
    pub quotas: crate::quota::QuotaArgs,
}

/// Matchmaking rules (see `docs/MATCHMAKING.md`).
#[derive(clap::Args, Clone, Debug)]
pub struct MatchmakingArgs {
    /// Modes players may queue for, with their room sizes: `mode=min-max`, comma separated.
    /// `min` must be the game's own minimum for the mode (arena 3, arena-duel 2).
    #[arg(long, env = "ORRERY_MM_MODES", value_delimiter = ',', default_value = "arena=3-5,arena-duel=2-4", value_parser = crate::matchmaking::parse_mode_spec)]
    pub mm_modes: Vec<crate::matchmaking::ModeSpec>,
    /// A ticket's region preference relaxes (any region will do) after this wait.
    #[arg(long, env = "ORRERY_MM_REGION_RELAX_MS", default_value_t = 10_000)]
    pub mm_region_relax_ms: u64,
    /// Rating window of a fresh ticket: the ratings in a room spread at most this much.
    #[arg(long, env = "ORRERY_MM_RATING_WINDOW", default_value_t = 100)]
    pub mm_rating_window: u32,
    /// How much a ticket's rating window widens per second of waiting.
    #[arg(long, env = "ORRERY_MM_RATING_WIDEN_PER_SEC", default_value_t = 50)]
    pub mm_rating_widen_per_sec: u32,
    /// Each gateway runs a placement step per mode at least this often (and at once after
    /// a ticket is queued), so waiting-time relaxations take effect.
    #[arg(long, env = "ORRERY_MM_STEP_MS", default_value_t = 200)]
    pub mm_step_ms: u64,
    /// Oldest tickets a placement step looks at.
    #[arg(long, env = "ORRERY_MM_SCAN", default_value_t = 1000)]
    pub mm_scan: u32,
    /// How long after its creation a matchmade room still takes late joiners. Keep it
    /// below the game's countdown (arena: 3 s) so they are seated before the start.
    #[arg(long, env = "ORRERY_MM_FILL_WINDOW_MS", default_value_t = 2000)]
    pub mm_fill_window_ms: u64,
    /// A ticket not placed within this time is dropped (HTTP clients refresh it by polling).
    #[arg(long, env = "ORRERY_MM_TICKET_TTL_SECS", default_value_t = 300)]
    pub mm_ticket_ttl_secs: u64,
    /// Pre-created room ids kept per mode for the placement step.
    #[arg(long, env = "ORRERY_MM_POOL", default_value_t = 32)]
    pub mm_pool: u32,
    /// Tick rate of matchmade rooms.
    #[arg(long, env = "ORRERY_MM_TICK_HZ", default_value_t = 30)]
    pub mm_tick_hz: u16,
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--max-message-bytes must be between 64 and 65536")]
    MessageSize,
    #[error("--messages-per-second and --message-burst must be at least 1")]
    Rate,
    #[error("--socket-queue must be at least 4")]
    Queue,
    #[error(transparent)]
    Keys(#[from] orrery_common::auth::KeyError),
    #[error("--mm-modes: at least one mode is needed")]
    NoModes,
    #[error(transparent)]
    WebDir(#[from] crate::web::WebDirError),
    #[error("--mm-step-ms must be between 10 and 10000, --mm-scan at least 1, --mm-pool at least 1, --mm-tick-hz within 5..=60")]
    Matchmaking,
    #[error("--guest-token-ttl-secs is longer than --jwt-max-lifetime-secs: every guest token would be refused")]
    GuestTtl,
}

impl Config {
    /// Check what clap cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(64..=65536).contains(&self.max_message_bytes) {
            return Err(ConfigError::MessageSize);
        }
        if self.messages_per_second == 0 || self.message_burst == 0 {
            return Err(ConfigError::Rate);
        }
        if self.socket_queue < 4 {
            return Err(ConfigError::Queue);
        }
        orrery_common::auth::Verifier::from_args(&self.auth)?;
        if self.guest_tokens && self.guest_token_ttl_secs > self.auth.jwt_max_lifetime_secs {
            return Err(ConfigError::GuestTtl);
        }
        if self.matchmaking.mm_modes.is_empty() {
            return Err(ConfigError::NoModes);
        }
        if let Some(dir) = &self.web_dir {
            crate::web::WebRoot::new(dir, &self.web_peers)?;
        }
        let m = &self.matchmaking;
        if !(10..=10_000).contains(&m.mm_step_ms) || m.mm_scan == 0 || m.mm_pool == 0 || !(5..=60).contains(&m.mm_tick_hz) {
            return Err(ConfigError::Matchmaking);
        }
        Ok(())
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_message_bytes: self.max_message_bytes,
            messages_per_second: self.messages_per_second,
            message_burst: self.message_burst,
        }
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    pub fn drain_grace(&self) -> Duration {
        Duration::from_millis(self.drain_grace_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matchmaking::{ModeLimits, ModeSpec};
    use clap::Parser;

    #[test]
    fn mode_specs_are_parsed_once_by_clap() {
        let config = Config::try_parse_from(["orrery-gateway", "--mm-modes", "arena=3-5, arena-duel=2-2"]).unwrap();
        assert_eq!(
            config.matchmaking.mm_modes,
            vec![
                ModeSpec { mode: "arena".into(), limits: ModeLimits { min: 3, max: 5 } },
                ModeSpec { mode: "arena-duel".into(), limits: ModeLimits { min: 2, max: 2 } },
            ]
        );
        for bad in ["arena", "arena=5-3", "arena=0-2", "arena=2-17", "bad mode=2-3"] {
            let err = Config::try_parse_from(["orrery-gateway", "--mm-modes", bad]).unwrap_err();
            assert!(err.to_string().contains("--mm-modes"), "{bad}: {err}");
        }
    }
}
