//! Inputs to rooms, coalesced: every socket of this gateway hands its inputs here, and what
//! the gateway holds for one room goes to it as one NATS message ([`InputBatch`](orrery_common::protocol::internal::InputBatch)).
//!
//! Why: a NATS message costs a wake-up and system calls in the gateway, in NATS and in the
//! room's owner whatever its size; an input is a few bytes. Why a short window and not
//! "as soon as possible": sockets of one room are read by separate tasks, so inputs of one
//! room only meet if the first one waits a little. The window (`--input-window-us`, 1 ms by
//! default; tokio's timers have a 1 ms resolution, so a batch leaves 1–2 ms after its first
//! input) is at most 6 % of a 30 Hz tick: an input waits in the owner for the next tick
//! anyway (half a tick on average), and only one arriving in the last 1–2 ms before a tick
//! goes to the next one. A window of 0 flushes after one turn of the event loop (a yield):
//! what other tasks read meanwhile goes along, and nothing waits for a timer.
//!
//! Order: a room's inputs are appended under one lock in the order the sockets read them,
//! and one task publishes every batch, in that order, so each player's inputs reach the
//! owner in their order (the owner drops an input whose sequence is not after the last
//! one it applied, I5). A batch is cut at `InputBatch::MAX_INPUTS` inputs or
//! `InputBatch::MAX_BYTES` bytes; the cut batches of a room leave together, in order.

use crate::metrics::Metrics;
use orrery_common::RoomId;
use orrery_common::names::Names;
use orrery_common::protocol::internal::{InputBatchBuilder, InputEnvelope};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tracing::warn;

/// Where batches go: NATS in the gateway, a channel in tests.
pub trait Outlet: Send + Sync + 'static {
    /// Publish one encoded [`InputBatch`](orrery_common::protocol::internal::InputBatch) for `room`.
    fn publish(&self, room: RoomId, batch: Vec<u8>) -> impl Future<Output = Result<(), String>> + Send;
}

/// Batches published on `room.<id>.input`.
pub struct NatsOutlet {
    pub nats: async_nats::Client,
    pub names: Names,
}

impl Outlet for NatsOutlet {
    async fn publish(&self, room: RoomId, batch: Vec<u8>) -> Result<(), String> {
        self.nats.publish(self.names.room_input(room), batch.into()).await.map_err(|e| e.to_string())
    }
}

/// The inputs held for each room; cloned into every socket. The flushing task ends when
/// every clone is dropped.
#[derive(Clone, Debug)]
pub struct InputBatcher {
    pending: Pending,
    /// When each room that just got its first held input is due, in the order they got it
    /// (so in the order of their deadlines: every window is as long).
    due: mpsc::UnboundedSender<(Instant, RoomId)>,
    window: Duration,
}

type Pending = Arc<Mutex<HashMap<RoomId, RoomBatches>>>;

/// What is held for one room: batches already cut at a limit, and the one still growing.
#[derive(Debug, Default)]
struct RoomBatches {
    cut: Vec<Vec<u8>>,
    open: InputBatchBuilder,
}

impl InputBatcher {
    /// Start the flushing task: a room's inputs leave `window` after its first held one
    /// (after one yield for a zero window).
    pub fn spawn(outlet: impl Outlet, window: Duration, metrics: Metrics) -> Self {
        let pending = Pending::default();
        let (due, due_rx) = mpsc::unbounded_channel();
        tokio::spawn(flush(pending.clone(), due_rx, window, outlet, metrics));
        Self { pending, due, window }
    }

    /// Hold `input` for `room`; it leaves with the room's next batch.
    pub fn push(&self, room: RoomId, input: &InputEnvelope) {
        let mut pending = self.pending.lock().expect("poisoned");
        let (held, first) = match pending.entry(room) {
            Entry::Occupied(e) => (e.into_mut(), false),
            Entry::Vacant(e) => (e.insert(RoomBatches::default()), true),
        };
        if held.open.would_overflow(input) {
            let full = std::mem::take(&mut held.open).finish();
            held.cut.push(full);
        }
        held.open.push(input);
        if first {
            // The task only stops once every sender, this one included, is gone.
            let _ = self.due.send((Instant::now() + self.window, room));
        }
    }
}

