//! A socket's outgoing queue: bounded, and allocated only while it holds something.
//!
//! Every socket has one: the hub puts frames in it (never waiting: a full queue means a
//! slow consumer), the session puts its own replies in it (waiting for room), and the
//! socket's writer takes them out. tokio's `mpsc` would do, but it reserves a block of 32
//! slots and cache-padded counters per channel up front, about 1.5 KB for every socket,
//! most of an idle socket's memory. This queue is a `VecDeque` behind a mutex: empty, it
//! allocates nothing.
//!
//! One reader and any number of writers. The queue is closed for writers once the reader
//! is dropped, and for the reader once every writer is dropped and it is empty.
//!
//! It also carries the hub's verdict on a socket that does not keep up ([`Outbox::give_up`]):
//! the hub holds the socket's writing half anyway, so the verdict needs no token of its own.
//!
//! The reader and the verdict's watcher wait without a future of their own
//! ([`OutboxReader::poll_recv`], [`Outbox::poll_given_up`]): each leaves its waker in the
//! queue's state, so an idle socket's task keeps no waiting future for either (issue 14).

use orrery_common::protocol::internal::AppliedInput;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Instant;
use tokio::sync::Notify;

/// One message for the socket.
#[derive(Debug)]
pub struct Outbound {
    /// An encoded `ServerMsg`.
    pub bytes: Vec<u8>,
    /// For a frame: since when the gateway has had it (to time the fan-out).
    pub since: Option<Instant>,
    /// For a frame: the socket's input it is the first to acknowledge, to time it (see
    /// [`crate::socket::pipeline`]).
    pub acknowledges: Option<AppliedInput>,
}

impl Outbound {
    pub fn message(bytes: Vec<u8>) -> Self {
        Self { bytes, since: None, acknowledges: None }
    }

    pub fn frame(bytes: Vec<u8>, since: Instant, acknowledges: Option<AppliedInput>) -> Self {
        Self { bytes, since: Some(since), acknowledges }
    }
}

/// Slots an emptied queue may keep for a socket in a room (so it does not allocate for
/// every frame).
const KEPT_WHEN_EMPTY: usize = 8;

/// A queue of `capacity` messages: the writing half and the reading half.
pub fn outbox(capacity: usize) -> (Outbox, OutboxReader) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            capacity: capacity.max(1),
            writers: 1,
            reader_gone: false,
            reader: None,
            given_up: false,
            verdict_watcher: None,
        }),
        writable: Notify::new(),
    });
    (Outbox { shared: shared.clone() }, OutboxReader { shared })
}

/// The writing half; clone it for each writer.
#[derive(Debug)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The reading half (the socket's writer, polled in its session's task).
#[derive(Debug)]
pub struct OutboxReader {
    shared: Arc<Shared>,
}

/// Why a message was not queued; the message comes back.
#[derive(Debug)]
pub enum TryPushError {
    Full(Outbound),
    Closed(Outbound),
}

/// The reader is gone: nobody will send this.
#[derive(Debug)]
pub struct Closed(pub Outbound);

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Woken when a message is taken or the reader leaves.
    writable: Notify,
}

#[derive(Debug)]
struct State {
    queue: VecDeque<Outbound>,
    capacity: usize,
    writers: usize,
    reader_gone: bool,
    /// The reader waiting for a message (or for the last writer to leave).
    reader: Option<Waker>,
    /// The hub gave up on this socket as a slow consumer.
    given_up: bool,
    /// The one waiting for that verdict (the socket's session).
    verdict_watcher: Option<Waker>,
}

/// Keep `waker` in `slot`, unless what is there already wakes the same task.
fn keep(slot: &mut Option<Waker>, waker: &Waker) {
    if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
        *slot = Some(waker.clone());
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; a poisoned queue is still a valid queue.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Outbox {
    /// Queue `message` if there is room, now.
    pub fn try_push(&self, message: Outbound) -> Result<(), TryPushError> {
        let mut state = self.shared.state();
        if state.reader_gone {
            return Err(TryPushError::Closed(message));
        }
        if state.queue.len() >= state.capacity {
            return Err(TryPushError::Full(message));
        }
        state.queue.push_back(message);
        let reader = state.reader.take();
        drop(state);
        if let Some(reader) = reader {
            reader.wake();
        }
        Ok(())
    }

    /// Queue `message`, waiting for room.
    pub async fn push(&self, mut message: Outbound) -> Result<(), Closed> {
        loop {
            // Registered before trying, so a message taken in between still wakes us.
            let writable = self.shared.writable.notified();
            match self.try_push(message) {
                Ok(()) => return Ok(()),
                Err(TryPushError::Closed(m)) => return Err(Closed(m)),
                Err(TryPushError::Full(m)) => message = m,
            }
            writable.await;
        }
    }

    /// Messages that can be queued now.
    pub fn free(&self) -> usize {
        let state = self.shared.state();
        state.capacity.saturating_sub(state.queue.len())
    }

    /// The most messages the queue holds.
    pub fn capacity(&self) -> usize {
        self.shared.state().capacity
    }

    /// The hub gives up on this socket as a slow consumer: whoever waits in
    /// [`Outbox::poll_given_up`] learns it.
    pub fn give_up(&self) {
        let mut state = self.shared.state();
        state.given_up = true;
        let watcher = state.verdict_watcher.take();
        drop(state);
        if let Some(watcher) = watcher {
            watcher.wake();
        }
    }

    /// Ready once the hub gave up on this socket ([`Outbox::give_up`]). One watcher: the
    /// waker of the last call is the one woken.
    pub fn poll_given_up(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.shared.state();
        if state.given_up {
            return Poll::Ready(());
        }
        keep(&mut state.verdict_watcher, cx.waker());
        Poll::Pending
    }
}

impl Clone for Outbox {
    fn clone(&self) -> Self {
        self.shared.state().writers += 1;
        Self { shared: self.shared.clone() }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let last = {
            let mut state = self.shared.state();
            state.writers -= 1;
            state.writers == 0
        };
        if last && let Some(reader) = self.shared.state().reader.take() {
            reader.wake();
        }
    }
}

impl OutboxReader {
    /// The next message; `None` once every writer is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<Outbound> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next message, or the waker kept to be woken when one is queued (or the last
    /// writer leaves); `None` once every writer is gone and the queue is empty.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Outbound>> {
        let mut state = self.shared.state();
        // Checked and registered under the lock: a message queued after it wakes us.
        if state.queue.is_empty() {
            if state.writers == 0 {
                return Poll::Ready(None);
            }
            keep(&mut state.reader, cx.waker());
            return Poll::Pending;
        }
        drop(state);
        Poll::Ready(self.try_recv())
    }

    /// The next message, if one is queued.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        let mut state = self.shared.state();
        let next = state.queue.pop_front();
        // Emptied, the queue keeps a few slots for a socket that is sent frames every tick,
        // and nothing for one that is only sent the odd reply (an idle socket), or after a burst.
        let steady = next.as_ref().is_some_and(|m| m.since.is_some()) && state.queue.capacity() <= KEPT_WHEN_EMPTY;
        if state.queue.is_empty() && state.queue.capacity() > 0 && !steady {
            state.queue = VecDeque::new();
        }
        drop(state);
        if next.is_some() {
            self.shared.writable.notify_one();
        }
        next
    }
}

