//! The socket's reader: waits for the next client message, player event, drain or
//! slow-consumer verdict, enforces the protocol's limits (size, rate — WebSocket pings
//! included — idle time) and hands
//! each message to [`super::dispatch`]. It returns why the socket ends.
//!
//! Its waiting state is most of an idle socket's task (issue 14), so it is kept small: one
//! idle timer for the socket's life, re-armed at each wait, and a single poll of every
//! source ([`poll_wake`]); the inbox (player events and the drain) and the slow-consumer
//! verdict keep the socket's waker where the news comes from, so waiting on them holds no
//! future. What a message or an event then takes is a boxed future, allocated only while
//! it runs.

use super::Session;
use super::conn::{Conn, Socket};
use super::outbox::{Outbound, Outbox};
use crate::error::SessionEnd;
use crate::inbox::{Delivery, Inbox};
use axum::extract::ws::Message;
use orrery_common::protocol::client::{ClientMsg, ServerMsg};
use orrery_common::protocol::internal::PlayerEvent;
use orrery_common::protocol::{decode, encode};
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use tokio::time::{Instant, Sleep};

/// What woke a waiting socket, in the order they are looked at.
enum Woke {
    /// The gateway drains.
    Draining,
    /// The hub gave up on the socket as a slow consumer.
    GivenUp,
    Event(PlayerEvent),
    /// The client sent something, or the transport ended (`None`) or failed.
    Read(Option<Result<Message, axum::Error>>),
    /// Nothing from the client for the idle timeout.
    Idle,
}

/// What a read asks for.
enum Read {
    End(SessionEnd),
    /// A control frame, within the rate limit: nothing to do.
    Nothing,
    Handle(ClientMsg),
}

/// A message's or an event's handling: `Some` ends the socket.
type Handling<'a> = Pin<Box<dyn Future<Output = Option<SessionEnd>> + Send + 'a>>;

impl Session {
    /// Read until the socket ends: the client closes or breaks a limit, the hub gives up on
    /// it, a player event ends it, or the gateway drains.
    pub(super) async fn read_until_end<S: Socket>(&mut self, conn: &Conn<S>, inbox: &Inbox) -> SessionEnd {
        let idle = self.app.config.idle_timeout();
        let mut idle_timer = pin!(tokio::time::sleep(idle));
        loop {
            let handling: Handling<'_> = {
                // The idle time counts from the start of each wait, as a timeout around it would.
                idle_timer.as_mut().reset(Instant::now() + idle);
                let woke = poll_fn(|cx| poll_wake(&self.tx, conn, inbox, idle_timer.as_mut(), cx)).await;
                match woke {
                    Woke::Draining => {
                        let go_away = ServerMsg::GoAway {
                            reason: "gateway is shutting down".into(),
                            reconnect_after_ms: self.app.config.reconnect_after_ms,
                        };
                        let _ = self.tx.try_push(Outbound::message(encode(&go_away)));
                        break SessionEnd::GoingAway;
                    }
                    Woke::GivenUp => break SessionEnd::SlowConsumer,
                    Woke::Idle => break SessionEnd::IdleTimeout,
                    // Boxed: the rare, heavy paths (join, commands) stay off the resident
                    // future of every idle socket and are allocated only while they run.
                    Woke::Event(event) => Box::pin(self.player_event(event)),
                    Woke::Read(next) => match self.read(next) {
                        Read::End(end) => break end,
                        Read::Nothing => continue,
                        Read::Handle(msg) => Box::pin(self.handle(msg)),
                    },
                }
            };
            if let Some(end) = handling.await {
                break end;
            }
        }
    }

    /// Check what the client sent against the protocol's limits and decode it.
    fn read(&mut self, next: Option<Result<Message, axum::Error>>) -> Read {
        let read_at = std::time::Instant::now();
        let msg = match next {
            None => return Read::End(SessionEnd::Transport),
            Some(Err(e)) => return Read::End(classify_read_error(e)),
            Some(Ok(msg)) => msg,
        };
        let bytes = match msg {
            Message::Binary(b) => b,
            Message::Text(_) => return Read::End(SessionEnd::Malformed),
            Message::Close(_) => return Read::End(SessionEnd::Normal),
            // Control frames cost what a message costs (each ping makes the gateway write
            // a pong): they take from the same bucket, or a ping flood costs a core.
            Message::Ping(_) | Message::Pong(_) => {
                if self.bucket.take(Instant::now()) {
                    return Read::Nothing;
                }
                self.app.metrics.quota_refusals.with_label_values(&[crate::quota::CONTROL_FRAMES]).inc();
                return Read::End(SessionEnd::RateLimited);
            }
        };
        self.app.metrics.messages_in.inc();
        self.app.metrics.bytes_in.inc_by(bytes.len() as u64);
        // The protocol's size limit, checked here on a message read whole (see
        // `socket::WS_LAYER_MAX_MESSAGE`).
        if bytes.len() > self.app.config.max_message_bytes as usize {
            return Read::End(SessionEnd::TooLarge);
        }
        if !self.bucket.take(Instant::now()) {
            return Read::End(SessionEnd::RateLimited);
        }
        let Ok(msg) = decode::<ClientMsg>(&bytes) else { return Read::End(SessionEnd::Malformed) };
        if let ClientMsg::Input { seq, .. } = &msg {
            self.newest_input.record(*seq, read_at);
        }
        Read::Handle(msg)
    }
}

