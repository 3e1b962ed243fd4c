//! The hostile-player run (`cargo xtask chaos --scenarios hostile`): one attacker with
//! nothing but free guest tokens (and, for one attack, the right to publish on NATS)
//! tries every attack Orrery has been shown to suffer, all at once and bounded in time,
//! against the gateway a well-behaved player in another room is playing through.
//!
//! The verdict: each attack is refused the way `docs/OPERATIONS.md` says, and the
//! well-behaved player is never disconnected and keeps its 30 Hz throughout (no second of
//! play with fewer than [`MIN_FRAMES_PER_SECOND`] frames, no gap over [`MAX_GAP`]).

use crate::cluster::Cluster;
use crate::scenario::Outcome;
use anyhow::Context;
use futures::future::join_all;
use orrery_arena::{ArenaCommand, Intent, encode_command, encode_intent};
use orrery_client::connection::{Connection, Event};
use orrery_client::http::Api;
use orrery_common::names::Names;
use orrery_common::protocol::client::{ClientMsg, CommandOutcome, FrameKind, ServerMsg};
use orrery_common::protocol::encode;
use orrery_common::protocol::internal::{Parts, StateFrame};
use orrery_common::{ClientMsgId, Epoch, PlayerId, RoomId, Tick};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// How long the attacks last.
pub const ATTACK: Duration = Duration::from_secs(15);
/// The fewest frames the well-behaved player may receive in any whole second (30 Hz,
/// less a little for the edges of a window).
pub const MIN_FRAMES_PER_SECOND: usize = 27;
/// The longest the well-behaved player may wait between two frames.
pub const MAX_GAP: Duration = Duration::from_millis(200);
/// One emote per 20 ms: 50 a second, under the socket's default 60 messages a second.
const EMOTE_PACE: Duration = Duration::from_millis(20);
/// Half-open connections that send their request headers one byte a second.
const SLOWLORIS: usize = 300;
/// Ids in the oversized party.
const HUGE_PARTY: usize = 40_000;
/// Generous for a refusal before any work (the quadratic check it replaces took 12.5 s).
const HUGE_PARTY_LIMIT: Duration = Duration::from_secs(2);

/// What the well-behaved player saw.
struct Witness {
    arrivals: Vec<Instant>,
    closed: Option<String>,
}

/// Run the attacks against `cluster` and judge them.
pub async fn drive(cluster: &mut Cluster) -> anyhow::Result<Outcome> {
    let gateway = cluster.gateway_urls().into_iter().next().context("a gateway")?;
    let api = Api::new(gateway.clone());
    // No pooled connections: a gateway closes the connection of a request it refused
    // mid-body, and a later request must not be sent on it.
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
    let mut out = Outcome::default();

    // Everyone honest gets their token before the attacker floods the token endpoint.
    let player = api.guest(Some("honest")).await?;
    let bystander = api.guest(Some("bystander")).await?;
    let attacker = api.guest(Some("attacker")).await?;
    // A second identity of the attacker's (guest tokens are free): its sockets are not
    // caught by the socket quota the first one's socket flood runs into.
    let accomplice = api.guest(Some("accomplice")).await?;
    let honest_room = api.create_room(&player.token, serde_json::json!({ "mode": "arena-duel" })).await?;
    let attacker_room = api.create_room(&attacker.token, serde_json::json!({ "mode": "arena-duel" })).await?;
    let victim: PlayerId = player.player.parse()?;
    let bystander_id: PlayerId = bystander.player.parse()?;

    let mut honest = Connection::connect(&api.ws_url(), &player.token).await?;
    honest.join(honest_room).await?;
    let witness = tokio::spawn(watch(honest));
    // Let the player settle in before the attacks start.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let until = Instant::now() + ATTACK;
    let attacks = async {
        tokio::join!(
            kick_flood(&http, &gateway, &attacker.token, attacker_room, victim, until),
            party_without_consent(&http, &gateway, &attacker.token, &bystander.token, bystander_id),
            huge_party(&http, &gateway, &attacker.token),
            abusive_fields(&http, &gateway, &accomplice.token),
            forged_frames(cluster, honest_room, until),
            token_flood(&http, &gateway),
            room_flood(&http, &gateway, &attacker.token),
            socket_flood(&api, &attacker.token),
            ping_flood(&api, &accomplice.token, until),
            emote_flood(&api, &accomplice.token, attacker_room, until),
            slowloris(&gateway, until),
        )
    };
    let (kick, party, huge, fields, forged, tokens, rooms, sockets, pings, emotes, slow) = attacks.await;
    let witness = witness.await?;

    for (name, result) in [
        ("kicks of a player in another room do not reach them", kick),
        ("a stranger cannot be queued as a party member", party),
        ("an oversized party is refused before any work", huge),
        ("oversized and NUL fields are refused without internal error text", fields),
        ("a forged frame of a far epoch does not silence the room", forged),
        ("guest tokens are rate limited per address", tokens),
        ("room creation is limited per creator", rooms),
        ("sockets per player are limited", sockets),
        ("control pings are limited", pings),
    ] {
        match result {
            Ok(detail) => out.check(name, true, detail),
            Err(e) => out.check(name, false, format!("{e:#}")),
        }
    }
    match emotes {
        Ok((sent, ack_refused)) => {
            let stored = count_events(&cluster.database_url, attacker_room).await?;
            out.check(
                "persisted events are limited per player",
                sent >= 300 && stored * 5 < sent,
                format!("{sent} emotes sent, {stored} rows stored, {ack_refused} refused"),
            );
        }
        Err(e) => out.check("persisted events are limited per player", false, format!("{e:#}")),
    }
    match slow {
        Ok(detail) => out.check("header trickles are cut off", true, detail),
        Err(e) => out.check("header trickles are cut off", false, format!("{e:#}")),
    }
    judge_witness(&mut out, &witness);
    Ok(out)
}

