//! The socket's writer: drains the socket's [`super::outbox`] onto the WebSocket until
//! told to close, times each frame's fan-out and the input [`super::pipeline`], then sends
//! the close frame with the end's code. It is polled in the session's task, beside the
//! reading ([`alongside`]), not spawned: a task of its own cost every idle socket ~630 B
//! (issue 14).

use super::outbox::{Outbound, OutboxReader};
use super::pipeline::NewestInput;
use crate::error::SessionEnd;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::SinkExt;
use futures::future::FusedFuture;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// The two histograms a socket's writer feeds (just these: the writer lives as long as
/// the socket, so it holds as little as it can).
pub(super) struct Timings {
    pub(super) fanout: prometheus::Histogram,
    pub(super) input_pipeline: prometheus::Histogram,
}

/// Write queued messages until told to close; the close skips the queue. A frame that
/// acknowledges the socket's newest input is timed once written (see [`super::pipeline`]).
pub(super) async fn write_loop(
    mut ws: futures::stream::SplitSink<Box<WebSocket>, Message>,
    mut queue: OutboxReader,
    mut close: oneshot::Receiver<SessionEnd>,
    newest_input: Arc<NewestInput>,
    timings: Timings,
) {
    let end = loop {
        tokio::select! {
            biased;
            end = &mut close => break end.unwrap_or(SessionEnd::Transport),
            out = queue.recv() => match out {
                Some(Outbound { bytes, since, acknowledges }) => {
                    if ws.send(Message::Binary(bytes.into())).await.is_err() {
                        return;
                    }
                    let written = std::time::Instant::now();
                    if let Some(since) = since {
                        timings.fanout.observe(written.saturating_duration_since(since).as_secs_f64());
                    }
                    if let Some(took) = acknowledges.and_then(|a| newest_input.pipeline(a, written)) {
                        timings.input_pipeline.observe(took.as_secs_f64());
                    }
                }
                None => break SessionEnd::Transport,
            },
        }
    };
    // Flush what is queued for a graceful end (GoAway, Kicked), bounded.
    if matches!(end, SessionEnd::GoingAway | SessionEnd::Kicked) {
        while let Some(Outbound { bytes, .. }) = queue.try_recv() {
            if ws.send(Message::Binary(bytes.into())).await.is_err() {
                return;
            }
        }
    }
    let frame = CloseFrame { code: end.close_code(), reason: end.label().into() };
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.send(Message::Close(Some(frame)))).await;
}

/// Run `reading` to its end while polling `writer` in the same task, so that the writer
/// keeps draining the socket's queue while the reading waits (for a join, or for room in
/// that queue). A writer that ends first (its socket broke) is not polled again; the
/// reading carries on until it sees the end itself, as when the writer was a task.
///
/// Both are polled on any wake-up of either (the writer first: what it takes from the
/// queue may be what the reading waits for), so a frame written also polls the reader's
/// `select!` once: a few atomic loads and a read that is not ready.
///
/// Both are borrowed, pinned where they are: an `async fn` taking them by value would keep
/// a second copy of each in its own state for the socket's whole life (rustc does not
/// reuse the room of a moved argument), which cost more than the writer's task did.
pub(super) fn alongside<'a, R, W>(mut reading: Pin<&'a mut R>, mut writer: Pin<&'a mut W>) -> impl Future<Output = R::Output> + 'a
where
    R: Future,
    W: FusedFuture<Output = ()>,
{
    std::future::poll_fn(move |cx| {
        if !writer.is_terminated() {
            let _ = writer.as_mut().poll(cx);
        }
        reading.as_mut().poll(cx)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::outbox::{Outbound, outbox};
    use futures::FutureExt;
    use std::pin::pin;

    /// The reading fills a queue of 2 with 10 messages, so it must wait for room 8 times;
    /// only the writer beside it, in the same task, makes room. Awaited alone (the writer
    /// not polled), the reading would never end.
    #[tokio::test(flavor = "current_thread")]
    async fn the_writer_drains_while_the_reading_waits_for_room() {
        let (tx, mut rx) = outbox(2);
        let written = std::cell::Cell::new(0);
        let writer = async {
            while rx.recv().await.is_some() {
                written.set(written.get() + 1);
            }
        };
        let mut writer = pin!(writer.fuse());
        let out = {
            let reading = pin!(async {
                for i in 0..10u8 {
                    tx.push(Outbound::message(vec![i])).await.expect("the reader is there");
                }
                "done"
            });
            tokio::time::timeout(Duration::from_secs(10), alongside(reading, writer.as_mut()))
                .await
                .expect("the reading ended: the writer made room")
        };
        assert_eq!(out, "done");
        assert!(written.get() >= 8, "the writer took {} messages", written.get());
        drop(tx);
        writer.await;
        assert_eq!(written.get(), 10);
    }

    /// A writer that ends first (a broken socket) is not polled again, and the reading
    /// still runs to its end.
    #[tokio::test(flavor = "current_thread")]
    async fn a_writer_that_ends_first_leaves_the_reading_running() {
        let mut writer = pin!(async {}.fuse());
        let reading = pin!(async {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            7
        });
        assert_eq!(alongside(reading, writer.as_mut()).await, 7);
        assert!(writer.is_terminated());
    }
}
