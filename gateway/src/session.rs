//! One player's WebSocket: read client messages, route them, write frames.
//!
//! The reader enforces the protocol's limits (size, rate, idle time) and closes only
//! its own socket, with the code [`SessionEnd::close_code`] gives. The writer drains a
//! bounded queue that the hub fills with frames; control messages to the writer
//! (close) bypass that queue.

use crate::App;
use crate::error::SessionEnd;
use crate::hub::SessionId;
use crate::matchmaking::QueueOutcome;
use crate::outbox::{Outbound, Outbox, OutboxReader};
use crate::pipeline::NewestInput;
use crate::rooms::RoomStatus;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{SinkExt, StreamExt};
use orrery_common::auth::Identity;
use orrery_common::protocol::client::{ClientMsg, ErrorCode, PROTOCOL_VERSION, Resume, ServerMsg};
use orrery_common::protocol::internal::{ControlReply, ControlRequest, LeaveReason, PlayerEvent};
use orrery_common::protocol::{decode, encode};
use orrery_common::time::now_ms;
use orrery_common::trace_context::Link;
use orrery_common::{ClientMsgId, InputSeq, RoomId};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::field::Empty;
use tracing::{Instrument, Span, debug, info_span, warn};

/// How long a join waits for a room to get an owner (it may be failing over).
const JOIN_PATIENCE: Duration = Duration::from_secs(5);
/// Presence (`player:<id>`) is refreshed on pings at most this often while connected.
const PRESENCE_REFRESH: Duration = Duration::from_secs(60);

/// Serve one authenticated socket until it closes. `connect` is the span of its
/// upgrade request: each join and leave links to it.
///
/// The `session` span gives log lines their context but is not exported (a socket can
/// live for hours), so each `join`, `leave` and `resync` is the root of its own trace.
pub async fn run(socket: WebSocket, identity: Identity, app: Arc<App>, connect: Link) {
    let id = app.next_session_id();
    let span = info_span!("session", session = id, player = %identity.player);
    async move {
        app.metrics.connects.inc();
        app.metrics.connections_open.inc();
        let end = Session::new(id, identity, app.clone(), connect).serve(socket).await;
        app.metrics.connections_open.dec();
        app.metrics.disconnects.with_label_values(&[end.label()]).inc();
        debug!(reason = end.label(), "session ended");
    }
    .instrument(span)
    .await
}

struct Session {
    id: SessionId,
    /// Names this socket to room owners (random, so unique across gateways).
    nonce: orrery_common::SocketId,
    identity: Identity,
    app: Arc<App>,
    tx: Outbox,
    rx: Option<OutboxReader>,
    /// This socket's newest input, for the writer to time the frame that acknowledges it.
    newest_input: Arc<NewestInput>,
    slow: CancellationToken,
    room: Option<RoomId>,
    bucket: TokenBucket,
    /// This socket put the player in the matchmaking queue (cancelled when it closes).
    queued: bool,
    /// When presence was last refreshed.
    touched: Instant,
    connect: Link,
}

impl Session {
    fn new(id: SessionId, identity: Identity, app: Arc<App>, connect: Link) -> Self {
        let (tx, rx) = crate::outbox::outbox(app.config.socket_queue);
        let limits = app.config.limits();
        Self {
            id,
            nonce: orrery_common::SocketId(rand::random()),
            identity,
            tx,
            rx: Some(rx),
            newest_input: Arc::default(),
            slow: CancellationToken::new(),
            room: None,
            bucket: TokenBucket::new(f64::from(limits.messages_per_second), f64::from(limits.message_burst)),
            queued: false,
            touched: Instant::now(),
            connect,
            app,
        }
    }

