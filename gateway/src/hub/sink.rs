//! One socket in a room's fan-out: its cursor, what it was sent last, and [`Sink::offer`],
//! the one rule that decides whether a frame goes to it.
//!
//! A socket only ever gets frames after what it was sent last, and a delta only when it
//! applies to that; anything else (a frame dropped because the socket is slow, a gap)
//! makes it need a keyframe, which the hub asks the room's owner for. A socket is written
//! a frame only as its own viewer sees it ([`StateFrame::encode_for`] with its
//! [`Role::viewer`], I8): a frame of a per-viewer game without a part for the socket's
//! viewer (its player, or the spectators) is a gap for that socket.

use super::role::Role;
use crate::metrics::Metrics;
use crate::socket::outbox::{Outbound, Outbox, TryPushError};
use orrery_common::protocol::client::FrameKind;
use orrery_common::protocol::internal::StateFrame;
use orrery_common::{Epoch, HistoryPos};
use std::time::Instant;

/// Frames dropped in a row for a socket before it is disconnected as a slow consumer.
const MAX_DROPPED_IN_A_ROW: u32 = 90;

/// Where a socket is in its room's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cursor {
    /// Waiting for the keyframe of its join.
    Joining,
    /// Sent frames up to here; the next must chain from there.
    Live(HistoryPos),
    /// Missed something after `after`: only a keyframe helps. `requested` when one is on its way.
    NeedsKeyframe { after: Option<HistoryPos>, requested: bool },
}

impl Cursor {
    /// What the socket was sent last (or had before it missed something).
    fn sent_last(self) -> Option<HistoryPos> {
        match self {
            Cursor::Live(pos) => Some(pos),
            Cursor::NeedsKeyframe { after, .. } => after,
            Cursor::Joining => None,
        }
    }

    /// Only a keyframe after what the socket was sent last helps now; `requested` when one
    /// has been asked for.
    pub(super) fn needs_keyframe(self, requested: bool) -> Cursor {
        Cursor::NeedsKeyframe { after: self.sent_last(), requested }
    }

    /// The cursor after the room's confirmed epoch went back to `epoch` (the one it had was
    /// false): a socket that was sent anything newer starts again from a keyframe.
    pub(super) fn forget_after(self, epoch: Epoch) -> Cursor {
        match self.sent_last() {
            Some(last) if last.epoch > epoch => Cursor::NeedsKeyframe { after: None, requested: false },
            _ => self,
        }
    }

    /// Whether the socket needs a keyframe that nobody has asked for yet.
    pub(super) fn awaits_request(self) -> bool {
        matches!(self, Cursor::NeedsKeyframe { requested: false, .. })
    }

    /// The keyframe asked for did not come (or not all of what follows it): ask again on a
    /// later frame.
    pub(super) fn ask_again(&mut self) {
        if let Cursor::NeedsKeyframe { requested, .. } = self {
            *requested = false;
        }
    }
}

/// A socket attached to a room.
pub(super) struct Sink {
    pub(super) role: Role,
    /// The socket's queue; also where the hub gives up on it as a slow consumer
    /// ([`Outbox::give_up`]).
    pub(super) tx: Outbox,
    pub(super) cursor: Cursor,
    dropped_in_a_row: u32,
}

/// What [`Sink::offer`] decided about one frame.
pub(super) enum Offer {
    Sent,
    Skipped,
    NeedKeyframe,
    Gone,
}

impl Sink {
    /// A socket that joined (or watches) and waits for its keyframe.
    pub(super) fn joining(role: Role, tx: Outbox) -> Self {
        Self { role, tx, cursor: Cursor::Joining, dropped_in_a_row: 0 }
    }

    /// Whether the socket's queue has room for a keyframe and what follows it (half empty).
    pub(super) fn has_room_for_a_keyframe(&self) -> bool {
        self.tx.free() * 2 >= self.tx.capacity()
    }

