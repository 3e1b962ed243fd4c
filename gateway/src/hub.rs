//! Fan-out: one NATS subscription per room with local players, frames to their sockets.
//!
//! The hub keeps, per room, the highest epoch it has seen and drops frames of lower
//! epochs (invariant I3), and per socket a cursor: the (epoch, tick) of the last frame
//! that socket was sent. A socket only ever gets frames after its cursor, and a delta
//! only when it applies to the cursor; anything else (a frame dropped for a slow
//! socket, a gap) switches the socket to "needs a keyframe", which the hub fetches
//! from the room's owner. A joining socket gets the keyframe from its join reply,
//! then the recent frames after it, so the stream has neither duplicates nor gaps.

use crate::metrics::Metrics;
use crate::outbox::{Outbound, Outbox, TryPushError};
use futures::StreamExt;
use orrery_common::names::Names;
use orrery_common::protocol::client::{FrameKind, ServerMsg};
use orrery_common::protocol::internal::{ControlReply, ControlRequest, StateFrame};
use orrery_common::protocol::{decode, encode};
use orrery_common::trace_context;
use orrery_common::{Epoch, HistoryPos, PlayerId, RoomId, Tick};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// A socket's id within this gateway (a counter; it never leaves the process). Room owners
/// know the socket by another id, its random [`orrery_common::SocketId`].
pub type SessionId = u64;

/// How long a gateway keeps trying to vouch for its sockets with a room's new owner (which
/// waits 5 s, `SEAT_CONFIRMATION`, before it disconnects the players nobody vouched for).
const VOUCH_PATIENCE: std::time::Duration = std::time::Duration::from_secs(3);

/// Frames kept per room to replay after a joining socket's keyframe.
const RECENT_FRAMES: usize = 16;
/// Frames dropped in a row for a socket before it is disconnected as a slow consumer.
const MAX_DROPPED_IN_A_ROW: u32 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    /// Waiting for the keyframe of its join.
    Joining,
    /// Sent frames up to here; the next must chain from there.
    Live(HistoryPos),
    /// Missed something after `after`: only a keyframe helps. `requested` when one is on its way.
    NeedsKeyframe { after: Option<HistoryPos>, requested: bool },
}

impl Cursor {
    /// The newest position the socket has (or had before it missed something).
    fn position(self) -> Option<HistoryPos> {
        match self {
            Cursor::Live(pos) => Some(pos),
            Cursor::NeedsKeyframe { after, .. } => after,
            Cursor::Joining => None,
        }
    }
}

struct Sink {
    player: PlayerId,
    tx: Outbox,
    /// Cancelled when the socket is dropped as a slow consumer.
    slow: CancellationToken,
    cursor: Cursor,
    dropped_in_a_row: u32,
}

struct Feed {
    sinks: HashMap<SessionId, Sink>,
    max_epoch: Epoch,
    latest_tick: Tick,
    recent: VecDeque<Arc<StateFrame>>,
    task: Option<JoinHandle<()>>,
}

impl Feed {
    /// `epoch` was seen. When it replaces an epoch this gateway already had frames of (a
    /// new owner restored the room), the players to vouch for with the new owner.
    fn raise_epoch(&mut self, epoch: Epoch) -> Option<Vec<PlayerId>> {
        if epoch <= self.max_epoch {
            return None;
        }
        let vouch = (self.max_epoch > Epoch(0)).then(|| self.sinks.values().map(|sink| sink.player).collect());
        self.max_epoch = epoch;
        vouch
    }
}

/// The gateway's rooms and the sockets in them.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    nats: async_nats::Client,
    names: Names,
    metrics: Metrics,
    feeds: Mutex<HashMap<RoomId, Feed>>,
}

/// What `offer` decided about one frame for one sink.
enum Offer {
    Sent,
    Skipped,
    NeedKeyframe,
    Gone,
}

impl Hub {
    pub fn new(nats: async_nats::Client, names: Names, metrics: Metrics) -> Self {
        Self { inner: Arc::new(Inner { nats, names, metrics, feeds: Mutex::new(HashMap::new()) }) }
    }

