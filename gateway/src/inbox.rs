//! Player events (placed by the matchmaker, kicked) for the sockets of this gateway.
//!
//! One NATS subscription per gateway (`player.*.events`) instead of one per socket: events
//! are rare, and a subscription per connection cost several KB of every idle socket and
//! one interest per player in NATS. Each socket registers a small inbox (a queue and a
//! `Notify`, nothing allocated until an event arrives); the dispatcher drops events for
//! players with no socket here.

use crate::hub::SessionId;
use futures::StreamExt;
use orrery_common::PlayerId;
use orrery_common::names::Names;
use orrery_common::protocol::decode;
use orrery_common::protocol::internal::PlayerEvent;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// One socket's pending player events.
#[derive(Debug, Default)]
pub struct Inbox {
    events: Mutex<VecDeque<PlayerEvent>>,
    ready: Notify,
}

impl Inbox {
    /// The next event for this socket.
    pub async fn next(&self) -> PlayerEvent {
        loop {
            if let Some(e) = self.events.lock().expect("poisoned").pop_front() {
                return e;
            }
            self.ready.notified().await;
        }
    }

    fn push(&self, event: PlayerEvent) {
        self.events.lock().expect("poisoned").push_back(event);
        self.ready.notify_one();
    }
}

/// The inboxes of one player's sockets on this gateway.
type PlayerInboxes = Vec<(SessionId, Arc<Inbox>)>;

/// The inboxes of this gateway's sockets, by player.
#[derive(Debug, Default)]
pub struct Inboxes {
    by_player: Mutex<HashMap<PlayerId, PlayerInboxes>>,
}

impl Inboxes {
    /// A socket of `player` opened.
    pub fn register(&self, player: PlayerId, session: SessionId) -> Arc<Inbox> {
        let inbox = Arc::new(Inbox::default());
        self.by_player.lock().expect("poisoned").entry(player).or_default().push((session, inbox.clone()));
        inbox
    }

    /// The socket closed.
    pub fn unregister(&self, player: PlayerId, session: SessionId) {
        let mut map = self.by_player.lock().expect("poisoned");
        if let Some(list) = map.get_mut(&player) {
            list.retain(|(s, _)| *s != session);
            if list.is_empty() {
                map.remove(&player);
            }
        }
    }

    /// Hand an event to every socket of `player` here.
    pub fn deliver(&self, player: PlayerId, event: PlayerEvent) {
        if let Some(list) = self.by_player.lock().expect("poisoned").get(&player) {
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
        assert_eq!(a1.next().await, PlayerEvent::Placed { room: RoomId(7) });
        assert_eq!(a2.next().await, PlayerEvent::Placed { room: RoomId(7) });
        assert!(b.events.lock().unwrap().is_empty());
        inboxes.unregister(ada, 1);
        inboxes.deliver(ada, PlayerEvent::Kicked { room: RoomId(7) });
        assert!(a1.events.lock().unwrap().is_empty(), "an unregistered socket gets nothing");
        assert_eq!(a2.next().await, PlayerEvent::Kicked { room: RoomId(7) });
    }
}
