//! Player events (placed by the matchmaker, kicked) for the sockets of this gateway.
//!
//! One NATS subscription per gateway (`player.*.events`) instead of one per socket: events
//! are rare, and a subscription per connection cost several KB of every idle socket and
//! one interest per player in NATS. Each socket registers a small inbox (a queue and the
//! waker of the socket waiting on it, nothing allocated until an event arrives); the
//! dispatcher drops events for players with no socket here.
//!
//! The gateway's drain reaches every socket the same way ([`Inboxes::drain`]): a socket
//! waits on its inbox alone, with no future of its own for the drain (issue 14).

use crate::hub::SessionId;
use futures::StreamExt;
use orrery_common::PlayerId;
use orrery_common::names::Names;
use orrery_common::protocol::decode;
use orrery_common::protocol::internal::PlayerEvent;
use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use tokio_util::sync::CancellationToken;

/// One socket's pending player events.
#[derive(Debug, Default)]
pub struct Inbox {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    events: VecDeque<PlayerEvent>,
    /// The gateway is draining: this socket says goodbye.
    draining: bool,
    /// The socket waiting for an event (one waiter: the last to poll).
    waiting: Option<Waker>,
}

/// What a socket finds in its inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The gateway is draining (before any event still queued).
    Draining,
    Event(PlayerEvent),
}

impl Inbox {
    /// The next delivery for this socket.
    pub async fn next(&self) -> Delivery {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// The next delivery, or the waker kept to be woken when one arrives: a socket waiting
    /// on its inbox holds no future for it (issue 14: idle socket memory). Once the gateway
    /// drains, always [`Delivery::Draining`].
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Delivery> {
        let mut state = self.state.lock().expect("poisoned");
        if state.draining {
            return Poll::Ready(Delivery::Draining);
        }
        if let Some(e) = state.events.pop_front() {
            return Poll::Ready(Delivery::Event(e));
        }
        if !state.waiting.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            state.waiting = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    fn push(&self, event: PlayerEvent) {
        self.update(|state| state.events.push_back(event));
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        let mut state = self.state.lock().expect("poisoned");
        change(&mut state);
        let waiting = state.waiting.take();
        drop(state);
        if let Some(w) = waiting {
            w.wake();
        }
    }
}

/// The inboxes of one player's sockets on this gateway.
type PlayerInboxes = Vec<(SessionId, Arc<Inbox>)>;

/// The inboxes of this gateway's sockets, by player.
#[derive(Debug, Default)]
pub struct Inboxes {
    registry: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    by_player: HashMap<PlayerId, PlayerInboxes>,
    /// Set once by [`Inboxes::drain`]: an inbox registered later starts draining.
    draining: bool,
}

impl Inboxes {
    /// A socket of `player` opened.
    pub fn register(&self, player: PlayerId, session: SessionId) -> Arc<Inbox> {
        let mut registry = self.registry.lock().expect("poisoned");
        let inbox = Arc::new(Inbox::default());
        inbox.state.lock().expect("poisoned").draining = registry.draining;
        registry.by_player.entry(player).or_default().push((session, inbox.clone()));
        inbox
    }

    /// The gateway drains: every socket, registered now or later, is told.
    pub fn drain(&self) {
        let mut registry = self.registry.lock().expect("poisoned");
        registry.draining = true;
        for (_, inbox) in registry.by_player.values().flatten() {
            inbox.update(|state| state.draining = true);
        }
    }

    /// The socket closed.
    pub fn unregister(&self, player: PlayerId, session: SessionId) {
        let map = &mut self.registry.lock().expect("poisoned").by_player;
        if let Some(list) = map.get_mut(&player) {
            list.retain(|(s, _)| *s != session);
            if list.is_empty() {
                map.remove(&player);
            }
        }
    }

    /// Hand an event to every socket of `player` here.
    pub fn deliver(&self, player: PlayerId, event: PlayerEvent) {
        if let Some(list) = self.registry.lock().expect("poisoned").by_player.get(&player) {
            for (_, inbox) in list {
                inbox.push(event.clone());
            }
        }
    }
}

/// Subscribe once to every player's events and dispatch them until `stop`.
pub async fn dispatch(
    nats: async_nats::Client,
    names: Names,
    inboxes: Arc<Inboxes>,
    stop: CancellationToken,
) -> Result<(), async_nats::SubscribeError> {
    let mut events = nats.subscribe(names.all_player_events()).await?;
    tokio::spawn(async move {
        loop {
            let msg = tokio::select! {
                _ = stop.cancelled() => return,
                msg = events.next() => match msg { Some(m) => m, None => return },
            };
            let (Some(player), Ok(event)) = (names.player_of_events_subject(msg.subject.as_str()), decode::<PlayerEvent>(&msg.payload))
            else {
                tracing::debug!(subject = %msg.subject, "undecodable player event ignored");
                continue;
            };
            inboxes.deliver(player, event);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_common::RoomId;

    #[tokio::test]
    async fn events_reach_every_socket_of_their_player_and_no_other() {
        let inboxes = Inboxes::default();
        let (ada, bob) = (PlayerId::random(), PlayerId::random());
        let (a1, a2, b) = (inboxes.register(ada, 1), inboxes.register(ada, 2), inboxes.register(bob, 3));
        inboxes.deliver(ada, PlayerEvent::Placed { room: RoomId(7) });
        assert_eq!(a1.next().await, Delivery::Event(PlayerEvent::Placed { room: RoomId(7) }));
        assert_eq!(a2.next().await, Delivery::Event(PlayerEvent::Placed { room: RoomId(7) }));
        assert!(b.state.lock().unwrap().events.is_empty());
        inboxes.unregister(ada, 1);
        inboxes.deliver(ada, PlayerEvent::Kicked { room: RoomId(7) });
        assert!(a1.state.lock().unwrap().events.is_empty(), "an unregistered socket gets nothing");
        assert_eq!(a2.next().await, Delivery::Event(PlayerEvent::Kicked { room: RoomId(7) }));
    }

    /// A socket waiting on its inbox is woken by an event, then by the drain, which
    /// reaches sockets registered after it began too.
    #[tokio::test]
    async fn a_waiting_socket_is_woken_by_an_event_and_by_the_drain_even_registered_later() {
        let inboxes = Arc::new(Inboxes::default());
        let ada = PlayerId::random();
        let inbox = inboxes.register(ada, 1);
        let waiting = tokio::spawn({
            let inbox = inbox.clone();
            async move { (inbox.next().await, inbox.next().await) }
        });
        tokio::task::yield_now().await;
        inboxes.deliver(ada, PlayerEvent::Placed { room: RoomId(7) });
        tokio::task::yield_now().await;
        inboxes.drain();
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await.expect("woken").unwrap();
        assert_eq!(got, (Delivery::Event(PlayerEvent::Placed { room: RoomId(7) }), Delivery::Draining));
        let later = inboxes.register(PlayerId::random(), 2);
        assert_eq!(later.next().await, Delivery::Draining);
    }
}
