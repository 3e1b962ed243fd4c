//! The socket's WebSocket, shared by the two things its one task polls: the reading
//! (`reader.rs`) and the writer (`writer.rs`). Neither holds it across a wait: each takes
//! it for the length of one poll, so its lock is never contended. It replaced the split of
//! the WebSocket into two halves behind a shared lock of their own, needed only while
//! reading and writing were two tasks (issue 14: idle socket memory).

use axum::extract::ws::{Message, WebSocket};
use futures::{Sink, Stream};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, ready};

/// What a socket's writer writes to and its reading reads from: the WebSocket (a fake one
/// in tests).
pub(super) trait Socket: Sink<Message, Error = axum::Error> + Stream<Item = Result<Message, axum::Error>> + Unpin + Send {}

impl<S> Socket for S where S: Sink<Message, Error = axum::Error> + Stream<Item = Result<Message, axum::Error>> + Unpin + Send {}

/// The socket's WebSocket, shared by the reading and the writer of its one task. Neither
/// holds it across a wait: each takes it for one poll, so the lock is never contended.
pub(super) struct Conn<S = Box<WebSocket>>(Mutex<S>);

impl<S: Socket> Conn<S> {
    pub(super) fn new(ws: S) -> Self {
        Self(Mutex::new(ws))
    }

    pub(super) fn ws(&self) -> MutexGuard<'_, S> {
        // Nothing panics while holding it; a poisoned lock still holds a valid socket.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next message from the client.
    pub(super) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, axum::Error>>> {
        Pin::new(&mut *self.ws()).poll_next(cx)
    }

    /// The next message from the client.
    pub(super) fn next(&self) -> impl Future<Output = Option<Result<Message, axum::Error>>> + '_ {
        poll_fn(|cx| self.poll_next(cx))
    }

    /// Send one message and flush it.
    pub(super) async fn send(&self, message: Message) -> Result<(), axum::Error> {
        let mut message = Some(message);
        poll_fn(|cx| {
            let mut ws = self.ws();
            if message.is_some() {
                if let Err(e) = ready!(Pin::new(&mut *ws).poll_ready(cx)) {
                    return Poll::Ready(Err(e));
                }
                Pin::new(&mut *ws).start_send(message.take().expect("checked above"))?;
            }
            Pin::new(&mut *ws).poll_flush(cx)
        })
        .await
    }
}

/// A WebSocket for tests: it keeps what it is sent, can refuse to take more (a client
/// that does not read), can fail, and hands out the messages given to it.
#[cfg(test)]
pub(super) mod fake {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::Arc;
    use std::task::Waker;

    #[derive(Default)]
    pub(in crate::socket) struct State {
        pub(in crate::socket) written: Vec<Message>,
        /// Takes no more (a full send buffer) while false.
        pub(in crate::socket) accepting: bool,
        pub(in crate::socket) broken: bool,
        pub(in crate::socket) incoming: VecDeque<Message>,
        waker: Option<Waker>,
    }

    #[derive(Clone)]
    pub(in crate::socket) struct Fake(pub(in crate::socket) Arc<std::sync::Mutex<State>>);

    impl Fake {
        pub(in crate::socket) fn new() -> Self {
            Self(Arc::new(std::sync::Mutex::new(State { accepting: true, ..State::default() })))
        }

        pub(in crate::socket) fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.0.lock().unwrap()
        }

        /// Change it and wake whoever waits on it.
        pub(in crate::socket) fn set(&self, change: impl FnOnce(&mut State)) {
            let mut state = self.state();
            change(&mut state);
            if let Some(w) = state.waker.take() {
                w.wake();
            }
        }

        fn poll_open(&self, cx: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            let mut state = self.state();
            if state.broken {
                return Poll::Ready(Err(axum::Error::new(std::io::Error::other("broken"))));
            }
            if !state.accepting {
                state.waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            Poll::Ready(Ok(()))
        }
    }

    impl Sink<Message> for Fake {
        type Error = axum::Error;
        fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            self.poll_open(cx)
        }
        fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), axum::Error> {
            self.state().written.push(item);
            Ok(())
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            self.poll_open(cx)
        }
        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            self.poll_open(cx)
        }
    }

    impl Stream for Fake {
        type Item = Result<Message, axum::Error>;
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let mut state = self.state();
            if let Some(m) = state.incoming.pop_front() {
                return Poll::Ready(Some(Ok(m)));
            }
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