    /// Add a socket to a room's fan-out (subscribing to the room if this is its first).
    /// Frames are held back until [`Hub::deliver_keyframe`].
    /// `slow` is cancelled if the hub gives up on the socket as a slow consumer.
    pub async fn attach(
        &self,
        room: RoomId,
        session: SessionId,
        player: PlayerId,
        tx: Outbox,
        slow: CancellationToken,
    ) -> Result<(), async_nats::SubscribeError> {
        let sink = Sink { player, tx, slow, cursor: Cursor::Joining, dropped_in_a_row: 0 };
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
        let feed = feeds.entry(room).or_insert_with(|| Feed {
            sinks: HashMap::new(),
            max_epoch: Epoch(0),
            latest_tick: Tick(0),
            recent: VecDeque::new(),
            task: None,
        });
        feed.sinks.insert(session, needs_subscription.expect("set above"));
        if feed.task.is_none() {
            let hub = self.clone();
            feed.task = Some(tokio::spawn(async move {
                let mut subscriber = subscriber;
                while let Some(msg) = subscriber.next().await {
                    hub.on_frame(room, &msg.payload);
                }
            }));
            self.inner.metrics.room_subscriptions.inc();
        }
        Ok(())
    }

    /// Remove a socket; unsubscribe from the room when it was the last one here.
    pub fn detach(&self, room: RoomId, session: SessionId) {
        let mut feeds = self.inner.feeds.lock().expect("poisoned");
        if let Some(feed) = feeds.get_mut(&room) {
            feed.sinks.remove(&session);
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
        if frame.epoch < feed.max_epoch {
            // The owner changed since this keyframe was taken; the new one's first frame is a keyframe.
            self.inner.metrics.stale_epoch_frames.inc();
            if let Some(sink) = feed.sinks.get_mut(&session) {
                sink.cursor = Cursor::NeedsKeyframe { after: None, requested: false };
            }
            return;
        }
        if let Some(players) = feed.raise_epoch(frame.epoch) {
            // A join or resync reply can bring the new owner's epoch before its first frame does.
            self.spawn_vouch(room, players);
        }
        let Some(sink) = feed.sinks.get_mut(&session) else { return };
        let after = sink.cursor.position();
        // Treat the socket as needing exactly this keyframe; `offer` skips it if the
        // socket already has something newer.
        sink.cursor = Cursor::NeedsKeyframe { after, requested: true };
        let frame = Arc::new(frame);
        let now = Instant::now();
        if matches!(offer(sink, &frame, now, &self.inner.metrics), Offer::Sent) {
            for recent in feed.recent.iter().filter(|f| f.epoch == frame.epoch && f.tick > frame.tick) {
                if !matches!(offer(sink, recent, now, &self.inner.metrics), Offer::Sent) {
                    break;
                }
            }
        }
        if let Cursor::NeedsKeyframe { requested, .. } = &mut sink.cursor {
            // Not (fully) delivered: ask again on a later frame.
            *requested = false;
        }
    }

    fn on_frame(&self, room: RoomId, bytes: &[u8]) {
        let received = Instant::now();
        let Ok(frame) = decode::<StateFrame>(bytes) else {
            debug!(%room, "undecodable state frame ignored");
            return;
        };
        let mut resyncs = Vec::new();
        let mut present = None;
        {
            let mut feeds = self.inner.feeds.lock().expect("poisoned");
            let Some(feed) = feeds.get_mut(&room) else { return };
            if frame.epoch < feed.max_epoch {
                self.inner.metrics.stale_epoch_frames.inc();
                return;
            }
            if frame.epoch > feed.max_epoch {
                // A new owner restored the room: vouch for this gateway's sockets in it.
                present = feed.raise_epoch(frame.epoch);
                feed.recent.clear();
            }
            feed.latest_tick = frame.tick;
            let frame = Arc::new(frame);
            feed.recent.push_back(frame.clone());
            if feed.recent.len() > RECENT_FRAMES {
                feed.recent.pop_front();
            }
            let mut gone = Vec::new();
            for (id, sink) in feed.sinks.iter_mut() {
                match offer(sink, &frame, received, &self.inner.metrics) {
                    Offer::Sent | Offer::Skipped => {}
                    Offer::Gone => gone.push(*id),
                    Offer::NeedKeyframe => {
                        if let Cursor::NeedsKeyframe { requested: requested @ false, .. } = &mut sink.cursor {
                            // Ask only when the socket has room for the answer.
                            if sink.tx.free() * 2 >= sink.tx.capacity() {
                                *requested = true;
                                resyncs.push((*id, sink.player));
                            }
                        }
                    }
                }
            }
            for id in gone {
                feed.sinks.remove(&id);
            }
        }
        for (session, player) in resyncs {
            self.inner.metrics.resyncs.inc();
            let hub = self.clone();
            tokio::spawn(async move {
                hub.resync(room, session, player).await;
            });
        }
        if let Some(players) = present {
            self.spawn_vouch(room, players);
        }
    }

    fn spawn_vouch(&self, room: RoomId, players: Vec<PlayerId>) {
        let hub = self.clone();
        tokio::spawn(async move { hub.vouch(room, players).await });
    }

    /// Tell a room's new owner which players have a socket here (`ControlRequest::Present`),
    /// so it does not disconnect them, within its confirmation window.
    async fn vouch(&self, room: RoomId, players: Vec<PlayerId>) {
        let request = ControlRequest::Present { players };
        if crate::control(&self.inner.nats, &self.inner.names, room, &request, VOUCH_PATIENCE).await.is_none() {
            debug!(%room, "the room's new owner did not answer our vouching");
        }
    }

    /// Fetch a keyframe for `session` from the room's owner (a `resync` trace: the
    /// owner's span continues it through the request's headers). False when the owner
    /// did not answer with a keyframe (none, or failing over); the hub asks again on a
    /// later frame.
    #[tracing::instrument(name = "resync", skip(self, room, player), fields(%room, %player))]
    pub async fn resync(&self, room: RoomId, session: SessionId, player: PlayerId) -> bool {
        let subject = self.inner.names.room_control(room);
        let req = encode(&ControlRequest::Resync { player });
        let request = self.inner.nats.request_with_headers(subject, trace_context::headers(), req.into());
        let reply = tokio::time::timeout(std::time::Duration::from_secs(2), request).await;
        match reply.ok().and_then(Result::ok).and_then(|m| decode::<ControlReply>(&m.payload).ok()) {
            Some(ControlReply::Keyframe { frame, .. }) => {
                self.deliver_keyframe(room, session, frame);
                true
            }
            _ => {
                // Try again on a later frame.
                let mut feeds = self.inner.feeds.lock().expect("poisoned");
                if let Some(sink) = feeds.get_mut(&room).and_then(|f| f.sinks.get_mut(&session))
                    && let Cursor::NeedsKeyframe { requested, .. } = &mut sink.cursor
                {
                    *requested = false;
                }
                false
            }
        }
    }
}

/// Offer one frame, which the gateway has had since `since`, to one socket, keeping its
/// cursor honest.
fn offer(sink: &mut Sink, frame: &StateFrame, since: Instant, metrics: &Metrics) -> Offer {
    let at = frame.pos();
    let chains = match (sink.cursor, frame.kind) {
        (Cursor::Joining, _) => return Offer::Skipped,
        (Cursor::Live(c), _) if c >= at => return Offer::Skipped,
        (Cursor::NeedsKeyframe { after: Some(c), .. }, _) if c >= at => return Offer::Skipped,
        (_, FrameKind::Keyframe) => true,
        (Cursor::Live(c), FrameKind::Delta { base }) => c == HistoryPos::new(frame.epoch, base),
        (Cursor::NeedsKeyframe { .. }, FrameKind::Delta { .. }) => false,
    };
    if !chains {
        if let Cursor::Live(c) = sink.cursor {
            metrics.frames_dropped.with_label_values(&["gap"]).inc();
            sink.cursor = Cursor::NeedsKeyframe { after: Some(c), requested: false };
        }
        return Offer::NeedKeyframe;
    }
    let bytes = frame.encode_for(sink.player);
    let len = bytes.len();
    match sink.tx.try_push(Outbound::frame(bytes, since, frame.applied_input_of(sink.player))) {
        Ok(()) => {
            metrics.messages_out.inc();
            metrics.bytes_out.inc_by(len as u64);
            sink.cursor = Cursor::Live(at);
            sink.dropped_in_a_row = 0;
            Offer::Sent
        }
        Err(TryPushError::Full(_)) => {
            metrics.frames_dropped.with_label_values(&["slow_consumer"]).inc();
            sink.dropped_in_a_row += 1;
            sink.cursor = Cursor::NeedsKeyframe { after: sink.cursor.position(), requested: false };
            if sink.dropped_in_a_row > MAX_DROPPED_IN_A_ROW {
                sink.slow.cancel();
                return Offer::Gone;
            }
            Offer::NeedKeyframe
        }
        Err(TryPushError::Closed(_)) => Offer::Gone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(tick: u64, kind: FrameKind) -> StateFrame {
        StateFrame {
            room: RoomId(1),
            epoch: Epoch(1),
            tick: Tick(tick),
            kind,
            acks: vec![],
            input_waits_us: vec![],
            payload: vec![1, 2, 3],
        }
    }

    fn delta(tick: u64) -> StateFrame {
        frame(tick, FrameKind::Delta { base: Tick(tick - 1) })
    }

    #[test]
    fn a_slow_socket_loses_frames_not_memory_then_gets_a_keyframe_or_is_dropped() {
        let metrics = Metrics::new(&prometheus::Registry::new());
        let (tx, mut rx) = crate::outbox::outbox(4);
        let slow = CancellationToken::new();
        let mut sink = Sink {
            player: PlayerId::random(),
            tx,
            slow: slow.clone(),
            cursor: Cursor::Live(HistoryPos::new(Epoch(1), Tick(10))),
            dropped_in_a_row: 0,
        };

        // The queue holds 4 frames; the 5th is dropped, never queued or waited for.
        for t in 11..=14 {
            assert!(matches!(offer(&mut sink, &delta(t), Instant::now(), &metrics), Offer::Sent));
        }
        assert!(matches!(offer(&mut sink, &delta(15), Instant::now(), &metrics), Offer::NeedKeyframe));
        assert_eq!(metrics.frames_dropped.with_label_values(&["slow_consumer"]).get(), 1);
        // Deltas no longer apply to what it has: it needs a keyframe.
        assert!(matches!(offer(&mut sink, &delta(16), Instant::now(), &metrics), Offer::NeedKeyframe));

        // It catches up (reads its queue); the next keyframe goes through and deltas chain again.
        while rx.try_recv().is_some() {}
        assert!(matches!(offer(&mut sink, &frame(17, FrameKind::Keyframe), Instant::now(), &metrics), Offer::Sent));
        assert!(matches!(offer(&mut sink, &delta(18), Instant::now(), &metrics), Offer::Sent));
        assert_eq!(sink.cursor, Cursor::Live(HistoryPos::new(Epoch(1), Tick(18))));

        // A socket that never catches up is given up on, and its session is told.
        let mut t = 19;
        let gone = loop {
            match offer(&mut sink, &frame(t, FrameKind::Keyframe), Instant::now(), &metrics) {
                Offer::Gone => break true,
                _ if t > 200 => break false,
                _ => t += 1,
            }
        };
        assert!(gone && slow.is_cancelled(), "dropped as a slow consumer after {} frames", t - 19);
    }

    #[test]
    fn a_new_owner_is_vouched_to_once_and_only_when_it_replaces_an_owner() {
        let (tx, _rx) = crate::outbox::outbox(4);
        let ada = PlayerId::random();
        let sink = Sink { player: ada, tx, slow: CancellationToken::new(), cursor: Cursor::Joining, dropped_in_a_row: 0 };
        let mut feed =
            Feed { sinks: HashMap::from([(1, sink)]), max_epoch: Epoch(0), latest_tick: Tick(0), recent: VecDeque::new(), task: None };
        assert_eq!(feed.raise_epoch(Epoch(3)), None, "the first owner this gateway sees: its sockets joined it");
        assert_eq!(feed.raise_epoch(Epoch(3)), None);
        assert_eq!(feed.raise_epoch(Epoch(4)), Some(vec![ada]), "a new owner: vouch for ada");
        assert_eq!(feed.raise_epoch(Epoch(4)), None, "once");
        assert_eq!(feed.raise_epoch(Epoch(2)), None, "an older epoch changes nothing");
        assert_eq!(feed.max_epoch, Epoch(4));
    }

    #[test]
    fn frames_at_or_before_the_cursor_and_older_epochs_are_never_sent() {
        let metrics = Metrics::new(&prometheus::Registry::new());
        let (tx, _rx) = crate::outbox::outbox(16);
        let mut sink = Sink {
            player: PlayerId::random(),
            tx,
            slow: CancellationToken::new(),
            cursor: Cursor::Live(HistoryPos::new(Epoch(2), Tick(5))),
            dropped_in_a_row: 0,
        };
        assert!(matches!(offer(&mut sink, &frame(5, FrameKind::Keyframe), Instant::now(), &metrics), Offer::Skipped));
        let mut old = frame(9, FrameKind::Keyframe);
        old.epoch = Epoch(1);
        assert!(matches!(offer(&mut sink, &old, Instant::now(), &metrics), Offer::Skipped), "(1, 9) is before (2, 5)");
        let mut newer = frame(3, FrameKind::Keyframe);
        newer.epoch = Epoch(3);
        assert!(matches!(offer(&mut sink, &newer, Instant::now(), &metrics), Offer::Sent), "a new epoch's keyframe goes through");
    }
}