/// The honest player: play and note when each frame arrives, until the socket ends or
/// the attacks are over (plus a second).
async fn watch(mut conn: Connection) -> Witness {
    let end = Instant::now() + Duration::from_secs(1) + ATTACK + Duration::from_secs(1);
    let mut witness = Witness { arrivals: Vec::new(), closed: None };
    let mut think = tokio::time::interval(Duration::from_millis(100));
    let mut turn = 1.0;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(end) => return witness,
            _ = think.tick() => {
                turn = -turn;
                if let Err(e) = conn.send_input(encode_intent(&Intent { turn, thrust: true, fire: false })).await {
                    witness.closed = Some(format!("send failed: {e}"));
                    return witness;
                }
            }
            event = conn.next_event() => match event {
                Ok(Event::Frame(_)) => witness.arrivals.push(Instant::now()),
                Ok(Event::Closed { code, reason }) => {
                    witness.closed = Some(format!("closed with {code} {reason}"));
                    return witness;
                }
                Ok(Event::Message(ServerMsg::Kicked { room })) => {
                    witness.closed = Some(format!("told it was kicked from {room}"));
                    return witness;
                }
                Ok(_) => {}
                Err(e) => {
                    witness.closed = Some(format!("{e}"));
                    return witness;
                }
            }
        }
    }
}

fn judge_witness(out: &mut Outcome, w: &Witness) {
    out.check("the honest player is never disconnected", w.closed.is_none(), w.closed.clone().unwrap_or_default());
    let Some(first) = w.arrivals.first().copied() else {
        out.check("the honest player keeps its 30 Hz", false, "no frame at all");
        return;
    };
    let max_gap = w.arrivals.windows(2).map(|p| p[1] - p[0]).max().unwrap_or_default();
    let whole_seconds = (w.arrivals.last().copied().unwrap_or(first) - first).as_secs() as usize;
    let mut per_second = vec![0usize; whole_seconds];
    for at in &w.arrivals {
        let s = (*at - first).as_secs() as usize;
        if s < whole_seconds {
            per_second[s] += 1;
        }
    }
    let fewest = per_second.iter().copied().min().unwrap_or(0);
    out.check(
        "the honest player keeps its 30 Hz",
        whole_seconds as u64 >= ATTACK.as_secs() && fewest >= MIN_FRAMES_PER_SECOND && max_gap <= MAX_GAP,
        format!("{} frames in {whole_seconds} s, fewest in one second {fewest}, longest gap {} ms", w.arrivals.len(), max_gap.as_millis()),
    );
}

