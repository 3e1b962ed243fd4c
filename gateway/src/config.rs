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
    /// Address of the HTTP API, the WebSocket endpoint and the ops endpoints.
    #[arg(long, env = "ORRERY_GATEWAY_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
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
