//! One scripted player: guest token, connect, join, then inputs at random phases of the
//! tick until the measured window ends, measuring input-to-ack latency, frame jitter,
//! bytes each way and — when its socket closes or stalls — the time to be back on
//! another gateway with frames flowing.

use crate::cli::Args;
use crate::stats::{Live, Shared};
use crate::tickclock::{AckSamples, TickClock};
use orrery_arena::{Intent, encode_intent};
use orrery_client::http::Api;
use orrery_client::{Connection, Error, ErrorCode, Event, Joined};
use orrery_common::RoomId;
use orrery_common::protocol::client::{ClientMsg, ServerMsg};
use orrery_common::protocol::encode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep_until, timeout_at};

/// Unacknowledged inputs a player keeps before it forgets the oldest.
const MAX_PENDING: usize = 1024;
/// Frames after a join before intervals and lateness count (the join replays held-back frames).
const SETTLE_FRAMES: u64 = 3;
/// Longest one connect + join attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// What every player shares.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub args: Arc<Args>,
    /// One HTTP client per gateway, in `--gateways` order.
    pub apis: Arc<Vec<Api>>,
    pub shared: Arc<Shared>,
    /// Bounds the players in setup at once.
    pub setup: Arc<Semaphore>,
    /// Nobody runs past this, whatever happens to the window.
    pub hard_end: Instant,
}

impl Ctx {
    /// When playing stops: the end of the window once it started, else the hard end.
    pub fn end(&self) -> Instant {
        self.shared.window().map_or(self.hard_end, |w| w.1.min(self.hard_end))
    }
}

/// Who a player is.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub index: usize,
    pub room: RoomId,
}

/// WebSocket header of a masked client frame: 2 bytes, 4 of mask, 2 more from 126 bytes.
pub fn client_header_len(payload: usize) -> u64 {
    match payload {
        0..=125 => 6,
        126..=65535 => 8,
        _ => 14,
    }
}

/// Why a connect + join failed, as an error kind (`fatal`: retrying cannot help).
fn failure_kind(stage: &str, e: &Error) -> (String, bool) {
    match e {
        Error::Server { code: ErrorCode::RoomNotFound, .. } => (format!("{stage}_room_not_found"), true),
        Error::Server { code: ErrorCode::JoinRefused, .. } => (format!("{stage}_join_refused"), true),
        Error::Server { code: ErrorCode::RoomUnavailable, .. } => (format!("{stage}_room_unavailable"), false),
        Error::Refused(code) => (format!("{stage}_http_{code}"), *code == 401 || *code == 403),
        Error::Timeout(what) => (format!("{stage}_timeout_{}", what.to_lowercase()), false),
        Error::Closed { code, .. } => (format!("{stage}_closed_{code}"), false),
        Error::WebSocket(_) => (format!("{stage}_websocket"), false),
        _ => (format!("{stage}_other"), false),
    }
}

async fn connect_and_join(api: &Api, token: &str, room: RoomId) -> Result<(Connection, Joined), (&'static str, Error)> {
    let mut conn = Connection::connect(&api.ws_url(), token).await.map_err(|e| ("connect", e))?;
    let joined = conn.join(room).await.map_err(|e| ("join", e))?;
    Ok((conn, joined))
}

/// Run one player to the end of the window.
pub async fn run(plan: Plan, ctx: Ctx) {
    let shared = ctx.shared.clone();
    let first = plan.index % ctx.apis.len();
    let permit = ctx.setup.clone().acquire_owned().await.expect("the setup semaphore is never closed");
    let api = &ctx.apis[first];
    let token = match timeout_at(ctx.hard_end, api.guest(Some(&format!("lg-{}", plan.index)))).await {
        Ok(Ok(t)) => t.token,
        Ok(Err(e)) => return setup_failed(&shared, failure_kind("guest", &e).0),
        Err(_) => return setup_failed(&shared, "guest_timeout".into()),
    };
    let deadline = (Instant::now() + ATTEMPT_TIMEOUT).min(ctx.hard_end);
    let (conn, joined) = match timeout_at(deadline, connect_and_join(api, &token, plan.room)).await {
        Ok(Ok(ok)) => ok,
        Ok(Err((stage, e))) => return setup_failed(&shared, failure_kind(stage, &e).0),
        Err(_) => return setup_failed(&shared, "setup_timeout".into()),
    };
    drop(permit);
    Live::add(&shared.live.sockets_open, 1);
    Live::add(&shared.live.joined, 1);
    let mut player = Player::new(plan, ctx, token, first, joined.tick_hz);
    player.play(conn).await;
    player.finish();
}

fn setup_failed(shared: &Shared, kind: String) {
    shared.error(kind);
    Live::add(&shared.live.setup_failed, 1);
}