/// Kick the honest player from the attacker's own room, over and over.
async fn kick_flood(
    http: &reqwest::Client,
    gateway: &str,
    token: &str,
    room: RoomId,
    victim: PlayerId,
    until: Instant,
) -> anyhow::Result<String> {
    let mut statuses = Statuses::default();
    while Instant::now() < until {
        let resp = http
            .post(format!("{gateway}/v1/rooms/{}/kick", room.0))
            .bearer_auth(token)
            .json(&serde_json::json!({ "player": victim }))
            .send()
            .await?;
        statuses.add(resp.status().as_u16());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The verdict is the honest player's: it must still be playing.
    Ok(format!("kicks answered {statuses}"))
}

/// Queue with a stranger in the party; then the stranger queues alone.
async fn party_without_consent(
    http: &reqwest::Client,
    gateway: &str,
    token: &str,
    stranger_token: &str,
    stranger: PlayerId,
) -> anyhow::Result<String> {
    let body = serde_json::json!({ "mode": "arena", "party": [stranger] });
    let forced = http.post(format!("{gateway}/v1/matchmaking")).bearer_auth(token).json(&body).send().await?.status();
    anyhow::ensure!(!forced.is_success(), "queueing a stranger as a party member was accepted ({forced})");
    let own = http
        .post(format!("{gateway}/v1/matchmaking"))
        .bearer_auth(stranger_token)
        .json(&serde_json::json!({ "mode": "arena" }))
        .send()
        .await?;
    let own_status = own.status();
    let _ = http.delete(format!("{gateway}/v1/matchmaking")).bearer_auth(stranger_token).send().await;
    let _ = http.delete(format!("{gateway}/v1/matchmaking")).bearer_auth(token).send().await;
    anyhow::ensure!(own_status.is_success(), "the stranger could not queue alone afterwards ({own_status})");
    Ok(format!("forced party refused with {forced}; the stranger then queued ({own_status})"))
}

/// A party list of 40,000 ids.
async fn huge_party(http: &reqwest::Client, gateway: &str, token: &str) -> anyhow::Result<String> {
    let party: Vec<String> = (0..HUGE_PARTY).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = serde_json::json!({ "mode": "arena", "party": party });
    let started = Instant::now();
    let answer = post(http, &format!("{gateway}/v1/matchmaking"), token, &body).await?;
    let took = started.elapsed();
    // Refusing it must cost what reading 1.6 MB costs, not seconds of a core.
    anyhow::ensure!(answer.refused() && took < HUGE_PARTY_LIMIT, "{answer} after {} ms", took.as_millis());
    Ok(format!("{answer} after {} ms", took.as_millis()))
}

/// What a gateway made of a request.
enum Answer {
    Status(reqwest::StatusCode, String),
    /// The gateway closed the connection while the (oversized) body was still being sent:
    /// its 413 can be lost in the reset.
    ClosedMidBody,
}

impl Answer {
    fn refused(&self) -> bool {
        match self {
            Answer::Status(status, _) => status.is_client_error(),
            Answer::ClosedMidBody => true,
        }
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Status(status, _) => write!(f, "{status}"),
            Answer::ClosedMidBody => write!(f, "connection closed by the gateway mid-body"),
        }
    }
}

/// POST `body` as JSON with `token`.
async fn post(http: &reqwest::Client, url: &str, token: &str, body: &serde_json::Value) -> anyhow::Result<Answer> {
    match http.post(url).bearer_auth(token).json(body).send().await {
        Ok(resp) => {
            let status = resp.status();
            Ok(Answer::Status(status, resp.text().await.unwrap_or_default()))
        }
        Err(e) if !e.is_connect() && !e.is_timeout() && serde_json::to_vec(body).map_or(0, |b| b.len()) > 64 * 1024 => {
            Ok(Answer::ClosedMidBody)
        }
        Err(e) => Err(e.into()),
    }
}

