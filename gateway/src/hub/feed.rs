//! One room's fan-out state in a gateway: its sockets, the epoch it confirmed, the recent
//! frames of that epoch, and the frames of newer epochs held until one is confirmed.
//!
//! Anyone who can publish on NATS can publish a frame, so an epoch is never taken from a
//! frame: only from the room owner's reply to a join or resync ([`Feed::confirm`]) or from
//! the room's epoch in PostgreSQL ([`Feed::settle`]). A frame of the confirmed epoch is
//! fanned out with no extra work; one of an older epoch is dropped (invariant I3); one of a
//! newer epoch waits in `unconfirmed` while a check asks PostgreSQL (paced by
//! `pace.rs`), and is fanned out if the check confirms its epoch.
//!
//! A frame of a per-viewer game comes with every seated player's part (and the spectator
//! part while anyone watches); the feed keeps only the parts of viewers with a socket here
//! ([`Feed::keep_local_parts`], before the frame is fanned out, kept or held) and drops a
//! viewer's parts when its last socket here goes ([`Feed::forget_parts_of`]), so no other
//! player's view outlives the fan-out (I8). A new owner is vouched to for the players
//! seated here, never for spectators.

use super::SessionId;
use super::pace::CheckPace;
use super::role::Role;
use super::sink::{Offer, Sink};
use crate::metrics::Metrics;
use orrery_common::game::Viewer;
use orrery_common::protocol::internal::{Parts, StateFrame};
use orrery_common::{Epoch, PlayerId, Tick};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;
use tokio::task::JoinHandle;

/// Frames kept per room to replay after a joining socket's keyframe, and frames of newer
/// epochs held while their epoch is checked.
const RECENT_FRAMES: usize = 16;

pub(super) struct Feed {
    pub(super) sinks: HashMap<SessionId, Sink>,
    /// The newest epoch confirmed for the room; only its frames are sent.
    pub(super) epoch: Epoch,
    pub(super) latest_tick: Tick,
    /// Frames of `epoch`, newest last.
    pub(super) recent: VecDeque<Arc<StateFrame>>,
    /// Frames of newer epochs than `epoch`, as they came, until a check says which is real.
    unconfirmed: VecDeque<Arc<StateFrame>>,
    pub(super) pace: CheckPace,
    pub(super) task: Option<JoinHandle<()>>,
}

/// What a newly confirmed epoch asks of the hub.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Confirmed {
    /// The players to vouch for with the room's new owner (the epoch replaced one this
    /// gateway already had frames of).
    pub(super) vouch: Option<Vec<PlayerId>>,
    /// Frames of the new epoch that arrived before it was confirmed, to fan out now.
    pub(super) replay: Vec<Arc<StateFrame>>,
}

/// What a socket needs after a frame was fanned out.
pub(super) type Resyncs = Vec<(SessionId, Role)>;

impl Feed {
    pub(super) fn new(now: Instant) -> Self {
        Self {
            sinks: HashMap::new(),
            epoch: Epoch(0),
            latest_tick: Tick(0),
            recent: VecDeque::new(),
            unconfirmed: VecDeque::new(),
            pace: CheckPace::new(now),
            task: None,
        }
    }

    /// Drop the parts of `frame` whose viewers have no socket here (nothing to do for a
    /// shared frame).
    pub(super) fn keep_local_parts(&self, frame: &mut StateFrame) {
        if let Parts::PerViewer(_) = frame.parts {
            frame.retain_parts(|viewer| self.sinks.values().any(|sink| sink.role.viewer() == viewer));
        }
    }

    /// `viewer`'s last socket here went: drop its parts from the frames kept.
    pub(super) fn forget_parts_of(&mut self, viewer: Viewer) {
        if self.sinks.values().any(|sink| sink.role.viewer() == viewer) {
            return;
        }
        for frame in self.recent.iter_mut().chain(self.unconfirmed.iter_mut()) {
            if matches!(frame.parts, Parts::PerViewer(_)) && frame.own_part(viewer).is_some() {
                Arc::make_mut(frame).retain_parts(|v| v != viewer);
            }
        }
    }