/// Look at everything a waiting socket waits for, in order: the drain, the slow-consumer
/// verdict, a player event, the client, the idle timer. Each keeps the task's waker.
fn poll_wake<S: Socket>(tx: &Outbox, conn: &Conn<S>, inbox: &Inbox, idle: Pin<&mut Sleep>, cx: &mut Context<'_>) -> Poll<Woke> {
    let delivery = inbox.poll_next(cx);
    if let Poll::Ready(Delivery::Draining) = delivery {
        return Poll::Ready(Woke::Draining);
    }
    // An event taken just now is dropped with a socket given up on, as it would be left
    // in the inbox of a socket that ends.
    if tx.poll_given_up(cx).is_ready() {
        return Poll::Ready(Woke::GivenUp);
    }
    if let Poll::Ready(Delivery::Event(event)) = delivery {
        return Poll::Ready(Woke::Event(event));
    }
    if let Poll::Ready(next) = conn.poll_next(cx) {
        return Poll::Ready(Woke::Read(next));
    }
    if idle.poll(cx).is_ready() {
        return Poll::Ready(Woke::Idle);
    }
    Poll::Pending
}

/// A read error is either the client breaking the size limit or the transport failing.
fn classify_read_error(e: axum::Error) -> SessionEnd {
    match e.into_inner().downcast::<tungstenite::Error>() {
        Ok(e) if matches!(*e, tungstenite::Error::Capacity(_)) => SessionEnd::TooLarge,
        Ok(e) if matches!(*e, tungstenite::Error::Protocol(_)) => SessionEnd::Malformed,
        _ => SessionEnd::Transport,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::Inboxes;
    use crate::socket::conn::fake::Fake;
    use crate::socket::outbox::outbox;
    use orrery_common::{PlayerId, RoomId};
    use std::time::Duration;

    /// What wakes a waiting socket, polled as the reader polls it.
    async fn wake(tx: &Outbox, conn: &Conn<Fake>, inbox: &Inbox, idle: Duration) -> Woke {
        let mut timer = pin!(tokio::time::sleep(idle));
        let woke = poll_fn(|cx| poll_wake(tx, conn, inbox, timer.as_mut(), cx));
        tokio::time::timeout(Duration::from_secs(10), woke).await.expect("woken")
    }

    /// A waiting socket is woken by the hub giving up on it (it ends as a slow consumer),
    /// by the drain before anything else, by a player event and by its client; and, with
    /// nothing of these, by its idle timer.
    #[tokio::test]
    async fn a_waiting_socket_is_woken_by_each_of_what_it_waits_for_in_order() {
        let (inboxes, player) = (Inboxes::default(), PlayerId::random());
        let inbox = inboxes.register(player, 1);
        let fake = Fake::new();
        let conn = Conn::new(fake.clone());
        let (tx, _rx) = outbox(4);
        let long = Duration::from_secs(600);

        // The hub's verdict, given while the socket waits.
        let hub = tx.clone();
        let waiting = wake(&tx, &conn, &inbox, long);
        let verdict = async {
            tokio::task::yield_now().await;
            hub.give_up();
        };
        let (woke, ()) = tokio::join!(waiting, verdict);
        assert!(matches!(woke, Woke::GivenUp));

        let (tx, _rx) = outbox(4);
        fake.set(|s| s.incoming.push_back(Message::Binary(vec![1].into())));
        assert!(matches!(wake(&tx, &conn, &inbox, long).await, Woke::Read(Some(Ok(Message::Binary(_))))));
        inboxes.deliver(player, PlayerEvent::Placed { room: RoomId(7) });
        fake.set(|s| s.incoming.push_back(Message::Binary(vec![2].into())));
        assert!(matches!(wake(&tx, &conn, &inbox, long).await, Woke::Event(PlayerEvent::Placed { .. })), "events first");
        assert!(matches!(wake(&tx, &conn, &inbox, long).await, Woke::Read(Some(Ok(_)))));
        assert!(matches!(wake(&tx, &conn, &inbox, Duration::from_millis(10)).await, Woke::Idle));
        inboxes.deliver(player, PlayerEvent::Placed { room: RoomId(8) });
        inboxes.drain();
        assert!(matches!(wake(&tx, &conn, &inbox, long).await, Woke::Draining), "the drain before a queued event");
    }
}