impl Drop for OutboxReader {
    fn drop(&mut self) {
        let mut state = self.shared.state();
        state.reader_gone = true;
        state.queue.clear();
        drop(state);
        // Every waiting writer learns that nobody reads any more.
        self.shared.writable.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn message(n: u8) -> Outbound {
        Outbound::message(vec![n])
    }

    fn bytes(m: Option<Outbound>) -> Option<Vec<u8>> {
        m.map(|m| m.bytes)
    }

    #[tokio::test]
    async fn messages_come_out_in_order_and_a_full_queue_refuses_without_waiting() {
        let (tx, mut rx) = outbox(2);
        tx.try_push(message(1)).unwrap();
        tx.try_push(message(2)).unwrap();
        assert!(matches!(tx.try_push(message(3)), Err(TryPushError::Full(_))));
        assert_eq!(tx.free(), 0);
        assert_eq!(bytes(rx.recv().await), Some(vec![1]));
        assert_eq!(tx.free(), 1);
        tx.try_push(message(3)).unwrap();
        assert_eq!(bytes(rx.recv().await), Some(vec![2]));
        assert_eq!(bytes(rx.recv().await), Some(vec![3]));
        assert!(rx.try_recv().is_none());
    }

    #[tokio::test]
    async fn a_waiting_push_goes_through_once_the_reader_takes_one() {
        let (tx, mut rx) = outbox(1);
        tx.try_push(message(1)).unwrap();
        let tx2 = tx.clone();
        let pushing = tokio::spawn(async move { tx2.push(message(2)).await.is_ok() });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!pushing.is_finished(), "no room yet");
        assert_eq!(bytes(rx.recv().await), Some(vec![1]));
        assert!(tokio::time::timeout(Duration::from_secs(5), pushing).await.unwrap().unwrap());
        assert_eq!(bytes(rx.recv().await), Some(vec![2]));
    }

    #[tokio::test]
    async fn the_reader_waits_for_a_message_and_ends_when_every_writer_is_gone() {
        let (tx, mut rx) = outbox(4);
        let tx2 = tx.clone();
        let reading = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(m) = rx.recv().await {
                got.extend(bytes(Some(m)).unwrap());
            }
            got
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.try_push(message(7)).unwrap();
        drop(tx);
        tx2.push(message(8)).await.unwrap();
        drop(tx2);
        let got = tokio::time::timeout(Duration::from_secs(5), reading).await.unwrap().unwrap();
        assert_eq!(got, vec![7, 8], "what was queued before the last writer left is still read");
    }

    #[tokio::test]
    async fn writers_learn_that_the_reader_is_gone_even_while_waiting() {
        let (tx, rx) = outbox(1);
        tx.try_push(message(1)).unwrap();
        let tx2 = tx.clone();
        let pushing = tokio::spawn(async move { tx2.push(message(2)).await.is_err() });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(rx);
        assert!(tokio::time::timeout(Duration::from_secs(5), pushing).await.unwrap().unwrap(), "the waiting push fails");
        assert!(matches!(tx.try_push(message(3)), Err(TryPushError::Closed(_))));
    }

    #[test]
    fn a_queue_holds_nothing_until_used_and_gives_back_a_burst() {
        let (tx, mut rx) = outbox(64);
        assert_eq!(rx.shared.state().queue.capacity(), 0);
        let frame = || Outbound::frame(vec![0], Instant::now(), None);
        // A reply to an idle socket: nothing kept afterwards.
        tx.try_push(message(1)).unwrap();
        rx.try_recv().unwrap();
        assert_eq!(rx.shared.state().queue.capacity(), 0);
        // Frames, one at a time: a few slots are kept between them.
        tx.try_push(frame()).unwrap();
        rx.try_recv().unwrap();
        assert!((1..=KEPT_WHEN_EMPTY).contains(&rx.shared.state().queue.capacity()));
        // A burst is given back once caught up.
        for _ in 0..40 {
            tx.try_push(frame()).unwrap();
        }
        while rx.try_recv().is_some() {}
        assert_eq!(rx.shared.state().queue.capacity(), 0);
    }
}
