//! The socket's writer: drains the socket's [`super::outbox`] onto the WebSocket, times
//! each frame's fan-out and the input [`super::pipeline`], and once the session ends
//! ([`Writer::close`]) finishes what it was writing, flushes the queue for a graceful end
//! and sends the close frame with the end's code.
//!
//! It is no future of its own: a [`Writer`] is a small state machine polled in the
//! session's task beside the reading ([`alongside`]), and the WebSocket is shared with
//! the reading through a [`Conn`], taken for the length of one poll by either. A task of
//! its own cost every idle socket ~630 B, then its future (the split WebSocket's halves,
//! a one-shot close channel, its `select!`) ~480 B more (issue 14).

use super::conn::{Conn, Socket};
use super::outbox::{Outbound, OutboxReader};
use super::pipeline::NewestInput;
use crate::error::SessionEnd;
use axum::extract::ws::{CloseFrame, Message};
use orrery_common::protocol::internal::AppliedInput;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

/// The two histograms a socket's writer feeds (just these: the writer lives as long as
/// the socket, so it holds as little as it can).
pub(super) struct Timings {
    pub(super) fanout: prometheus::Histogram,
    pub(super) input_pipeline: prometheus::Histogram,
}

/// Where the writer is with the message it took from the queue.
enum Step {
    /// Waiting for the next message.
    Idle,
    /// Taken, waiting for the WebSocket to accept it.
    Taken(Outbound),
    /// Accepted, being flushed; timed once written.
    Flushing { since: Option<Instant>, acknowledges: Option<AppliedInput> },
    /// The queue closed (every writer of it is gone): nothing more to write.
    Drained,
    /// The WebSocket failed: nothing more is written, not even a close frame.
    Broken,
}

/// A socket's writer: its queue's reading half and the message in hand.
pub(super) struct Writer {
    queue: OutboxReader,
    step: Step,
    newest_input: Arc<NewestInput>,
    timings: Timings,
}

impl Writer {
    pub(super) fn new(queue: OutboxReader, newest_input: Arc<NewestInput>, timings: Timings) -> Self {
        Self { queue, step: Step::Idle, newest_input, timings }
    }

    /// Write queued messages until the queue is empty or the WebSocket cannot take more
    /// for now (`Pending`, woken when either changes); `Ready` once nothing more will be
    /// written (the WebSocket failed or the queue closed).
    pub(super) fn poll_write<S: Socket>(&mut self, conn: &Conn<S>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if let Step::Idle = self.step {
                match ready!(self.queue.poll_recv(cx)) {
                    Some(message) => self.step = Step::Taken(message),
                    None => self.step = Step::Drained,
                }
            }
            ready!(self.poll_in_hand(conn, cx));
            if let Step::Drained | Step::Broken = self.step {
                return Poll::Ready(());
            }
        }
    }

    /// Finish the message in hand, if any (`Ready` at once when there is none).
    fn poll_in_hand<S: Socket>(&mut self, conn: &Conn<S>, cx: &mut Context<'_>) -> Poll<()> {
        let mut ws = conn.ws();
        let mut ws = Pin::new(&mut *ws);
        loop {
            match &mut self.step {
                Step::Idle | Step::Drained | Step::Broken => return Poll::Ready(()),
                Step::Taken(_) => {
                    if ready!(ws.as_mut().poll_ready(cx)).is_err() {
                        self.step = Step::Broken;
                        continue;
                    }
                    let Step::Taken(Outbound { bytes, since, acknowledges }) = std::mem::replace(&mut self.step, Step::Broken) else {
                        unreachable!("matched above")
                    };
                    if ws.as_mut().start_send(Message::Binary(bytes.into())).is_ok() {
                        self.step = Step::Flushing { since, acknowledges };
                    }
                }
                Step::Flushing { since, acknowledges } => {
                    if ready!(ws.as_mut().poll_flush(cx)).is_err() {
                        self.step = Step::Broken;
                        continue;
                    }
                    let written = Instant::now();
                    if let Some(since) = since {
                        self.timings.fanout.observe(written.saturating_duration_since(*since).as_secs_f64());
                    }
                    if let Some(took) = acknowledges.and_then(|a| self.newest_input.pipeline(a, written)) {
                        self.timings.input_pipeline.observe(took.as_secs_f64());
                    }
                    self.step = Step::Idle;
                }
            }
        }
    }

    /// The session ended with `end`: finish the message in hand, write what is still
    /// queued for a graceful end (GoAway, Kicked), then send the close frame with the end's
    /// code; what else is queued is dropped. Bounded: a client that does not read (a slow
    /// consumer) is not waited for more than 2 s.
    pub(super) async fn close<S: Socket>(&mut self, conn: &Conn<S>, end: SessionEnd) {
        let closing = async {
            poll_fn(|cx| self.poll_in_hand(conn, cx)).await;
            if let Step::Broken = self.step {
                return;
            }
            if matches!(end, SessionEnd::GoingAway | SessionEnd::Kicked) {
                while let Some(Outbound { bytes, .. }) = self.queue.try_recv() {
                    if conn.send(Message::Binary(bytes.into())).await.is_err() {
                        return;
                    }
                }
            }
            let frame = CloseFrame { code: end.close_code(), reason: end.label().into() };
            let _ = tokio::time::timeout(Duration::from_secs(1), conn.send(Message::Close(Some(frame)))).await;
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), closing).await;
    }
}