    /// Hold a frame of a newer epoch than the confirmed one until a check confirms it.
    pub(super) fn hold(&mut self, frame: StateFrame) {
        if self.unconfirmed.len() == RECENT_FRAMES {
            self.unconfirmed.pop_front();
        }
        self.unconfirmed.push_back(Arc::new(frame));
    }

    /// The room's owner says the room is at `epoch` (a join or resync reply). `None` when
    /// that is not newer than the confirmed epoch.
    pub(super) fn confirm(&mut self, epoch: Epoch) -> Option<Confirmed> {
        if epoch <= self.epoch {
            return None;
        }
        let vouch = (self.epoch > Epoch(0)).then(|| self.sinks.values().filter_map(|sink| sink.role.seated()).collect());
        self.epoch = epoch;
        self.recent.clear();
        let (replay, newer): (Vec<_>, Vec<_>) = self.unconfirmed.drain(..).filter(|f| f.epoch >= epoch).partition(|f| f.epoch == epoch);
        self.unconfirmed = newer.into();
        Some(Confirmed { vouch, replay })
    }

    /// PostgreSQL says the room is at `epoch`: confirm it when it is newer; when it is
    /// older, the confirmed epoch was never the room's (a forged reply), so go back to
    /// `epoch` and make every socket that was sent a frame of the false one take a fresh
    /// keyframe. `None` when nothing changed.
    pub(super) fn settle(&mut self, epoch: Epoch) -> Option<Confirmed> {
        if epoch >= self.epoch {
            return self.confirm(epoch);
        }
        self.epoch = epoch;
        self.recent.clear();
        self.unconfirmed.retain(|f| f.epoch > epoch);
        for sink in self.sinks.values_mut() {
            sink.cursor = sink.cursor.forget_after(epoch);
        }
        Some(Confirmed::default())
    }