/// A 1.9 MB region and a mode with a NUL in it.
async fn abusive_fields(http: &reqwest::Client, gateway: &str, token: &str) -> anyhow::Result<String> {
    let huge = "x".repeat(1_900_000);
    let mut answers = Vec::new();
    for (what, body) in [
        ("1.9 MB region", serde_json::json!({ "mode": "arena", "region": huge })),
        ("NUL in mode", serde_json::json!({ "mode": "are\u{0}na" })),
        ("NUL in region", serde_json::json!({ "mode": "arena", "region": "eu\u{0}" })),
    ] {
        for path in ["/v1/matchmaking", "/v1/rooms"] {
            let answer = post(http, &format!("{gateway}{path}"), token, &body).await?;
            anyhow::ensure!(answer.refused(), "{what} on {path} answered {answer}");
            if let Answer::Status(_, text) = &answer {
                let text = text.to_lowercase();
                for leak in ["postgres", "sql", "byte sequence", "redis", "nats"] {
                    anyhow::ensure!(!text.contains(leak), "{what} on {path}: the answer names `{leak}`: {text}");
                }
            }
            answers.push(format!("{what} on {path}: {answer}"));
        }
    }
    let _ = http.delete(format!("{gateway}/v1/matchmaking")).bearer_auth(token).send().await;
    Ok(answers.join("; "))
}