struct Player {
    plan: Plan,
    ctx: Ctx,
    token: String,
    gateway: usize,
    rng: StdRng,
    clock: TickClock,
    acks: AckSamples,
    /// (seq, sent at, sent at in µs) of inputs not acknowledged yet.
    pending: VecDeque<(u32, Instant, f64)>,
    /// (epoch, tick, arrival) of the last frame on this socket.
    last_frame: Option<(u64, u64, Instant)>,
    frames_on_socket: u64,
    /// The socket's wire bytes already counted.
    wire_seen: u64,
    up_bytes: u64,
    down_bytes: u64,
    /// When the previous socket closed, until the first frame on the new one.
    reconnecting_since: Option<Instant>,
    next_input: Instant,
}

impl Player {
    fn new(plan: Plan, ctx: Ctx, token: String, gateway: usize, tick_hz: u16) -> Self {
        let seed = ctx.args.seed.wrapping_mul(1_000_003).wrapping_add(plan.index as u64);
        let mut rng = StdRng::seed_from_u64(seed);
        let first_input = Instant::now() + Duration::from_millis(rng.random_range(0..=ctx.args.input_interval_ms));
        Self {
            plan,
            ctx,
            token,
            gateway,
            rng,
            clock: TickClock::new(tick_hz),
            acks: AckSamples::default(),
            pending: VecDeque::new(),
            last_frame: None,
            frames_on_socket: 0,
            wire_seen: 0,
            up_bytes: 0,
            down_bytes: 0,
            reconnecting_since: None,
            next_input: first_input,
        }
    }

    fn shared(&self) -> &Shared {
        &self.ctx.shared
    }

