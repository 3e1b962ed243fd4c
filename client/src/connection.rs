//! One WebSocket to a gateway, speaking protocol v1.
//!
//! [`Connection::connect`] authenticates (bearer header and the `orrery.v1`
//! subprotocol) and reads the `Welcome`. [`Connection::next_event`] decodes what the
//! server sends and keeps the frame cursor: a delta that does not apply to the last
//! applied frame is reported as [`Event::Gap`] (and a resync is requested) instead of
//! being handed to the game.

use crate::{Error, Result};
use futures::{SinkExt, StreamExt};
use orrery_common::protocol::client::{ClientMsg, Frame, FrameKind, Limits, Resume, SUBPROTOCOL, ServerMsg};
use orrery_common::protocol::{decode, encode};
use orrery_common::{Epoch, HistoryPos, InputSeq, PlayerId, RoomId, Tick};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the server said, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A frame that applies: a keyframe, or a delta on the last applied frame.
    Frame(Frame),
    /// A delta that does not apply to what this client has; a resync was requested.
    Gap { expected_base: Option<Tick>, frame_tick: Tick },
    /// A frame at or before the last applied one (the server promises this never happens).
    Duplicate { epoch: Epoch, tick: Tick },
    /// Any other server message.
    Message(ServerMsg),
    /// The server closed the socket.
    Closed { code: u16, reason: String },
}

/// The answer to a join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joined {
    pub room: RoomId,
    pub tick_hz: u16,
    pub last_input: Option<InputSeq>,
}

/// An authenticated connection.
pub struct Connection {
    ws: Ws,
    player: PlayerId,
    limits: Limits,
    next_seq: InputSeq,
    cursor: Option<HistoryPos>,
    bytes_in: u64,
    wire_bytes_in: u64,
}

impl Connection {
    /// Connect to `ws_url` (`ws://host:port/v1/ws`) with `token`.
    pub async fn connect(ws_url: &str, token: &str) -> Result<Self> {
        let mut request = ws_url.into_client_request()?;
        let headers = request.headers_mut();
        headers.insert("Sec-WebSocket-Protocol", SUBPROTOCOL.parse().expect("valid header"));
        headers
            .insert("Authorization", format!("Bearer {token}").parse().map_err(|_| Error::Protocol("token is not a valid header".into()))?);
        let config = WebSocketConfig::default().max_message_size(Some(1 << 20));
        let (ws, _) = match tokio_tungstenite::connect_async_with_config(request, Some(config), true).await {
            Ok(ok) => ok,
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => return Err(Error::Refused(resp.status().as_u16())),
            Err(e) => return Err(e.into()),
        };
        let mut conn = Self {
            ws,
            player: PlayerId(uuid::Uuid::nil()),
            limits: Limits::default(),
            next_seq: InputSeq(1),
            cursor: None,
            bytes_in: 0,
            wire_bytes_in: 0,
        };
        match tokio::time::timeout(Duration::from_secs(5), conn.next_event()).await {
            Ok(Ok(Event::Message(ServerMsg::Welcome { player, limits, .. }))) => {
                conn.player = player;
                conn.limits = limits;
                Ok(conn)
            }
            Ok(Ok(other)) => Err(Error::Protocol(format!("expected Welcome, got {other:?}"))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::Timeout("Welcome")),
        }
    }

    pub fn player(&self) -> PlayerId {
        self.player
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The position of the last frame this client applied.
    pub fn cursor(&self) -> Option<HistoryPos> {
        self.cursor
    }

    /// Bytes received so far (WebSocket payloads).
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in
    }

    /// Bytes received so far including WebSocket framing (a server frame's header is 2
    /// bytes below 126 bytes of payload, 4 below 64 KiB, 10 above).
    pub fn wire_bytes_in(&self) -> u64 {
        self.wire_bytes_in
    }

    /// Resume from `cursor`: the next join asks to continue after it, and frames at or
    /// before it are reported as duplicates.
    pub fn resume_from(&mut self, cursor: Option<HistoryPos>) {
        self.cursor = cursor;
    }

    /// The sequence number the next input will carry.
    pub fn next_seq(&self) -> InputSeq {
        self.next_seq
    }