/// Run `reading` to its end while writing the socket's queue in the same task, so that the
/// writer keeps draining it while the reading waits (for a join, or for room in that
/// queue). A writer that is done (its socket broke) is not polled again; the reading
/// carries on until it sees the end itself.
///
/// Both are polled on any wake-up of either (the writer first: what it takes from the
/// queue may be what the reading waits for), so a frame written also polls the reader's
/// `select!` once: a few atomic loads and a read that is not ready.
///
/// The reading is borrowed, pinned where it is: an `async fn` taking it by value would
/// keep a second copy in its own state for the socket's whole life (rustc does not reuse
/// the room of a moved argument).
pub(super) fn alongside<'a, R: Future, S: Socket>(
    mut reading: Pin<&'a mut R>,
    writer: &'a mut Writer,
    conn: &'a Conn<S>,
) -> impl Future<Output = R::Output> + 'a {
    poll_fn(move |cx| {
        if !matches!(writer.step, Step::Drained | Step::Broken) {
            let _ = writer.poll_write(conn, cx);
        }
        reading.as_mut().poll(cx)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::conn::fake::Fake;
    use crate::socket::outbox::{Outbound, outbox};
    use axum::extract::ws::close_code;
    use std::pin::pin;

    fn timings() -> Timings {
        let histogram = || prometheus::Histogram::with_opts(prometheus::HistogramOpts::new("t", "t")).unwrap();
        Timings { fanout: histogram(), input_pipeline: histogram() }
    }

    fn writer(capacity: usize) -> (crate::socket::outbox::Outbox, Writer) {
        let (tx, rx) = outbox(capacity);
        (tx, Writer::new(rx, Arc::default(), timings()))
    }

    /// What the fake socket was sent: each binary message's first byte, and close codes.
    fn written(fake: &Fake) -> Vec<(char, u16)> {
        fake.state()
            .written
            .iter()
            .map(|m| match m {
                Message::Binary(b) => ('b', u16::from(b[0])),
                Message::Close(Some(f)) => ('c', f.code),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    /// The writer takes a message and is stuck with it (the socket takes nothing).
    fn stuck_with_one(tx: &crate::socket::outbox::Outbox, writer: &mut Writer, conn: &Conn<Fake>, fake: &Fake) {
        fake.set(|s| s.accepting = false);
        for i in 1..=3u8 {
            tx.try_push(Outbound::message(vec![i])).unwrap();
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(writer.poll_write(conn, &mut cx).is_pending());
        assert!(matches!(writer.step, Step::Taken(_)), "message 1 in hand");
    }

    /// The reading fills a queue of 2 with 10 messages, so it must wait for room 8 times;
    /// only the writer beside it, in the same task, makes room. Awaited alone (the writer
    /// not polled), the reading would never end.
    #[tokio::test(flavor = "current_thread")]
    async fn the_writer_drains_while_the_reading_waits_for_room() {
        let fake = Fake::new();
        let conn = Conn::new(fake.clone());
        let (tx, mut writer) = writer(2);
        let out = {
            let reading = pin!(async {
                for i in 0..10u8 {
                    tx.push(Outbound::message(vec![i])).await.expect("the reader is there");
                }
                "done"
            });
            tokio::time::timeout(Duration::from_secs(10), alongside(reading, &mut writer, &conn))
                .await
                .expect("the reading ended: the writer made room")
        };
        assert_eq!(out, "done");
        assert!(written(&fake).len() >= 8, "the writer wrote {:?}", written(&fake));
        // The rest is written too once the writer is polled (the queue closes with its
        // last writer).
        drop(tx);
        poll_fn(|cx| writer.poll_write(&conn, cx)).await;
        assert_eq!(written(&fake), (0..10).map(|i| ('b', i)).collect::<Vec<_>>());
        writer.close(&conn, SessionEnd::Normal).await;
        assert_eq!(written(&fake).last(), Some(&('c', close_code::NORMAL)));
    }

    /// A writer whose socket broke is done and not polled again, and the reading still
    /// runs to its end; nothing more is written, not even a close frame.
    #[tokio::test(flavor = "current_thread")]
    async fn a_broken_socket_ends_the_writer_and_leaves_the_reading_running() {
        let fake = Fake::new();
        let conn = Conn::new(fake.clone());
        let (tx, mut writer) = writer(4);
        fake.set(|s| s.broken = true);
        tx.try_push(Outbound::message(vec![1])).unwrap();
        let reading = pin!(async {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            7
        });
        assert_eq!(alongside(reading, &mut writer, &conn).await, 7);
        assert!(matches!(writer.step, Step::Broken));
        writer.close(&conn, SessionEnd::Normal).await;
        assert!(written(&fake).is_empty());
    }

    /// At the end, the message in hand is finished, then the close frame goes with the
    /// end's code; what else was queued is dropped.
    #[tokio::test(flavor = "current_thread")]
    async fn the_close_frame_follows_the_message_in_hand_and_the_rest_is_dropped() {
        let fake = Fake::new();
        let conn = Conn::new(fake.clone());
        let (tx, mut writer) = writer(8);
        stuck_with_one(&tx, &mut writer, &conn, &fake);
        fake.set(|s| s.accepting = true);
        writer.close(&conn, SessionEnd::RateLimited).await;
        assert_eq!(written(&fake), vec![('b', 1), ('c', SessionEnd::RateLimited.close_code())]);
    }

    /// A graceful end (GoAway, Kicked) writes everything queued before the close frame.
    #[tokio::test(flavor = "current_thread")]
    async fn a_graceful_end_flushes_the_queue_before_the_close_frame() {
        let fake = Fake::new();
        let conn = Conn::new(fake.clone());
        let (tx, mut writer) = writer(8);
        stuck_with_one(&tx, &mut writer, &conn, &fake);
        fake.set(|s| s.accepting = true);
        writer.close(&conn, SessionEnd::GoingAway).await;
        assert_eq!(written(&fake), vec![('b', 1), ('b', 2), ('b', 3), ('c', SessionEnd::GoingAway.close_code())]);
    }

    /// A client that reads nothing (a slow consumer) is not waited for: closing gives up
    /// after 2 s, with nothing written.
    #[tokio::test(flavor = "current_thread")]
    async fn closing_a_socket_that_takes_nothing_is_bounded() {
        let fake = Fake::new();
        let conn = Conn::new(fake.clone());
        let (tx, mut writer) = writer(8);
        stuck_with_one(&tx, &mut writer, &conn, &fake);
        tokio::time::timeout(Duration::from_secs(30), writer.close(&conn, SessionEnd::SlowConsumer))
            .await
            .expect("closing gave up on its own");
        assert!(written(&fake).is_empty());
    }
}
