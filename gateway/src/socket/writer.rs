//! The socket's writer: drains the socket's [`super::outbox`] onto the WebSocket until
//! told to close, times each frame's fan-out and the input [`super::pipeline`], then sends
//! the close frame with the end's code.

use super::outbox::{Outbound, OutboxReader};
use super::pipeline::NewestInput;
use crate::error::SessionEnd;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::SinkExt;
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