    /// Join `room` (resuming from the cursor, if any) and wait for the answer.
    /// Frames that arrive before it are not lost: the keyframe comes after `Joined`.
    pub async fn join(&mut self, room: RoomId) -> Result<Joined> {
        self.send(&ClientMsg::Join { room, resume: self.cursor.map(Resume::from) }).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let event = tokio::time::timeout_at(deadline, self.next_event()).await.map_err(|_| Error::Timeout("Joined"))??;
            match event {
                Event::Message(ServerMsg::Joined { room, tick_hz, last_input }) => {
                    if let Some(last) = last_input {
                        self.next_seq = self.next_seq.max(last.next());
                    }
                    return Ok(Joined { room, tick_hz, last_input });
                }
                Event::Message(ServerMsg::Error { code, message }) => return Err(Error::Server { code, message }),
                Event::Closed { code, reason } => return Err(Error::Closed { code, reason }),
                _ => {}
            }
        }
    }

    /// Watch `room` without a seat and wait for the answer (`ServerMsg::Watching`: the
    /// room's tick rate). Frames of the spectator view follow; the gateway refuses inputs
    /// and commands (`ErrorCode::Spectating`); `ClientMsg::Leave` stops watching.
    pub async fn watch(&mut self, room: RoomId) -> Result<u16> {
        self.send(&ClientMsg::Watch { room }).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let event = tokio::time::timeout_at(deadline, self.next_event()).await.map_err(|_| Error::Timeout("Watching"))??;
            match event {
                Event::Message(ServerMsg::Watching { tick_hz, .. }) => return Ok(tick_hz),
                Event::Message(ServerMsg::Error { code, message }) => return Err(Error::Server { code, message }),
                Event::Closed { code, reason } => return Err(Error::Closed { code, reason }),
                _ => {}
            }
        }
    }

    /// Send one input; returns the sequence number it carries.
    pub async fn send_input(&mut self, payload: Vec<u8>) -> Result<InputSeq> {
        let seq = self.next_seq;
        self.next_seq = seq.next();
        self.send(&ClientMsg::Input { seq, payload }).await?;
        Ok(seq)
    }

    /// Send any client message.
    pub async fn send(&mut self, msg: &ClientMsg) -> Result<()> {
        self.ws.send(Message::Binary(encode(msg).into())).await?;
        Ok(())
    }

    /// Send raw bytes (tests of the server's handling of bad input).
    pub async fn send_raw(&mut self, msg: Message) -> Result<()> {
        self.ws.send(msg).await?;
        Ok(())
    }

    /// The next thing the server says.
    pub async fn next_event(&mut self) -> Result<Event> {
        loop {
            let msg = match self.ws.next().await {
                Some(Ok(m)) => m,
                Some(Err(tokio_tungstenite::tungstenite::Error::ConnectionClosed)) | None => {
                    return Ok(Event::Closed { code: 1006, reason: "connection closed".into() });
                }
                Some(Err(e)) => return Err(e.into()),
            };
            match msg {
                Message::Binary(bytes) => {
                    self.bytes_in += bytes.len() as u64;
                    self.wire_bytes_in += bytes.len() as u64 + ws_header_len(bytes.len());
                    let msg: ServerMsg = decode(&bytes).map_err(|e| Error::Protocol(e.to_string()))?;
                    return Ok(match msg {
                        ServerMsg::Frame(frame) => self.accept_frame(frame).await?,
                        other => Event::Message(other),
                    });
                }
                Message::Close(frame) => {
                    let (code, reason) = frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new()));
                    return Ok(Event::Closed { code, reason });
                }
                Message::Text(_) => return Err(Error::Protocol("text frame from the server".into())),
                _ => continue,
            }
        }
    }

    async fn accept_frame(&mut self, frame: Frame) -> Result<Event> {
        let at = frame.pos();
        let rejoin_keyframe = frame.kind == FrameKind::Keyframe && self.cursor == Some(at);
        if self.cursor.is_some_and(|c| at <= c) && !rejoin_keyframe {
            return Ok(Event::Duplicate { epoch: frame.epoch, tick: frame.tick });
        }
        let applies = match frame.kind {
            FrameKind::Keyframe => true,
            FrameKind::Delta { base } => self.cursor == Some(HistoryPos::new(frame.epoch, base)),
        };
        if applies {
            self.cursor = Some(at);
            return Ok(Event::Frame(frame));
        }
        self.send(&ClientMsg::Resync).await?;
        Ok(Event::Gap { expected_base: self.cursor.map(|c| c.tick), frame_tick: frame.tick })
    }

    /// Close the socket politely.
    pub async fn close(mut self) -> Result<()> {
        self.ws.close(None).await?;
        Ok(())
    }
}

/// The length of an unmasked (server to client) WebSocket frame header.
pub(crate) fn ws_header_len(payload: usize) -> u64 {
    match payload {
        0..=125 => 2,
        126..=65535 => 4,
        _ => 10,
    }
}
