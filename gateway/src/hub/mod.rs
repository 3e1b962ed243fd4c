//! Fan-out: one NATS subscription per room with local players, frames to their sockets.
//!
//! The hub keeps, per room (`feed.rs`), the epoch it confirmed and drops frames of lower
//! epochs (invariant I3). An epoch is confirmed by the room owner's reply to a join or a
//! resync, or by the room's epoch in PostgreSQL, never by a frame alone: a frame of a
//! newer epoch is held and starts a check (paced by `pace.rs`, one at a time, so a flood
//! of forged frames costs a few queries), and is sent if the check confirms its epoch.
//! Per socket, a cursor: the position in the room's history of the last frame that socket
//! was sent (`sink.rs` holds the cursor and the one rule that offers a frame to a socket).
//! A socket only ever gets frames after its cursor, and a delta only when it applies to
//! the cursor; anything else (a frame dropped for a slow socket, a gap) switches the
//! socket to "needs a keyframe", which the hub fetches from the room's owner. A joining
//! socket gets the keyframe from its join reply, then the recent frames after it, so the
//! stream has neither duplicates nor gaps. Each socket has a [`Role`]: a seated player, or
//! a spectator, which is written the spectator view and asks for a keyframe by watching again.

mod feed;
pub mod pace;
mod role;
mod sink;

pub use role::Role;

use crate::metrics::Metrics;
use crate::owner_client::OwnerClient;
use crate::room_records::RoomRecords;
use crate::socket::outbox::{Outbound, Outbox};
use feed::{Confirmed, Feed, Resyncs};
use futures::StreamExt;
use orrery_common::names::Names;
use orrery_common::protocol::client::ServerMsg;
use orrery_common::protocol::internal::StateFrame;
use orrery_common::protocol::{decode, encode};
use orrery_common::{PlayerId, RoomId, Tick};
use sink::{Cursor, Offer, Sink};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::debug;

/// A socket's id within this gateway (a counter; it never leaves the process). Room owners
/// know the socket by another id, its random [`orrery_common::SocketId`].
pub type SessionId = u64;

/// The gateway's rooms and the sockets in them.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    nats: async_nats::Client,
    names: Names,
    owner: OwnerClient,
    /// The room's epoch in PostgreSQL, for frames of an epoch not confirmed yet.
    records: RoomRecords,
    metrics: Metrics,
    feeds: Mutex<HashMap<RoomId, Feed>>,
}

impl Hub {
    pub fn new(nats: async_nats::Client, names: Names, owner: OwnerClient, records: RoomRecords, metrics: Metrics) -> Self {
        Self { inner: Arc::new(Inner { nats, names, owner, records, metrics, feeds: Mutex::new(HashMap::new()) }) }
    }

    /// Add a socket to a room's fan-out (subscribing to the room if this is its first).
    /// Frames are held back until [`Hub::deliver_keyframe`].
    /// If the hub gives up on the socket as a slow consumer, it says so on `tx`
    /// ([`Outbox::give_up`]).
    pub async fn attach(&self, room: RoomId, session: SessionId, role: Role, tx: Outbox) -> Result<(), async_nats::SubscribeError> {
        let sink = Sink::joining(role, tx);
        let needs_subscription = {
            let mut feeds = self.inner.feeds.lock().expect("poisoned");
            match feeds.get_mut(&room) {
                Some(feed) => {
                    feed.sinks.insert(session, sink);
                    return Ok(());
                }
                None => Some(sink),
            }
        };
        let subscriber = self.inner.nats.subscribe(self.inner.names.room_state(room)).await?;
        let mut feeds = self.inner.feeds.lock().expect("poisoned");
        let feed = feeds.entry(room).or_insert_with(|| Feed::new(Instant::now()));
        feed.sinks.insert(session, needs_subscription.expect("set above"));
        if feed.task.is_none() {
            feed.task = Some(tokio::spawn(forward_frames(self.clone(), room, subscriber)));
            self.inner.metrics.room_subscriptions.inc();
        }
        Ok(())
    }

