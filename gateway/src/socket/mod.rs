//! One player's WebSocket, one job per file.
//!
//! [`run`] serves a socket from upgrade to close (`serve`, here). `reader.rs` reads client
//! messages and enforces the protocol's limits (size, rate from `rate_limit.rs`, idle
//! time), closing only its own socket with the code [`SessionEnd::close_code`] gives;
//! `dispatch.rs` routes each message and player event; `membership.rs` joins, leaves and
//! resyncs the socket's room; `watch.rs` watches a room without a seat (a spectator);
//! `writer.rs` drains the socket's [`outbox`], which the hub fills with frames, and times
//! the input [`pipeline`]; it is polled in the socket's one task, beside the reader, and
//! sends the close frame once the reading ends. The hub's slow-consumer verdict comes
//! through the outbox too ([`outbox::Outbox::give_up`]).

mod conn;
mod dispatch;
mod membership;
pub mod outbox;
pub mod pipeline;
mod rate_limit;
mod reader;
mod watch;
mod writer;

use crate::App;
use crate::error::{DomainError, SessionEnd};
use crate::hub::SessionId;
use crate::quota::sockets::SocketPermit;
use axum::extract::ws::WebSocket;
use conn::Conn;
use orrery_common::auth::Identity;
use orrery_common::protocol::client::{ErrorCode, PROTOCOL_VERSION, ServerMsg};
use orrery_common::protocol::encode;
use orrery_common::trace_context::Link;
use orrery_common::{RoomId, SocketId};
use outbox::{Outbound, Outbox, OutboxReader};
use pipeline::NewestInput;
use rate_limit::TokenBucket;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{Instrument, debug, info_span};
use writer::Writer;

/// The largest message or frame the WebSocket layer reads at all (above the largest
/// `--max-message-bytes` allowed): a message up to this size is read whole and then
/// refused by the reader with 1009 when it is over the limit; beyond it the WebSocket
/// layer refuses it at its header, also with 1009, but the rest of it stays unread.
pub const WS_LAYER_MAX_MESSAGE: usize = 64 * 1024 + 64;

/// What a socket's read buffer starts with: a few small messages (a ping, an input). A
/// larger message grows it.
pub const READ_BUFFER: usize = 256;

/// What a socket starts with, known before the upgrade: one box, so the futures that
/// carry it to the session (the upgrade's, the tracker's, [`run`]'s) each hold a pointer
/// rather than a copy for as long as the socket lives (issue 14: idle socket memory).
pub struct Start {
    pub identity: Identity,
    pub app: Arc<App>,
    /// The span of the upgrade request: each join and leave links to it.
    pub connect: Link,
    /// The socket's place in the open-socket quotas, held until it closes.
    pub permit: Option<SocketPermit>,
}

/// Serve one authenticated socket until it closes.
///
/// The `session` span gives log lines their context but is not exported (a socket can
/// live for hours), so each `join`, `leave` and `resync` is the root of its own trace.
///
/// The session is made here and moved, once, into the future that serves it, which
/// borrows it from there: a session passed by value to an `async fn` would be kept twice
/// for the socket's whole life (its argument and the local it is bound to), as would the
/// parts of `start` if they were unpacked in a future (issue 14: idle socket memory).
pub async fn run(socket: Box<WebSocket>, start: Box<Start>) {
    let id = start.app.next_session_id();
    let span = info_span!("session", session = id, player = %start.identity.player);
    let (mut session, permit) = Session::new(id, *start);
    async move {
        let metrics = &session.app.metrics;
        metrics.connects.inc();
        metrics.connections_open.inc();
        let end = session.serve(socket).await;
        drop(permit);
        let metrics = &session.app.metrics;
        metrics.connections_open.dec();
        metrics.disconnects.with_label_values(&[end.label()]).inc();
        debug!(reason = end.label(), "session ended");
    }
    .instrument(span)
    .await
}

struct Session {
    id: SessionId,
    /// Names this socket to room owners (random, so unique across gateways).
    nonce: SocketId,
    identity: Identity,
    app: Arc<App>,
    tx: Outbox,
    rx: Option<OutboxReader>,
    /// This socket's newest input, for the writer to time the frame that acknowledges it.
    newest_input: Arc<NewestInput>,
    room: Option<RoomId>,
    /// This socket watches `room` without a seat.
    watching: bool,
    /// When this socket's join of `room` completed (Unix ms): a later join of the same
    /// player elsewhere replaces it.
    joined_at_ms: u64,
    bucket: TokenBucket,
    /// This socket put the player in the matchmaking queue (cancelled when it closes).
    queued: bool,
    /// When presence was last refreshed.
    touched: Instant,
    connect: Link,
}