/// The one task that publishes batches: wait for a room's deadline, take what it holds,
/// publish it. Rooms due in the same timer tick leave in one wake-up.
async fn flush(
    pending: Pending,
    mut due: mpsc::UnboundedReceiver<(Instant, RoomId)>,
    window: Duration,
    outlet: impl Outlet,
    metrics: Metrics,
) {
    while let Some((at, room)) = due.recv().await {
        if window.is_zero() {
            tokio::task::yield_now().await;
        } else if Instant::now() < at {
            sleep_until(at).await;
        }
        let Some(held) = pending.lock().expect("poisoned").remove(&room) else { continue };
        for batch in held.cut.into_iter().chain([held.open.finish()]) {
            metrics.input_batches.inc();
            if let Err(error) = outlet.publish(room, batch).await {
                warn!(%room, %error, "inputs not published");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_common::protocol::decode;
    use orrery_common::protocol::internal::InputBatch;
    use orrery_common::{InputSeq, PlayerId};

    /// Batches into a channel, decoded.
    struct Channel(mpsc::UnboundedSender<(RoomId, InputBatch, usize)>);

    impl Outlet for Channel {
        async fn publish(&self, room: RoomId, batch: Vec<u8>) -> Result<(), String> {
            let decoded = decode::<InputBatch>(&batch).map_err(|e| e.to_string())?;
            let _ = self.0.send((room, decoded, batch.len()));
            Ok(())
        }
    }

    fn batcher(window: Duration) -> (InputBatcher, mpsc::UnboundedReceiver<(RoomId, InputBatch, usize)>, Metrics) {
        let (tx, rx) = mpsc::unbounded_channel();
        let metrics = Metrics::new(&prometheus::Registry::new());
        (InputBatcher::spawn(Channel(tx), window, metrics.clone()), rx, metrics)
    }

    fn input(player: PlayerId, seq: u32, bytes: usize) -> InputEnvelope {
        InputEnvelope { player, seq: InputSeq(seq), payload: vec![seq as u8; bytes] }
    }

    fn seqs(batch: &InputBatch) -> Vec<(PlayerId, u32)> {
        batch.inputs.iter().map(|i| (i.player, i.seq.0)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_rooms_inputs_leave_together_when_its_window_ends() {
        let (inputs, mut out, metrics) = batcher(Duration::from_millis(1));
        let (ada, bob) = (PlayerId::random(), PlayerId::random());
        inputs.push(RoomId(1), &input(ada, 1, 3));
        inputs.push(RoomId(2), &input(bob, 7, 3));
        inputs.push(RoomId(1), &input(bob, 1, 3));
        inputs.push(RoomId(1), &input(ada, 2, 3));
        tokio::time::sleep(Duration::from_micros(900)).await;
        assert!(out.try_recv().is_err(), "nothing leaves before the window ends");
        tokio::time::sleep(Duration::from_micros(200)).await;
        let (room, batch, _) = out.recv().await.unwrap();
        assert_eq!((room, seqs(&batch)), (RoomId(1), vec![(ada, 1), (bob, 1), (ada, 2)]), "in the order they were read");
        let (room, batch, _) = out.recv().await.unwrap();
        assert_eq!((room, seqs(&batch)), (RoomId(2), vec![(bob, 7)]));
        assert_eq!(metrics.input_batches.get(), 2);

        // The next input starts a new window.
        inputs.push(RoomId(1), &input(ada, 3, 3));
        tokio::time::sleep(Duration::from_millis(2)).await;
        let (room, batch, _) = out.recv().await.unwrap();
        assert_eq!((room, seqs(&batch)), (RoomId(1), vec![(ada, 3)]));
        assert!(out.try_recv().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_window_flushes_after_one_turn() {
        let (inputs, mut out, _) = batcher(Duration::ZERO);
        let ada = PlayerId::random();
        inputs.push(RoomId(1), &input(ada, 1, 0));
        inputs.push(RoomId(1), &input(ada, 2, 0));
        let (_, batch, _) = tokio::time::timeout(Duration::from_micros(1), out.recv()).await.expect("no timer waited for").unwrap();
        assert_eq!(seqs(&batch), vec![(ada, 1), (ada, 2)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_is_cut_at_its_count_and_byte_limits_and_the_parts_leave_in_order() {
        let (inputs, mut out, _) = batcher(Duration::from_millis(1));
        let ada = PlayerId::random();
        let n = InputBatch::MAX_INPUTS as u32 + 10;
        for seq in 1..=n {
            inputs.push(RoomId(1), &input(ada, seq, 1));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        let (_, first, _) = out.recv().await.unwrap();
        let (_, second, _) = out.recv().await.unwrap();
        assert_eq!(first.inputs.len(), InputBatch::MAX_INPUTS);
        let all: Vec<u32> = first.inputs.iter().chain(&second.inputs).map(|i| i.seq.0).collect();
        assert_eq!(all, (1..=n).collect::<Vec<_>>(), "every input once, in order");

        // 1 KiB inputs (the gateway's default largest client message): a batch stays
        // under the byte limit, far below NATS's max payload.
        let bob = PlayerId::random();
        for seq in 1..=200 {
            inputs.push(RoomId(3), &input(bob, seq, 1024));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        let mut seen = Vec::new();
        while let Ok((room, batch, bytes)) = out.try_recv() {
            assert_eq!(room, RoomId(3));
            assert!(bytes <= InputBatch::MAX_BYTES, "{bytes} bytes");
            seen.extend(batch.inputs.iter().map(|i| i.seq.0));
        }
        assert_eq!(seen, (1..=200).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn the_task_ends_with_the_last_handle() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let inputs = InputBatcher::spawn(Channel(tx.clone()), Duration::from_millis(1), Metrics::new(&prometheus::Registry::new()));
        drop(inputs);
        // The task held the only other sender: once it ended, the channel has one left.
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(!tx.is_closed());
        assert_eq!(tx.strong_count(), 1, "the flushing task dropped its outlet");
    }
}