/// Frames of the honest room at epoch 2^62, published straight onto its subject.
async fn forged_frames(cluster: &Cluster, room: RoomId, until: Instant) -> anyhow::Result<String> {
    let nats = async_nats::connect(&cluster.nats_url).await?;
    let subject = Names::new(cluster.prefix.clone()).room_state(room);
    let mut sent = 0u64;
    while Instant::now() < until {
        let frame = StateFrame {
            room,
            epoch: Epoch(1 << 62),
            tick: Tick(sent),
            kind: FrameKind::Keyframe,
            acks: Vec::new(),
            input_waits_us: Vec::new(),
            payload: vec![0; 16],
            parts: Parts::Shared,
        };
        nats.publish(subject.clone(), encode(&frame).into()).await?;
        sent += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    nats.flush().await?;
    // The verdict is the honest player's: its room must keep reaching it.
    Ok(format!("{sent} forged frames published"))
}

/// 1,000 guest tokens asked for from one address, 20 at a time.
async fn token_flood(http: &reqwest::Client, gateway: &str) -> anyhow::Result<String> {
    let statuses =
        burst(1_000, 20, |_| http.post(format!("{gateway}/v1/auth/guest")).json(&serde_json::json!({ "name": "flood" })).send()).await;
    anyhow::ensure!(statuses.count(429) > 0, "no guest token request was refused: {statuses}");
    Ok(format!("guest tokens answered {statuses}"))
}

/// 300 rooms created by one token.
async fn room_flood(http: &reqwest::Client, gateway: &str, token: &str) -> anyhow::Result<String> {
    let statuses = burst(300, 10, |_| {
        http.post(format!("{gateway}/v1/rooms")).bearer_auth(token).json(&serde_json::json!({ "mode": "arena-duel" })).send()
    })
    .await;
    anyhow::ensure!(statuses.count(429) > 0 && statuses.successes() < 300, "room creation was not limited: {statuses}");
    Ok(format!("room creations answered {statuses}"))
}

/// 50 sockets with one token.
async fn socket_flood(api: &Api, token: &str) -> anyhow::Result<String> {
    let url = api.ws_url();
    let results = join_all((0..50).map(|_| Connection::connect(&url, token))).await;
    let open = results.iter().filter(|r| r.is_ok()).count();
    drop(results);
    anyhow::ensure!(open < 50, "all 50 sockets of one player were accepted");
    Ok(format!("{open} of 50 sockets of one player accepted"))
}

/// WebSocket pings as fast as the socket takes them.
async fn ping_flood(api: &Api, token: &str, until: Instant) -> anyhow::Result<String> {
    let mut conn = Connection::connect(&api.ws_url(), token).await?;
    let mut sent = 0u64;
    let mut ended = None;
    while Instant::now() < until && sent < 2_000_000 {
        if let Err(e) = conn.send_raw(Message::Ping(vec![0; 8].into())).await {
            ended = Some(format!("{e}"));
            break;
        }
        sent += 1;
        if sent.is_multiple_of(256) {
            tokio::task::yield_now().await;
        }
    }
    // Pings count against the socket's message rate like any message: a flood ends it.
    let _ = tokio::time::timeout(Duration::from_millis(100), conn.close()).await;
    match ended {
        Some(e) => Ok(format!("socket ended after {sent} pings: {e}")),
        None => anyhow::bail!("{sent} pings sent in {} s and the socket is still open", ATTACK.as_secs()),
    }
}

/// Emotes in the attacker's own room, just under the socket's message rate (so the socket
/// stays open and only the worker's event quota stands between them and PostgreSQL).
/// Returns how many were sent and how many the room refused.
async fn emote_flood(api: &Api, token: &str, room: RoomId, until: Instant) -> anyhow::Result<(u64, u64)> {
    let mut conn = Connection::connect(&api.ws_url(), token).await?;
    conn.join(room).await?;
    let payload = encode_command(&ArenaCommand::Emote(1));
    let (mut sent, mut refused) = (0u64, 0u64);
    let mut pace = tokio::time::interval(EMOTE_PACE);
    while Instant::now() < until {
        tokio::select! {
            _ = pace.tick() => {
                if conn.send(&ClientMsg::Command { id: ClientMsgId(sent as u32 + 1), payload: payload.clone() }).await.is_err() {
                    break;
                }
                sent += 1;
            }
            event = conn.next_event() => match event {
                Ok(Event::Message(ServerMsg::CommandAck { outcome, .. })) if outcome != CommandOutcome::Accepted => refused += 1,
                Ok(Event::Closed { code, reason }) => anyhow::bail!("the emote socket was closed ({code} {reason}) after {sent}"),
                Ok(_) => {}
                Err(e) => anyhow::bail!("the emote socket failed after {sent}: {e}"),
            }
        }
    }
    // Let the room write what it accepted.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok((sent, refused))
}

async fn count_events(database_url: &str, room: RoomId) -> anyhow::Result<u64> {
    let pg = sqlx::PgPool::connect(database_url).await?;
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM match_events WHERE room = $1 AND kind = 'emote'").bind(room.0 as i64).fetch_one(&pg).await?;
    pg.close().await;
    Ok(n as u64)
}

/// Connections that send the start of a request, then one header byte a second.
async fn slowloris(gateway: &str, until: Instant) -> anyhow::Result<String> {
    let addr = gateway.trim_start_matches("http://").to_owned();
    let tasks = (0..SLOWLORIS).map(|i| {
        let addr = addr.clone();
        async move {
            let Ok(mut tcp) = TcpStream::connect(&addr).await else { return true };
            if tcp.write_all(format!("GET /v1/leaderboard HTTP/1.1\r\nHost: {addr}\r\nX-{i}: ").as_bytes()).await.is_err() {
                return true;
            }
            let mut buf = [0u8; 256];
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => return false,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {
                        if tcp.write_all(b"a").await.is_err() {
                            return true;
                        }
                    }
                    read = tcp.read(&mut buf) => match read {
                        Ok(0) | Err(_) => return true,
                        // An answer (408, 431) is followed by a close.
                        Ok(_) => {}
                    },
                }
            }
        }
    });
    let cut = join_all(tasks).await.into_iter().filter(|c| *c).count();
    anyhow::ensure!(
        cut == SLOWLORIS,
        "{} of {SLOWLORIS} trickling connections were still open after {} s",
        SLOWLORIS - cut,
        ATTACK.as_secs()
    );
    Ok(format!("all {SLOWLORIS} trickling connections were closed by the gateway"))
}

/// HTTP statuses, counted.
#[derive(Default)]
struct Statuses(std::collections::BTreeMap<u16, usize>);

impl Statuses {
    fn add(&mut self, status: u16) {
        *self.0.entry(status).or_default() += 1;
    }
    fn count(&self, status: u16) -> usize {
        self.0.get(&status).copied().unwrap_or(0)
    }
    fn successes(&self) -> usize {
        self.0.iter().filter(|(s, _)| (200..300).contains(*s)).map(|(_, n)| n).sum()
    }
}

impl std::fmt::Display for Statuses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(s, n)| format!("{n}×{s}")).collect();
        if parts.is_empty() { write!(f, "nothing") } else { write!(f, "{}", parts.join(", ")) }
    }
}

/// `n` requests, `parallel` at a time; their statuses (0 for a transport error).
async fn burst<F, Fut>(n: usize, parallel: usize, request: F) -> Statuses
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    use futures::StreamExt;
    let mut statuses = Statuses::default();
    let mut answers = futures::stream::iter((0..n).map(&request)).buffer_unordered(parallel);
    while let Some(answer) = answers.next().await {
        statuses.add(answer.map(|r| r.status().as_u16()).unwrap_or(0));
    }
    statuses
}