    async fn serve(mut self, socket: WebSocket) -> SessionEnd {
        let (ws_tx, mut ws_rx) = socket.split();
        let (close_tx, close_rx) = oneshot::channel();
        let writer = tokio::spawn(write_loop(
            ws_tx,
            self.rx.take().expect("taken once"),
            close_rx,
            self.newest_input.clone(),
            Timings { fanout: self.app.metrics.fanout.clone(), input_pipeline: self.app.metrics.input_pipeline.clone() },
        ));
        let welcome = ServerMsg::Welcome { protocol: PROTOCOL_VERSION, player: self.identity.player, limits: self.app.config.limits() };
        self.send(&welcome).await;
        // Placements and kicks for this player, whichever gateway decided them.
        let inbox = self.app.inboxes.register(self.identity.player, self.id);

        let idle = self.app.config.idle_timeout();
        let draining = self.app.draining.clone();
        let end = loop {
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
                Message::Ping(_) | Message::Pong(_) => continue,
            };
            self.app.metrics.messages_in.inc();
            self.app.metrics.bytes_in.inc_by(bytes.len() as u64);
            if !self.bucket.take(Instant::now()) {
                break SessionEnd::RateLimited;
            }
            let Ok(msg) = decode::<ClientMsg>(&bytes) else { break SessionEnd::Malformed };
            // Boxed: the rare, heavy paths (join, commands) stay off the resident future of every
            // idle socket and are allocated only while a message is handled.
            if let ClientMsg::Input { seq, .. } = &msg {
                self.newest_input.record(*seq, read_at);
            }
            if let Some(end) = Box::pin(self.handle(msg)).await {
                break end;
            }
        };
        self.app.inboxes.unregister(self.identity.player, self.id);
        Box::pin(self.cleanup()).await;
        let _ = close_tx.send(end);
        let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
        // Finish the close handshake: read (and drop) what the client still sends until it
        // closes too, bounded. Closing with unread data makes the kernel reset the
        // connection, and the client could lose our close frame and its code.
        let _ = tokio::time::timeout(Duration::from_secs(1), async { while let Some(Ok(_)) = ws_rx.next().await {} }).await;
        end
    }

    async fn handle(&mut self, msg: ClientMsg) -> Option<SessionEnd> {
        match msg {
            ClientMsg::Join { room, resume } => self.join(room, resume).await,
            ClientMsg::Input { seq, payload } => self.input(seq, payload).await,
            ClientMsg::Command { id, payload } => self.command(id, payload).await,
            ClientMsg::Resync => match self.room {
                Some(room) => self.resync(room).await,
                None => self.error(ErrorCode::NotInRoom, "join a room first").await,
            },
            ClientMsg::Leave => {
                if let Some(room) = self.room.take() {
                    self.leave(room, LeaveReason::Left).await;
                    let _ = self.app.presence.left(self.identity.player).await;
                }
                return Some(SessionEnd::Normal);
            }
            ClientMsg::Ping { client_time_us } => {
                let tick = self.room.and_then(|r| self.app.hub.latest_tick(r));
                self.send(&ServerMsg::Pong { client_time_us, server_time_ms: now_ms(), tick }).await;
                if self.touched.elapsed() >= PRESENCE_REFRESH {
                    self.touched = Instant::now();
                    let _ = self.app.presence.touch(self.identity.player).await;
                }
            }
            ClientMsg::Queue { mode, region, party } => {
                let req = crate::matchmaking::QueueRequest { mode, region, party };
                match self.app.matchmaker.enqueue(self.identity.player, &req).await {
                    Ok(QueueOutcome::Queued { ticket }) => {
                        self.queued = true;
                        self.send(&ServerMsg::Queued { ticket }).await;
                    }
                    Ok(QueueOutcome::InRoom { room }) => self.matched(room).await,
                    Err(e) => {
                        let e = crate::error::ApiError::from(e);
                        self.error(e.error_code(), &e.to_string()).await;
                    }
                }
            }
            ClientMsg::LeaveQueue => {
                self.queued = false;
                match self.app.matchmaker.cancel(self.identity.player).await {
                    Ok(_) => self.send(&ServerMsg::QueueLeft).await,
                    Err(e) => self.error(ErrorCode::Internal, &e.to_string()).await,
                }
            }
            ClientMsg::JoinByCode { code } => match self.app.rooms.by_code(&code, self.identity.player).await {
                Ok(room) => self.join(room, None).await,
                Err(e) => self.error(e.error_code(), &e.to_string()).await,
            },
        }
        None
    }

    /// Placed by the matchmaker (or sent back to a live match): join the room, unless
    /// this socket is already in it.
    async fn matched(&mut self, room: RoomId) {
        self.queued = false;
        self.send(&ServerMsg::Matched { room }).await;
        if self.room != Some(room) {
            self.join(room, None).await;
        }
    }

    async fn player_event(&mut self, event: PlayerEvent) -> Option<SessionEnd> {
        match event {
            PlayerEvent::Placed { room } => self.matched(room).await,
            PlayerEvent::Kicked { room } => {
                if self.room == Some(room) {
                    self.app.hub.detach(room, self.id);
                    self.room = None;
                }
                self.send(&ServerMsg::Kicked { room }).await;
                return Some(SessionEnd::Kicked);
            }
        }
        None
    }

    /// The `join` span: the root of one trace that the room's owner continues (its
    /// context travels in the control request's NATS headers).
    async fn join(&mut self, room: RoomId, resume: Option<Resume>) {
        let span = info_span!("join", %room, player = %self.identity.player, resume = resume.is_some(), outcome = Empty);
        self.connect.add_to(&span);
        self.join_traced(room, resume).instrument(span).await
    }

    async fn join_traced(&mut self, room: RoomId, resume: Option<Resume>) {
        let started = Instant::now();
        if let Err(e) = self.app.rooms.may_join(room, self.identity.player).await {
            return self.error(e.error_code(), &e.to_string()).await;
        }
        match self.app.rooms.status(room).await {
            Ok(RoomStatus::Open(_)) => {}
            Ok(RoomStatus::Closed | RoomStatus::Unknown) => {
                return self.error(ErrorCode::RoomNotFound, &format!("room {room} does not exist or is closed")).await;
            }
            Err(e) => return self.error(ErrorCode::Internal, &e.to_string()).await,
        }
        if let Some(old) = self.room.take()
            && old != room
        {
            self.leave(old, LeaveReason::Left).await;
        }
        let player = self.identity.player;
        if let Err(e) = self.app.hub.attach(room, self.id, player, self.tx.clone(), self.slow.clone()).await {
            return self.error(ErrorCode::Internal, &format!("cannot subscribe to the room: {e}")).await;
        }
        self.room = Some(room);
        let request = ControlRequest::Join { player, name: self.identity.name.clone(), session: self.nonce };
        match self.app.control(room, &request, JOIN_PATIENCE).await {
            Some(ControlReply::Keyframe { tick_hz, last_input, frame }) => {
                if let Err(e) = self.app.presence.seated(player, room).await {
                    warn!(error = %e, "presence not recorded");
                }
                self.send(&ServerMsg::Joined { room, tick_hz, last_input }).await;
                self.app.hub.deliver_keyframe(room, self.id, frame);
                self.app.metrics.joins.inc();
                if resume.is_some() {
                    self.app.metrics.resumes.inc();
                    self.app.metrics.resume_duration.observe(started.elapsed().as_secs_f64());
                }
                self.app.metrics.join_duration.observe(started.elapsed().as_secs_f64());
                Span::current().record("outcome", "joined");
            }
            Some(ControlReply::Refused { reason }) => {
                Span::current().record("outcome", "refused");
                self.app.hub.detach(room, self.id);
                self.room = None;
                self.error(ErrorCode::JoinRefused, &reason).await;
            }
            Some(ControlReply::Ok | ControlReply::CommandAck { .. }) | None => {
                Span::current().record("outcome", "unavailable");
                self.app.hub.detach(room, self.id);
                self.room = None;
                self.error(ErrorCode::RoomUnavailable, "the room has no owner right now; try again shortly").await;
            }
        }
    }

    /// Fetch a keyframe for this socket. A room that closed gets `RoomClosed` again
    /// instead (the first one may have been missed, or ignored): without an answer a client
    /// asking for a keyframe would ask forever.
    async fn resync(&mut self, room: RoomId) {
        if self.answer_if_closed(room).await {
            return;
        }
        self.app.metrics.resyncs.inc();
        if !self.app.hub.resync(room, self.id, self.identity.player).await {
            // Nobody answered: a failover (the new owner's first frame is a keyframe), or a
            // room that closed without this gateway hearing `rooms.closed`.
            self.answer_if_found_closed(room).await;
        }
    }

    /// When the hub no longer holds this socket's `room`, the room closed (the hub told the
    /// socket then): say `RoomClosed` again and forget the room. True when it did.
    async fn answer_if_closed(&mut self, room: RoomId) -> bool {
        if self.app.hub.is_attached(room, self.id) {
            return false;
        }
        self.room = None;
        self.send(&ServerMsg::RoomClosed { room }).await;
        true
    }

    /// The room's owner did not answer: if PostgreSQL says the room is closed, tell every
    /// socket of the room here (this one included) and forget it. True when it did.
    async fn answer_if_found_closed(&mut self, room: RoomId) -> bool {
        let Ok(RoomStatus::Closed | RoomStatus::Unknown) = self.app.rooms.status(room).await else { return false };
        let told = self.app.hub.close_room(room);
        debug!(%room, sockets = told, "room found closed after an unanswered request");
        self.room = None;
        if told == 0 {
            self.send(&ServerMsg::RoomClosed { room }).await;
        }
        true
    }

    async fn input(&mut self, seq: InputSeq, payload: Vec<u8>) {
        let Some(room) = self.room else {
            return self.error(ErrorCode::NotInRoom, "join a room first").await;
        };
        let envelope = orrery_common::protocol::internal::InputEnvelope { player: self.identity.player, seq, payload };
        if let Err(e) = self.app.nats.publish(self.app.names.room_input(room), encode(&envelope).into()).await {
            warn!(%room, error = %e, "input not published");
        }
    }

    /// Forward a command to the room's owner and acknowledge it on this socket.
    async fn command(&mut self, id: ClientMsgId, payload: Vec<u8>) {
        let Some(room) = self.room else {
            return self.error(ErrorCode::NotInRoom, "join a room first").await;
        };
        // A command in a closed room would otherwise be told to resend, forever.
        if self.answer_if_closed(room).await {
            return;
        }
        let request = ControlRequest::Command { player: self.identity.player, id, payload };
        match self.app.control(room, &request, Duration::from_secs(2)).await {
            Some(ControlReply::CommandAck { outcome }) => self.send(&ServerMsg::CommandAck { id, outcome }).await,
            _ if self.answer_if_found_closed(room).await => {}
            // No answer: the client resends; the room applies it at most once.
            _ => self.error(ErrorCode::RoomUnavailable, "the room did not answer; resend the command").await,
        }
    }

    async fn leave(&mut self, room: RoomId, reason: LeaveReason) {
        if !self.app.hub.is_attached(room, self.id) {
            // The room closed (or never seated us): nobody to tell.
            return;
        }
        let span = info_span!("leave", %room, player = %self.identity.player, reason = ?reason);
        self.connect.add_to(&span);
        self.app.hub.detach(room, self.id);
        let request = ControlRequest::Leave { player: self.identity.player, reason, session: self.nonce };
        let _ = self.app.control(room, &request, Duration::from_millis(500)).instrument(span).await;
    }

    async fn cleanup(&mut self) {
        if self.queued {
            let _ = self.app.matchmaker.cancel(self.identity.player).await;
        }
        if let Some(room) = self.room.take() {
            self.leave(room, LeaveReason::Disconnected).await;
            let _ = self.app.presence.offline(self.identity.player).await;
        }
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
}

