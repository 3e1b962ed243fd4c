//! The socket's reader: waits for the next client message, player event, drain or
//! slow-consumer verdict, enforces the protocol's limits (size, rate — WebSocket pings
//! included — idle time) and hands
//! each message to [`super::dispatch`]. It returns why the socket ends.

use super::Session;
use super::outbox::Outbound;
use crate::error::SessionEnd;
use crate::inbox::Inbox;
use axum::extract::ws::{Message, WebSocket};
use futures::StreamExt;
use futures::stream::SplitStream;
use orrery_common::protocol::client::{ClientMsg, ServerMsg};
use orrery_common::protocol::{decode, encode};
use tokio::time::Instant;

impl Session {
    /// Read until the socket ends: the client closes or breaks a limit, the hub gives up on
    /// it, a player event ends it, or the gateway drains.
    pub(super) async fn read_until_end(&mut self, ws_rx: &mut SplitStream<Box<WebSocket>>, inbox: &Inbox) -> SessionEnd {
        let idle = self.app.config.idle_timeout();
        let max_message_bytes = self.app.config.max_message_bytes as usize;
        let draining = self.app.draining.clone();
        loop {
            let next = tokio::select! {
                biased;
                _ = draining.cancelled() => {
                    let go_away = ServerMsg::GoAway {
                        reason: "gateway is shutting down".into(),
                        reconnect_after_ms: self.app.config.reconnect_after_ms,
                    };
                    let _ = self.tx.try_push(Outbound::message(encode(&go_away)));
                    break SessionEnd::GoingAway;
                }
                _ = self.slow.cancelled() => break SessionEnd::SlowConsumer,
                event = inbox.next() => {
                    if let Some(end) = Box::pin(self.player_event(event)).await {
                        break end;
                    }
                    continue;
                }
                next = tokio::time::timeout(idle, ws_rx.next()) => next,
            };
            let read_at = std::time::Instant::now();
            let msg = match next {
                Err(_) => break SessionEnd::IdleTimeout,
                Ok(None) => break SessionEnd::Transport,
                Ok(Some(Err(e))) => break classify_read_error(e),
                Ok(Some(Ok(msg))) => msg,
            };
            let bytes = match msg {
                Message::Binary(b) => b,
                Message::Text(_) => break SessionEnd::Malformed,
                Message::Close(_) => break SessionEnd::Normal,
                // Control frames cost what a message costs (each ping makes the gateway write
                // a pong): they take from the same bucket, or a ping flood costs a core.
                Message::Ping(_) | Message::Pong(_) => {
                    if self.bucket.take(Instant::now()) {
                        continue;
                    }
                    self.app.metrics.quota_refusals.with_label_values(&[crate::quota::CONTROL_FRAMES]).inc();
                    break SessionEnd::RateLimited;
                }
            };
            self.app.metrics.messages_in.inc();
            self.app.metrics.bytes_in.inc_by(bytes.len() as u64);
            // The protocol's size limit, checked here on a message read whole (see
            // `socket::WS_LAYER_MAX_MESSAGE`).
            if bytes.len() > max_message_bytes {
                break SessionEnd::TooLarge;
            }
            if !self.bucket.take(Instant::now()) {
                break SessionEnd::RateLimited;
            }
            let Ok(msg) = decode::<ClientMsg>(&bytes) else { break SessionEnd::Malformed };
            if let ClientMsg::Input { seq, .. } = &msg {
                self.newest_input.record(*seq, read_at);
            }
            // Boxed: the rare, heavy paths (join, commands) stay off the resident future of every
            // idle socket and are allocated only while a message is handled.
            if let Some(end) = Box::pin(self.handle(msg)).await {
                break end;
            }
        }
    }
}

/// A read error is either the client breaking the size limit or the transport failing.
fn classify_read_error(e: axum::Error) -> SessionEnd {
    match e.into_inner().downcast::<tungstenite::Error>() {
        Ok(e) if matches!(*e, tungstenite::Error::Capacity(_)) => SessionEnd::TooLarge,
        Ok(e) if matches!(*e, tungstenite::Error::Protocol(_)) => SessionEnd::Malformed,
        _ => SessionEnd::Transport,
    }
}