    /// Remove a socket; unsubscribe from the room when it was the last one here.
    pub fn detach(&self, room: RoomId, session: SessionId) {
        let mut feeds = self.inner.feeds.lock().expect("poisoned");
        if let Some(feed) = feeds.get_mut(&room) {
            if let Some(sink) = feed.sinks.remove(&session) {
                feed.forget_parts_of(sink.role.viewer());
            }
            if feed.sinks.is_empty() {
                if let Some(task) = feed.task.take() {
                    task.abort();
                }
                feeds.remove(&room);
                self.inner.metrics.room_subscriptions.dec();
            }
        }
    }

    /// The room closed for good: tell its sockets and drop the subscription.
    /// Returns how many sockets were told.
    pub fn close_room(&self, room: RoomId) -> usize {
        let mut feeds = self.inner.feeds.lock().expect("poisoned");
        let Some(mut feed) = feeds.remove(&room) else { return 0 };
        if let Some(task) = feed.task.take() {
            task.abort();
        }
        self.inner.metrics.room_subscriptions.dec();
        let bytes = encode(&ServerMsg::RoomClosed { room });
        for sink in feed.sinks.values() {
            // The final word, even when the queue is full of frames.
            let _ = sink.tx.try_push(Outbound::message(bytes.clone()));
        }
        feed.sinks.len()
    }

    /// Whether `session` is (still) attached to `room`.
    pub fn is_attached(&self, room: RoomId, session: SessionId) -> bool {
        self.inner.feeds.lock().expect("poisoned").get(&room).is_some_and(|f| f.sinks.contains_key(&session))
    }

    /// The newest tick seen of `room`.
    pub fn latest_tick(&self, room: RoomId) -> Option<Tick> {
        self.inner.feeds.lock().expect("poisoned").get(&room).map(|f| f.latest_tick)
    }

    /// Rooms this gateway is subscribed to.
    pub fn rooms(&self) -> Vec<RoomId> {
        self.inner.feeds.lock().expect("poisoned").keys().copied().collect()
    }

    /// Send `session` a keyframe (from a join or resync reply), then the recent frames after it.
    pub fn deliver_keyframe(&self, room: RoomId, session: SessionId, frame: StateFrame) {
        let mut feeds = self.inner.feeds.lock().expect("poisoned");
        let Some(feed) = feeds.get_mut(&room) else { return };
        if frame.epoch < feed.epoch {
            // The owner changed since this keyframe was taken; the new one's first frame is a keyframe.
            self.inner.metrics.stale_epoch_frames.inc();
            if let Some(sink) = feed.sinks.get_mut(&session) {
                sink.cursor = Cursor::NeedsKeyframe { after: None, requested: false };
            }
            return;
        }
        // The owner's reply confirms its epoch; it can come before the first frame of it.
        let now = Instant::now();
        if let Some(confirmed) = feed.confirm(frame.epoch) {
            self.after_confirmed(room, feed, confirmed, now);
        }
        let Some(sink) = feed.sinks.get_mut(&session) else { return };
        // Treat the socket as needing exactly this keyframe; `offer` skips it if the
        // socket already has something newer.
        sink.cursor = sink.cursor.needs_keyframe(true);
        let frame = Arc::new(frame);
        if matches!(sink.offer(&frame, now, &self.inner.metrics), Offer::Sent) {
            for recent in feed.recent.iter().filter(|f| f.epoch == frame.epoch && f.tick > frame.tick) {
                if !matches!(sink.offer(recent, now, &self.inner.metrics), Offer::Sent) {
                    break;
                }
            }
        }
        // Not (fully) delivered: ask again on a later frame.
        sink.cursor.ask_again();
    }

    fn on_frame(&self, room: RoomId, bytes: &[u8]) {
        let received = Instant::now();
        let Ok(mut frame) = decode::<StateFrame>(bytes) else {
            debug!(%room, "undecodable state frame ignored");
            return;
        };
        let mut feeds = self.inner.feeds.lock().expect("poisoned");
        let Some(feed) = feeds.get_mut(&room) else { return };
        feed.keep_local_parts(&mut frame);
        if frame.epoch == feed.epoch {
            let resyncs = feed.fan_out(Arc::new(frame), received, &self.inner.metrics);
            drop(feeds);
            self.spawn_resyncs(room, resyncs);
            return;
        }
        if frame.epoch < feed.epoch {
            // An old owner still publishing; or the confirmed epoch is false (a forged
            // reply), which the check finds and undoes.
            self.inner.metrics.stale_epoch_frames.inc();
        } else {
            // A new owner, or a forgery: held until PostgreSQL says which.
            self.inner.metrics.unconfirmed_epoch_frames.inc();
            feed.hold(frame);
        }
        if feed.pace.begin(received) {
            let hub = self.clone();
            tokio::spawn(async move { hub.check_epoch(room).await });
        }
    }