    async fn play(&mut self, mut conn: Connection) {
        let stall = Duration::from_millis(self.ctx.args.stall_ms);
        let mut socket_since = Instant::now();
        loop {
            let end = self.ctx.end();
            let quiet_since = self.last_frame.map_or(socket_since, |f| f.2);
            let broken = tokio::select! {
                _ = sleep_until(end) => break,
                _ = self.ctx.shared.window_started(), if self.ctx.shared.window().is_none() => None,
                _ = sleep_until(self.next_input) => self.send_input(&mut conn).await,
                _ = sleep_until(quiet_since + stall) => Some("stall".to_owned()),
                event = conn.next_event() => self.on_event(event),
            };
            self.count_down_bytes(&conn);
            if let Some(kind) = broken {
                let since = Instant::now();
                self.shared().error(kind);
                Live::sub(&self.shared().live.sockets_open, 1);
                drop(conn);
                match self.reconnect(since).await {
                    Some(c) => {
                        conn = c;
                        socket_since = Instant::now();
                        Live::add(&self.shared().live.sockets_open, 1);
                    }
                    None => return,
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), conn.close()).await;
        Live::sub(&self.shared().live.sockets_open, 1);
    }

    /// Send the next scripted intent; `Some(kind)` if the socket broke.
    async fn send_input(&mut self, conn: &mut Connection) -> Option<String> {
        let intent = Intent {
            turn: self.rng.random_range(-1.0..=1.0),
            thrust: self.rng.random_bool(0.2),
            fire: self.ctx.args.fire && self.rng.random_bool(0.2),
        };
        let payload = encode_intent(&intent);
        let seq = conn.next_seq();
        let size = encode(&ClientMsg::Input { seq, payload: payload.clone() }).len();
        let gap = self.ctx.args.input_interval_ms as f64 * self.rng.random_range(0.5..1.5);
        self.next_input = Instant::now() + Duration::from_secs_f64(gap / 1e3);
        let sent = Instant::now();
        if let Err(e) = conn.send_input(payload).await {
            return Some(failure_kind("send", &e).0);
        }
        Live::add(&self.shared().live.inputs, 1);
        if self.shared().measuring(sent) {
            self.up_bytes += size as u64 + client_header_len(size);
        }
        if self.pending.len() == MAX_PENDING {
            self.pending.pop_front();
            self.shared().error("input_never_acked");
        }
        let sent_us = self.shared().micros(sent);
        self.pending.push_back((seq.get(), sent, sent_us));
        None
    }

    fn count_down_bytes(&mut self, conn: &Connection) {
        let wire = conn.wire_bytes_in();
        if self.shared().measuring(Instant::now()) {
            self.down_bytes += wire - self.wire_seen;
        }
        self.wire_seen = wire;
    }

    /// Handle what the server said; `Some(kind)` if the socket is gone.
    fn on_event(&mut self, event: orrery_client::Result<Event>) -> Option<String> {
        match event {
            Ok(Event::Frame(frame)) => {
                self.on_frame(frame.epoch.get(), frame.tick.get(), frame.ack.map(|a| a.get()));
                None
            }
            Ok(Event::Gap { .. }) => {
                self.shared().error("gap");
                None
            }
            Ok(Event::Duplicate { .. }) => {
                self.shared().error("duplicate");
                None
            }
            Ok(Event::Message(ServerMsg::Error { code, .. })) => {
                self.shared().error(format!("server_error_{code:?}"));
                None
            }
            Ok(Event::Message(ServerMsg::GoAway { .. })) => {
                self.shared().error("goaway");
                None
            }
            Ok(Event::Message(_)) => None,
            Ok(Event::Closed { code, .. }) => Some(format!("closed_{code}")),
            Err(e) => Some(failure_kind("recv", &e).0),
        }
    }

    fn on_frame(&mut self, epoch: u64, tick: u64, ack: Option<u32>) {
        let now = Instant::now();
        let shared = self.ctx.shared.clone();
        let now_us = shared.micros(now);
        let measuring = shared.measuring(now);
        Live::add(&shared.live.frames, 1);
        self.frames_on_socket += 1;
        self.clock.observe(epoch, tick, now_us);
        if let Some(since) = self.reconnecting_since.take()
            && measuring
        {
            shared.record(|h| h.reconnect_us.saturating_record((now - since).as_micros() as u64));
        }
        let settled = self.frames_on_socket > SETTLE_FRAMES;
        if let Some((e, t, at)) = self.last_frame
            && e == epoch
            && tick == t + 1
            && settled
            && measuring
        {
            let interval = (now - at).as_secs_f64() * 1e6;
            let jitter = (interval - self.clock.period_us()).abs();
            shared.record(|h| h.frame_jitter_us.saturating_record(jitter as u64));
        }
        self.last_frame = Some((epoch, tick, now));
        let fitted = (self.clock.ready() && settled).then(|| self.clock.at(tick));
        if let Some(f) = fitted
            && measuring
        {
            shared.record(|h| h.frame_lateness_us.saturating_record((now_us - f) as u64));
        }
        let Some(ack) = ack else { return };
        while let Some(&(seq, sent, sent_us)) = self.pending.front() {
            if seq > ack {
                break;
            }
            self.pending.pop_front();
            if !(shared.measuring(sent) && measuring) {
                continue;
            }
            shared.record(|h| h.ack_total_us.saturating_record((now - sent).as_micros() as u64));
            if let Some(f) = fitted {
                self.acks.push(now_us - f, f - sent_us);
            } else {
                Live::add(&shared.live.acks_unsplit, 1);
            }
        }
    }

    /// Split this socket's acks into pipeline and tick wait, and start afresh.
    fn flush_acks(&mut self) {
        let acks = std::mem::take(&mut self.acks);
        let shared = self.ctx.shared.clone();
        match acks.split(self.clock.period_us()) {
            Some(split) => {
                shared.add_bias(split.bias_us);
                shared.record(|h| {
                    h.min_round_trip_us.saturating_record(split.round_trip_us as u64);
                    for &(pipeline, wait) in &split.per_input {
                        h.ack_pipeline_us.saturating_record(pipeline as u64);
                        h.ack_tick_wait_us.saturating_record(wait as u64);
                    }
                });
            }
            None => Live::add(&shared.live.acks_unsplit, acks.len() as u64),
        }
    }

    /// Reconnect through the next gateways until a join succeeds or the window ends.
    async fn reconnect(&mut self, since: Instant) -> Option<Connection> {
        self.flush_acks();
        self.pending.clear();
        self.clock = TickClock::new((1e6 / self.clock.period_us()).round() as u16);
        self.last_frame = None;
        self.frames_on_socket = 0;
        self.wire_seen = 0;
        Live::add(&self.shared().live.reconnects, 1);
        let mut backoff = Duration::from_millis(20);
        loop {
            let end = self.ctx.end();
            if Instant::now() >= end {
                return None;
            }
            self.gateway = (self.gateway + 1) % self.ctx.apis.len();
            let api = self.ctx.apis[self.gateway].clone();
            let deadline = (Instant::now() + ATTEMPT_TIMEOUT).min(end);
            match timeout_at(deadline, connect_and_join(&api, &self.token, self.plan.room)).await {
                Ok(Ok((conn, _))) => {
                    self.reconnecting_since = Some(since);
                    return Some(conn);
                }
                Ok(Err((stage, e))) => {
                    let (kind, fatal) = failure_kind(stage, &e);
                    self.shared().error(format!("re{kind}"));
                    if fatal {
                        return None;
                    }
                }
                Err(_) => self.shared().error("reconnect_timeout"),
            }
            let jitter = Duration::from_millis(self.rng.random_range(0..=backoff.as_millis() as u64 / 2));
            sleep_until((Instant::now() + backoff + jitter).min(end)).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }

    /// Record the per-player rates over the window.
    fn finish(&mut self) {
        self.flush_acks();
        let shared = self.ctx.shared.clone();
        let secs = shared.window_len().as_secs_f64();
        if shared.window().is_some() {
            let (up, down) = (self.up_bytes as f64 / secs, self.down_bytes as f64 / secs);
            shared.record(|h| {
                h.up_bytes_per_sec.saturating_record(up.round() as u64);
                h.down_bytes_per_sec.saturating_record(down.round() as u64);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client_header_len;

    #[test]
    fn client_frames_carry_a_mask() {
        assert_eq!(client_header_len(9), 6);
        assert_eq!(client_header_len(126), 8);
        assert_eq!(client_header_len(70_000), 14);
    }
}