    /// Send a frame of the confirmed epoch to every socket that can take it; keep it for
    /// later joiners. The sockets that now need a keyframe nobody asked for yet (marked
    /// as asked), and those that went away (removed).
    pub(super) fn fan_out(&mut self, frame: Arc<StateFrame>, received: Instant, metrics: &Metrics) -> Resyncs {
        self.latest_tick = frame.tick;
        self.recent.push_back(frame.clone());
        if self.recent.len() > RECENT_FRAMES {
            self.recent.pop_front();
        }
        let mut resyncs = Vec::new();
        let mut gone = Vec::new();
        for (id, sink) in self.sinks.iter_mut() {
            match sink.offer(&frame, received, metrics) {
                Offer::Sent | Offer::Skipped => {}
                Offer::Gone => gone.push(*id),
                // Ask only when none is on its way and the socket has room for the answer.
                Offer::NeedKeyframe if sink.cursor.awaits_request() && sink.has_room_for_a_keyframe() => {
                    sink.cursor = sink.cursor.needs_keyframe(true);
                    resyncs.push((*id, sink.role));
                }
                Offer::NeedKeyframe => {}
            }
        }
        for id in gone {
            if let Some(sink) = self.sinks.remove(&id) {
                self.forget_parts_of(sink.role.viewer());
            }
        }
        resyncs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::sink::Cursor;
    use orrery_common::protocol::client::FrameKind;
    use orrery_common::{HistoryPos, RoomId};

    fn frame(epoch: u64, tick: u64) -> StateFrame {
        StateFrame {
            room: RoomId(1),
            epoch: Epoch(epoch),
            tick: Tick(tick),
            kind: FrameKind::Keyframe,
            acks: vec![],
            input_waits_us: vec![],
            payload: vec![],
            parts: Parts::Shared,
        }
    }

    fn feed_with(player: PlayerId) -> Feed {
        let (tx, _rx) = crate::socket::outbox::outbox(4);
        let mut feed = Feed::new(Instant::now());
        feed.sinks.insert(1, Sink::joining(Role::Player(player), tx));
        feed
    }

    #[test]
    fn a_new_owner_is_vouched_to_once_and_only_when_it_replaces_an_owner() {
        let ada = PlayerId::random();
        let mut feed = feed_with(ada);
        assert_eq!(feed.confirm(Epoch(3)).unwrap().vouch, None, "the first owner this gateway sees: its sockets joined it");
        assert_eq!(feed.confirm(Epoch(3)), None);
        assert_eq!(feed.confirm(Epoch(4)).unwrap().vouch, Some(vec![ada]), "a new owner: vouch for ada");
        assert_eq!(feed.confirm(Epoch(4)), None, "once");
        assert_eq!(feed.confirm(Epoch(2)), None, "an older epoch changes nothing");
        assert_eq!(feed.epoch, Epoch(4));
    }

    #[test]
    fn held_frames_of_the_epoch_confirmed_are_replayed_and_forged_ones_stay_held() {
        let mut feed = feed_with(PlayerId::random());
        feed.confirm(Epoch(3));
        feed.hold(frame(1 << 62, 1));
        feed.hold(frame(4, 10));
        feed.hold(frame(4, 11));
        let confirmed = feed.settle(Epoch(4)).expect("a newer epoch");
        let replayed: Vec<_> = confirmed.replay.iter().map(|f| f.pos()).collect();
        assert_eq!(replayed, [HistoryPos::new(Epoch(4), Tick(10)), HistoryPos::new(Epoch(4), Tick(11))]);
        assert_eq!(feed.epoch, Epoch(4));
        assert_eq!(feed.settle(Epoch(4)), None, "PostgreSQL agreeing changes nothing");
        assert_eq!(feed.unconfirmed.len(), 1, "the forged frame is still only held");
    }

    #[test]
    fn a_false_epoch_is_given_up_when_postgresql_says_the_room_is_older() {
        let mut feed = feed_with(PlayerId::random());
        feed.confirm(Epoch(1 << 62));
        feed.sinks.get_mut(&1).unwrap().cursor = Cursor::Live(HistoryPos::new(Epoch(1 << 62), Tick(5)));
        assert!(feed.settle(Epoch(7)).is_some());
        assert_eq!(feed.epoch, Epoch(7));
        assert_eq!(
            feed.sinks[&1].cursor,
            Cursor::NeedsKeyframe { after: None, requested: false },
            "the socket takes the real room's next keyframe"
        );
    }

    #[test]
    fn only_the_parts_of_players_with_a_socket_here_are_kept_and_only_while_they_are() {
        use orrery_common::protocol::internal::ViewPart;
        let (ada, bob) = (PlayerId::random(), PlayerId::random());
        let mut feed = feed_with(ada);
        feed.confirm(Epoch(1));
        let mut f = frame(1, 5);
        let [ada_v, bob_v] = [ada, bob].map(Viewer::Player);
        let parts = vec![
            ViewPart { viewer: ada_v, bytes: vec![1] },
            ViewPart { viewer: bob_v, bytes: vec![2] },
            ViewPart { viewer: Viewer::Spectator, bytes: vec![3] },
        ];
        f.parts = Parts::PerViewer(parts.clone());
        feed.keep_local_parts(&mut f);
        assert_eq!(f.own_part(bob_v), None, "bob plays elsewhere: his part is not kept");
        assert_eq!(f.own_part(Viewer::Spectator), None, "nobody watches here: nor is the spectators'");
        assert_eq!(f.own_part(ada_v), Some(&[1u8][..]));
        let metrics = Metrics::new(&prometheus::Registry::new());
        feed.fan_out(Arc::new(f), Instant::now(), &metrics);
        feed.sinks.remove(&1);
        feed.forget_parts_of(ada_v);
        assert_eq!(feed.recent.back().unwrap().own_part(ada_v), None, "ada's last socket went: so did her parts");

        // A spectator here: the spectator part is kept, no player's; a new owner is not told
        // the spectator is seated.
        let (tx, _rx) = crate::socket::outbox::outbox(4);
        let watcher = Role::Spectator { player: bob, socket: orrery_common::SocketId(5) };
        feed.sinks.insert(2, Sink::joining(watcher, tx));
        let mut f = frame(1, 6);
        f.parts = Parts::PerViewer(parts);
        feed.keep_local_parts(&mut f);
        assert_eq!(
            f.parts,
            Parts::PerViewer(vec![ViewPart { viewer: Viewer::Spectator, bytes: vec![3] }]),
            "bob watches: not his seat's part"
        );
        assert_eq!(feed.confirm(Epoch(2)).unwrap().vouch, Some(vec![]), "a spectator is not vouched for as seated");
    }
}