    /// Ask PostgreSQL for `room`'s epoch and settle the feed on it (started by
    /// [`Hub::on_frame`] under the feed's [`pace::CheckPace`]).
    async fn check_epoch(&self, room: RoomId) {
        self.inner.metrics.epoch_checks.inc();
        let found = self.inner.records.epoch(room).await;
        let now = Instant::now();
        let mut feeds = self.inner.feeds.lock().expect("poisoned");
        let Some(feed) = feeds.get_mut(&room) else { return };
        let settled = match found {
            Ok(Some(epoch)) => feed.settle(epoch),
            Ok(None) => None,
            Err(e) => {
                debug!(%room, error = %e, "cannot read the room's epoch; checking again on a later frame");
                None
            }
        };
        feed.pace.finish(now, settled.is_some());
        if let Some(confirmed) = settled {
            self.after_confirmed(room, feed, confirmed, now);
        }
    }

    /// A newer epoch was confirmed: fan out the frames of it that were held, and vouch for
    /// this gateway's sockets with the room's new owner.
    fn after_confirmed(&self, room: RoomId, feed: &mut Feed, confirmed: Confirmed, now: Instant) {
        let mut resyncs = Vec::new();
        for frame in confirmed.replay {
            resyncs.extend(feed.fan_out(frame, now, &self.inner.metrics));
        }
        self.spawn_resyncs(room, resyncs);
        if let Some(players) = confirmed.vouch {
            self.spawn_vouch(room, players);
        }
    }

    fn spawn_resyncs(&self, room: RoomId, resyncs: Resyncs) {
        for (session, role) in resyncs {
            self.inner.metrics.resyncs.inc();
            let hub = self.clone();
            tokio::spawn(async move {
                hub.resync(room, session, role).await;
            });
        }
    }

    fn spawn_vouch(&self, room: RoomId, players: Vec<PlayerId>) {
        let hub = self.clone();
        tokio::spawn(async move { hub.vouch(room, players).await });
    }

    /// Tell a room's new owner which players have a socket here (`ControlRequest::Present`),
    /// so it does not disconnect them, within its confirmation window.
    async fn vouch(&self, room: RoomId, players: Vec<PlayerId>) {
        if let Err(e) = self.inner.owner.vouch(room, players).await {
            debug!(%room, error = %e, "the room's new owner did not take our vouching");
        }
    }

    /// Fetch a keyframe for `session` from the room's owner (a `resync` trace: the
    /// owner's span continues it through the request's headers); a spectator's is a watch
    /// again, so an owner that does not know it (a restored room) registers it. False when
    /// the owner did not answer with a keyframe (none, failing over, or no room for one more
    /// spectator); the hub asks again on a later frame.
    #[tracing::instrument(name = "resync", skip(self, room, role), fields(%room, ?role))]
    pub async fn resync(&self, room: RoomId, session: SessionId, role: Role) -> bool {
        let keyframe = match role {
            Role::Player(player) => self.inner.owner.resync(room, player).await,
            Role::Spectator { player, socket } => self.inner.owner.watch(room, player, socket).await,
        };
        match keyframe {
            Ok(keyframe) => {
                self.deliver_keyframe(room, session, keyframe.frame);
                true
            }
            Err(e) => {
                debug!(%room, error = %e, "no keyframe; asking again on a later frame");
                let mut feeds = self.inner.feeds.lock().expect("poisoned");
                if let Some(sink) = feeds.get_mut(&room).and_then(|f| f.sinks.get_mut(&session)) {
                    sink.cursor.ask_again();
                }
                false
            }
        }
    }
}

/// A room's subscription task: every message on `room.<id>.state` goes to
/// [`Hub::on_frame`], until [`Hub::detach`] or [`Hub::close_room`] aborts the task.
async fn forward_frames(hub: Hub, room: RoomId, mut subscriber: async_nats::Subscriber) {
    while let Some(msg) = subscriber.next().await {
        hub.on_frame(room, &msg.payload);
    }
}