    /// Offer one frame, which the gateway has had since `since`, keeping the cursor honest.
    pub(super) fn offer(&mut self, frame: &StateFrame, since: Instant, metrics: &Metrics) -> Offer {
        let at = frame.pos();
        let chains = match (self.cursor, frame.kind) {
            (Cursor::Joining, _) => return Offer::Skipped,
            (cursor, _) if cursor.sent_last().is_some_and(|last| last >= at) => return Offer::Skipped,
            (_, FrameKind::Keyframe) => true,
            (Cursor::Live(last), FrameKind::Delta { base }) => last == HistoryPos::new(frame.epoch, base),
            (Cursor::NeedsKeyframe { .. }, FrameKind::Delta { .. }) => false,
        };
        // The frame as this socket's viewer sees it; none when it has no part for the viewer.
        let bytes = if chains { frame.encode_for(self.role.viewer()) } else { None };
        let Some(bytes) = bytes else {
            if let Cursor::Live(_) = self.cursor {
                metrics.frames_dropped.with_label_values(&["gap"]).inc();
                self.cursor = self.cursor.needs_keyframe(false);
            }
            return Offer::NeedKeyframe;
        };
        let len = bytes.len();
        let applied = self.role.seated().and_then(|player| frame.applied_input_of(player));
        match self.tx.try_push(Outbound::frame(bytes, since, applied)) {
            Ok(()) => {
                metrics.messages_out.inc();
                metrics.bytes_out.inc_by(len as u64);
                self.cursor = Cursor::Live(at);
                self.dropped_in_a_row = 0;
                Offer::Sent
            }
            Err(TryPushError::Full(_)) => {
                metrics.frames_dropped.with_label_values(&["slow_consumer"]).inc();
                self.dropped_in_a_row += 1;
                self.cursor = self.cursor.needs_keyframe(false);
                if self.dropped_in_a_row > MAX_DROPPED_IN_A_ROW {
                    self.tx.give_up();
                    return Offer::Gone;
                }
                Offer::NeedKeyframe
            }
            Err(TryPushError::Closed(_)) => Offer::Gone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_common::game::Viewer;
    use orrery_common::protocol::client::ServerMsg;
    use orrery_common::protocol::decode;
    use orrery_common::protocol::internal::{Parts, ViewPart};
    use orrery_common::{PlayerId, RoomId, SocketId, Tick};

    fn frame(tick: u64, kind: FrameKind) -> StateFrame {
        StateFrame {
            room: RoomId(1),
            epoch: Epoch(1),
            tick: Tick(tick),
            kind,
            acks: vec![],
            input_waits_us: vec![],
            payload: vec![1, 2, 3],
            parts: Parts::Shared,
        }
    }

    fn delta(tick: u64) -> StateFrame {
        frame(tick, FrameKind::Delta { base: Tick(tick - 1) })
    }

    #[test]
    fn a_slow_socket_loses_frames_not_memory_then_gets_a_keyframe_or_is_dropped() {
        let metrics = Metrics::new(&prometheus::Registry::new());
        let (tx, mut rx) = crate::socket::outbox::outbox(4);
        let given_up = tx.clone();
        let mut sink = Sink {
            role: Role::Player(PlayerId::random()),
            tx,
            cursor: Cursor::Live(HistoryPos::new(Epoch(1), Tick(10))),
            dropped_in_a_row: 0,
        };

        // The queue holds 4 frames; the 5th is dropped, never queued or waited for.
        for t in 11..=14 {
            assert!(matches!(sink.offer(&delta(t), Instant::now(), &metrics), Offer::Sent));
        }
        assert!(matches!(sink.offer(&delta(15), Instant::now(), &metrics), Offer::NeedKeyframe));
        assert_eq!(metrics.frames_dropped.with_label_values(&["slow_consumer"]).get(), 1);
        // Deltas no longer apply to what it has: it needs a keyframe.
        assert!(matches!(sink.offer(&delta(16), Instant::now(), &metrics), Offer::NeedKeyframe));

        // It catches up (reads its queue); the next keyframe goes through and deltas chain again.
        while rx.try_recv().is_some() {}
        assert!(matches!(sink.offer(&frame(17, FrameKind::Keyframe), Instant::now(), &metrics), Offer::Sent));
        assert!(matches!(sink.offer(&delta(18), Instant::now(), &metrics), Offer::Sent));
        assert_eq!(sink.cursor, Cursor::Live(HistoryPos::new(Epoch(1), Tick(18))));

        // A socket that never catches up is given up on, and its session is told.
        let mut t = 19;
        let gone = loop {
            match sink.offer(&frame(t, FrameKind::Keyframe), Instant::now(), &metrics) {
                Offer::Gone => break true,
                _ if t > 200 => break false,
                _ => t += 1,
            }
        };
        assert!(
            gone && given_up.poll_given_up(&mut std::task::Context::from_waker(std::task::Waker::noop())).is_ready(),
            "dropped as a slow consumer after {} frames",
            t - 19
        );
    }

    #[test]
    fn frames_at_or_before_the_cursor_and_older_epochs_are_never_sent() {
        let metrics = Metrics::new(&prometheus::Registry::new());
        let (tx, _rx) = crate::socket::outbox::outbox(16);
        let mut sink = Sink {
            role: Role::Player(PlayerId::random()),
            tx,
            cursor: Cursor::Live(HistoryPos::new(Epoch(2), Tick(5))),
            dropped_in_a_row: 0,
        };
        assert!(matches!(sink.offer(&frame(5, FrameKind::Keyframe), Instant::now(), &metrics), Offer::Skipped));
        let mut old = frame(9, FrameKind::Keyframe);
        old.epoch = Epoch(1);
        assert!(matches!(sink.offer(&old, Instant::now(), &metrics), Offer::Skipped), "(1, 9) is before (2, 5)");
        let mut newer = frame(3, FrameKind::Keyframe);
        newer.epoch = Epoch(3);
        assert!(matches!(sink.offer(&newer, Instant::now(), &metrics), Offer::Sent), "a new epoch's keyframe goes through");
    }

    #[test]
    fn a_socket_is_written_only_its_own_players_part_and_a_frame_without_one_is_a_gap() {
        let metrics = Metrics::new(&prometheus::Registry::new());
        let (tx, mut rx) = crate::socket::outbox::outbox(16);
        let (ada, bob) = (PlayerId::random(), PlayerId::random());
        let mut sink = Sink { role: Role::Player(ada), tx, cursor: Cursor::Live(HistoryPos::new(Epoch(1), Tick(10))), dropped_in_a_row: 0 };
        let with_parts = |mut frame: StateFrame, parts: Vec<(Viewer, u8)>| {
            frame.parts = Parts::PerViewer(parts.into_iter().map(|(viewer, b)| ViewPart { viewer, bytes: vec![b] }).collect());
            frame
        };
        assert!(matches!(
            sink.offer(
                &with_parts(delta(11), vec![(Viewer::Player(bob), 0xB), (Viewer::Player(ada), 0xA), (Viewer::Spectator, 0x5)]),
                Instant::now(),
                &metrics
            ),
            Offer::Sent
        ));
        let sent = rx.try_recv().expect("queued");
        let Ok(ServerMsg::Frame(f)) = decode::<ServerMsg>(&sent.bytes) else { panic!("a frame") };
        assert_eq!(f.payload, vec![1, 2, 3, 0xA], "the shared part and ada's part, not bob's");
        // A frame with no part for ada is not hers to have: she needs a keyframe.
        assert!(matches!(
            sink.offer(&with_parts(delta(12), vec![(Viewer::Player(bob), 0xB), (Viewer::Spectator, 0x5)]), Instant::now(), &metrics),
            Offer::NeedKeyframe
        ));
        assert!(rx.try_recv().is_none(), "nothing written");
        assert_eq!(sink.cursor, Cursor::NeedsKeyframe { after: Some(HistoryPos::new(Epoch(1), Tick(11))), requested: false });
    }

    #[test]
    fn a_spectator_socket_is_written_the_spectator_part_only_and_no_players_ack() {
        let metrics = Metrics::new(&prometheus::Registry::new());
        let (tx, mut rx) = crate::socket::outbox::outbox(16);
        let (ada, eve) = (PlayerId::random(), PlayerId::random());
        // Eve watches; she is not seated, but her id has acks in the frame all the same
        // (she played earlier): a spectator is never told a player's ack.
        let mut sink = Sink {
            role: Role::Spectator { player: eve, socket: SocketId(9) },
            tx,
            cursor: Cursor::Live(HistoryPos::new(Epoch(1), Tick(10))),
            dropped_in_a_row: 0,
        };
        let mut f = delta(11);
        f.acks = vec![(ada, orrery_common::InputSeq(3)), (eve, orrery_common::InputSeq(4))];
        f.parts = Parts::PerViewer(vec![
            ViewPart { viewer: Viewer::Player(ada), bytes: vec![0xA] },
            ViewPart { viewer: Viewer::Player(eve), bytes: vec![0xE] },
            ViewPart { viewer: Viewer::Spectator, bytes: vec![0x5] },
        ]);
        assert!(matches!(sink.offer(&f, Instant::now(), &metrics), Offer::Sent));
        let sent = rx.try_recv().expect("queued");
        let Ok(ServerMsg::Frame(written)) = decode::<ServerMsg>(&sent.bytes) else { panic!("a frame") };
        assert_eq!((written.payload, written.ack), (vec![1, 2, 3, 0x5], None), "the shared and spectator parts, no ack");
        // No spectator part (nobody registered as watching at the owner): a gap, not eve's part.
        let mut unwatched = delta(12);
        unwatched.parts = Parts::PerViewer(vec![ViewPart { viewer: Viewer::Player(eve), bytes: vec![0xE] }]);
        assert!(matches!(sink.offer(&unwatched, Instant::now(), &metrics), Offer::NeedKeyframe));
        assert!(rx.try_recv().is_none(), "nothing written");
        // A shared frame is the same bytes for a spectator as for everybody.
        assert!(matches!(sink.offer(&frame(13, FrameKind::Keyframe), Instant::now(), &metrics), Offer::Sent));
        let sent = rx.try_recv().expect("queued");
        let Ok(ServerMsg::Frame(written)) = decode::<ServerMsg>(&sent.bytes) else { panic!("a frame") };
        assert_eq!(written.payload, vec![1, 2, 3]);
    }
}