impl Session {
    /// The session of a socket that starts with `start`, and its place in the quotas.
    fn new(id: SessionId, start: Start) -> (Self, Option<SocketPermit>) {
        let Start { identity, app, connect, permit } = start;
        let (tx, rx) = outbox::outbox(app.config.socket_queue);
        let limits = app.config.limits();
        let session = Self {
            id,
            nonce: SocketId(rand::random()),
            identity,
            tx,
            rx: Some(rx),
            newest_input: Arc::default(),
            room: None,
            watching: false,
            joined_at_ms: 0,
            bucket: TokenBucket::new(f64::from(limits.messages_per_second), f64::from(limits.message_burst)),
            queued: false,
            touched: Instant::now(),
            connect,
            app,
        };
        (session, permit)
    }

    /// The socket's life: welcome it, read until it ends, leave its room, then close with
    /// the end's code and finish the close handshake.
    ///
    /// The writer is not a task of its own: it is polled in this task beside the reading
    /// (see [`writer::alongside`]), so it keeps draining the queue while a join or a full
    /// queue makes the reading wait. One task per socket instead of two, and the WebSocket
    /// shared by the two through a [`Conn`] (issue 14: idle socket memory).
    async fn serve(&mut self, socket: Box<WebSocket>) -> SessionEnd {
        let conn = Conn::new(socket);
        let mut writer = Writer::new(
            self.rx.take().expect("taken once"),
            self.newest_input.clone(),
            writer::Timings { fanout: self.app.metrics.fanout.clone(), input_pipeline: self.app.metrics.input_pipeline.clone() },
        );
        let end = {
            // Pinned where it is made: moved, it would be kept twice in this future's state
            // (see `writer::alongside`).
            let reading = pin!(self.reading(&conn));
            writer::alongside(reading, &mut writer, &conn).await
        };
        // The closing is boxed too: its timers are allocated when the socket closes, not
        // kept by every open one.
        Box::pin(async {
            writer.close(&conn, end).await;
            // Finish the close handshake: read (and drop) what the client still sends until
            // it closes too, bounded. Closing with unread data makes the kernel reset the
            // connection, and the client could lose our close frame and its code.
            let _ = tokio::time::timeout(Duration::from_secs(1), async { while let Some(Ok(_)) = conn.next().await {} }).await;
        })
        .await;
        end
    }

    /// Welcome the client, read until the socket ends, leave its room.
    async fn reading<S: conn::Socket>(&mut self, conn: &Conn<S>) -> SessionEnd {
        {
            let welcome = ServerMsg::Welcome { protocol: PROTOCOL_VERSION, player: self.identity.player, limits: self.app.config.limits() };
            // Boxed, like the other rare paths: the queue is empty, so this does not wait.
            Box::pin(self.send(&welcome)).await;
        }
        // Placements and kicks for this player, whichever gateway decided them.
        let inbox = self.app.inboxes.register(self.identity.player, self.id);
        let end = self.read_until_end(conn, &inbox).await;
        self.app.inboxes.unregister(self.identity.player, self.id);
        Box::pin(self.cleanup()).await;
        end
    }

    async fn send(&self, msg: &ServerMsg) {
        let bytes = encode(msg);
        self.app.metrics.messages_out.inc();
        self.app.metrics.bytes_out.inc_by(bytes.len() as u64);
        let _ = self.tx.push(Outbound::message(bytes)).await;
    }

    async fn error(&self, code: ErrorCode, message: &str) {
        self.send(&ServerMsg::Error { code, message: message.to_owned() }).await;
    }

    /// Tell the client a request failed, with the `ErrorCode` its error's code gives.
    async fn fail(&self, e: &impl DomainError) {
        self.error(e.error_code().client_code(), &crate::error::client_message(e)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output_size<A, B, R>(_: impl FnOnce(A, B) -> R) -> usize {
        std::mem::size_of::<R>()
    }

    /// What every open socket keeps for its whole life, beside its WebSocket: the future
    /// of its one task. It was 1,904 bytes (debug build) before the writer stopped being a
    /// future of its own, the reader stopped keeping a future per thing it waits for, and
    /// the session stopped being kept twice (issue 14: at most 4 KB per idle socket, all
    /// told); a change that makes it grow past this bound should say why.
    #[test]
    fn an_open_sockets_future_stays_small() {
        let size = output_size(run);
        eprintln!("run: {size} B, Session: {} B, Writer: {} B", std::mem::size_of::<Session>(), std::mem::size_of::<Writer>());
        assert!(size <= 1024, "a socket's future is {size} bytes");
    }
}