/// The two histograms a socket's writer feeds (just these: the writer lives as long as
/// the socket, so it holds as little as it can).
struct Timings {
    fanout: prometheus::Histogram,
    input_pipeline: prometheus::Histogram,
}

/// Write queued messages until told to close; the close skips the queue. A frame that
/// acknowledges the socket's newest input is timed once written (see [`crate::pipeline`]).
async fn write_loop(
    mut ws: futures::stream::SplitSink<WebSocket, Message>,
    mut queue: OutboxReader,
    mut close: oneshot::Receiver<SessionEnd>,
    newest_input: Arc<NewestInput>,
    timings: Timings,
) {
    let end = loop {
        tokio::select! {
            biased;
            end = &mut close => break end.unwrap_or(SessionEnd::Transport),
            out = queue.recv() => match out {
                Some(Outbound { bytes, since, acknowledges }) => {
                    if ws.send(Message::Binary(bytes.into())).await.is_err() {
                        return;
                    }
                    let written = std::time::Instant::now();
                    if let Some(since) = since {
                        timings.fanout.observe(written.saturating_duration_since(since).as_secs_f64());
                    }
                    if let Some(took) = acknowledges.and_then(|a| newest_input.pipeline(a, written)) {
                        timings.input_pipeline.observe(took.as_secs_f64());
                    }
                }
                None => break SessionEnd::Transport,
            },
        }
    };
    // Flush what is queued for a graceful end (GoAway, Kicked), bounded.
    if matches!(end, SessionEnd::GoingAway | SessionEnd::Kicked) {
        while let Some(Outbound { bytes, .. }) = queue.try_recv() {
            if ws.send(Message::Binary(bytes.into())).await.is_err() {
                return;
            }
        }
    }
    let frame = CloseFrame { code: end.close_code(), reason: end.label().into() };
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.send(Message::Close(Some(frame)))).await;
}

/// A read error is either the client breaking the size limit or the transport failing.
fn classify_read_error(e: axum::Error) -> SessionEnd {
    match e.into_inner().downcast::<tungstenite::Error>() {
        Ok(e) if matches!(*e, tungstenite::Error::Capacity(_)) => SessionEnd::TooLarge,
        Ok(e) if matches!(*e, tungstenite::Error::Protocol(_)) => SessionEnd::Malformed,
        _ => SessionEnd::Transport,
    }
}

/// A token bucket: `rate` messages per second, bursts up to `burst`.
#[derive(Debug)]
struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl TokenBucket {
    fn new(rate: f64, burst: f64) -> Self {
        Self { rate, burst, tokens: burst, last: None }
    }

    fn take(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            self.tokens = (self.tokens + now.saturating_duration_since(last).as_secs_f64() * self.rate).min(self.burst);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TokenBucket;
    use std::time::Duration;
    use tokio::time::Instant;

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let mut b = TokenBucket::new(10.0, 5.0);
        let t0 = Instant::now();
        assert!((0..5).all(|_| b.take(t0)));
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_millis(100)));
        assert!(!b.take(t0 + Duration::from_millis(100)));
    }
}
