//! Quotas and HTTP hardening against a real gateway: each refusal is a 429 with
//! `Retry-After` (or a close code) and counts in `orrery_gateway_quota_refusals_total`;
//! a newer socket of a player in a room replaces the older (4007); WebSocket pings are
//! rate limited like messages; `/metrics` is only on the ops listener; bodies are small.

use futures::{SinkExt, StreamExt};
use orrery_client::{Connection, Event};
use orrery_systests::{Env, next_event_where};
use tokio_tungstenite::tungstenite::Message;

/// `orrery_gateway_quota_refusals_total{quota}` on the gateway's ops listener.
async fn refusals(ops: std::net::SocketAddr, quota: &str) -> f64 {
    let text = reqwest::get(format!("http://{ops}/metrics")).await.unwrap().text().await.unwrap();
    let key = format!("orrery_gateway_quota_refusals_total{{quota=\"{quota}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(&key)).map_or(0.0, |v| v.trim().parse().unwrap())
}

/// Post to `url` until the answer is not 2xx; how many succeeded and the refusal.
async fn until_refused(req: impl Fn() -> reqwest::RequestBuilder, limit: usize) -> (usize, reqwest::Response) {
    for ok in 0..limit {
        let resp = req().send().await.unwrap();
        if !resp.status().is_success() {
            return (ok, resp);
        }
    }
    panic!("{limit} requests and none refused");
}

/// A valid token for `player`, signed with the test secret (no guest token needed).
fn token_for(player: orrery_common::PlayerId) -> String {
    let now = orrery_common::time::now_ms() / 1000;
    let claims = orrery_common::auth::Claims {
        sub: player.to_string(),
        exp: now + 600,
        iat: now,
        aud: "orrery".into(),
        iss: "orrery".into(),
        name: Some("host".into()),
    };
    orrery_common::auth::sign_hs256(orrery_systests::SECRET.as_bytes(), &claims)
}

fn assert_429(resp: &reqwest::Response) {
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "Retry-After {retry}");
}

#[tokio::test]
async fn guest_tokens_rooms_kicks_and_invite_lookups_are_limited_with_429_and_a_metric() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env
        .gateway_with(&[
            "--quota-guest-token-burst",
            "3",
            "--quota-guest-tokens-per-minute",
            "1",
            "--quota-room-burst",
            "100",
            "--quota-live-rooms",
            "2",
            "--quota-kick-burst",
            "2",
            "--quota-kicks-per-minute",
            "1",
            "--quota-invite-lookup-burst",
            "2",
            "--quota-invite-lookups-per-minute",
            "1",
        ])
        .await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", gw.addr);

    let (issued, refused) = until_refused(|| http.post(format!("{base}/v1/auth/guest")), 50).await;
    assert_eq!(issued, 3, "the burst, then refused");
    assert_429(&refused);
    assert_eq!(refusals(gw.ops, "guest_tokens").await, 1.0);

    // The tokens already issued go on working; room creation has its own quota.
    let host = orrery_common::PlayerId::random();
    let token = token_for(host);
    let (created, refused) =
        until_refused(|| http.post(format!("{base}/v1/rooms")).bearer_auth(&token).json(&serde_json::json!({})), 20).await;
    assert_eq!(created, 2, "two live rooms, then refused");
    assert_429(&refused);
    assert_eq!(refusals(gw.ops, "live_rooms").await, 1.0);

    // Kicks: the creator of a room kicks strangers until the quota says no. The room is
    // looked up by its creator: the gateway's matchmaker fills its pools of pre-created
    // rooms (no creator) on its own schedule, so the lowest id may be one of those.
    let room: u64 = {
        let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
        let (id,): (i64,) =
            sqlx::query_as("SELECT id FROM rooms WHERE creator = $1 ORDER BY id LIMIT 1").bind(host.0).fetch_one(&pg).await.unwrap();
        id as u64
    };
    let kick = || {
        http.post(format!("{base}/v1/rooms/{room}/kick"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "player": orrery_common::PlayerId::random() }))
    };
    let (kicked, refused) = until_refused(kick, 20).await;
    assert_eq!(kicked, 2, "kicks before the refusal ({})", refused.status());
    assert_429(&refused);
    assert_eq!(refusals(gw.ops, "kicks").await, 1.0);

    // Invite lookups: per looking-up player.
    let (_, code) = gw.api().create_private_room(&token_for(orrery_common::PlayerId::random()), serde_json::json!({})).await.unwrap();
    let (looked_up, refused) = until_refused(|| http.get(format!("{base}/v1/invites/{code}")).bearer_auth(&token), 20).await;
    assert_eq!(looked_up, 2, "lookups before the refusal ({})", refused.status());
    assert_429(&refused);
    assert_eq!(refusals(gw.ops, "invite_lookups").await, 1.0);
}

#[tokio::test]
async fn a_newer_socket_in_the_same_room_replaces_the_older_and_sockets_per_player_are_capped() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway_with(&["--quota-sockets-per-player", "2"]).await;
    let room = gw.room(serde_json::json!({})).await;
    let token = gw.api().guest(Some("ada")).await.unwrap().token;
    let mut old = Connection::connect(&gw.ws_url(), &token).await.unwrap();
    old.join(room).await.unwrap();
    let mut new = Connection::connect(&gw.ws_url(), &token).await.unwrap();
    new.join(room).await.unwrap();
    let code = next_event_where(&mut old, "the older socket's close", |e| match e {
        Event::Closed { code, .. } => Some(code),
        _ => None,
    })
    .await;
    assert_eq!(code, 4007, "the older socket is replaced");
    // The newer socket keeps playing.
    next_event_where(&mut new, "a frame on the newer socket", |e| matches!(e, Event::Frame(_)).then_some(())).await;

    // Once the replaced socket is gone, a second may open; a third is refused before the upgrade.
    drop(old);
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let _second = loop {
        match Connection::connect(&gw.ws_url(), &token).await {
            Ok(c) => break c,
            Err(e) => assert!(tokio::time::Instant::now() < until, "the replaced socket's place was not given back: {e}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    match Connection::connect(&gw.ws_url(), &token).await {
        Err(orrery_client::Error::Refused(status)) => assert_eq!(status, 429),
        Err(orrery_client::Error::WebSocket(tokio_tungstenite::tungstenite::Error::Http(resp))) => assert_eq!(resp.status(), 429),
        Err(e) => panic!("refused otherwise: {e}"),
        Ok(_) => panic!("a third socket of one player was accepted"),
    }
    assert!(refusals(gw.ops, "sockets_per_player").await >= 1.0);
}

#[tokio::test]
async fn a_ping_flood_closes_the_socket_with_4002() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let token = gw.api().guest(Some("pinger")).await.unwrap().token;
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(gw.ws_url()).unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "orrery.v1".parse().unwrap());
    request.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    // Far more pings than the burst (120) and a second of the rate (60).
    for _ in 0..2000 {
        if ws.send(Message::Ping(vec![0u8; 8].into())).await.is_err() {
            break;
        }
    }
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Close(Some(frame))) => return Some(u16::from(frame.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the socket is still open after a ping flood");
    assert_eq!(closed, Some(4002));
    assert_eq!(refusals(gw.ops, "control_frames").await, 1.0);
}

#[tokio::test]
async fn metrics_are_on_the_ops_listener_only_and_bodies_are_small() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let public = reqwest::get(format!("http://{}/metrics", gw.addr)).await.unwrap();
    assert_eq!(public.status(), 404, "the public port answers /metrics");
    let ops = reqwest::get(format!("http://{}/metrics", gw.ops)).await.unwrap();
    assert_eq!(ops.status(), 200);
    assert!(ops.text().await.unwrap().contains("orrery_gateway_connections_open"));
    for probe in ["/healthz", "/readyz"] {
        assert_eq!(reqwest::get(format!("http://{}{probe}", gw.addr)).await.unwrap().status(), 200, "{probe} on the public port");
        assert_eq!(reqwest::get(format!("http://{}{probe}", gw.ops)).await.unwrap().status(), 200, "{probe} on the ops port");
    }
    let big = serde_json::json!({ "name": "x".repeat(64 * 1024) });
    let resp = reqwest::Client::new().post(format!("http://{}/v1/auth/guest", gw.addr)).json(&big).send().await.unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn emotes_beyond_the_persisted_events_quota_are_not_written() {
    use orrery_arena::{ArenaCommand, encode_command};
    use orrery_common::ClientMsgId;
    use orrery_common::protocol::client::ClientMsg;
    let env = Env::new().await;
    let _worker = env.worker_with(&["--events-per-player-per-second", "1", "--event-burst", "5"]).await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({})).await;
    let mut conn = gw.guest("ada").await;
    conn.join(room).await.unwrap();
    let started = tokio::time::Instant::now();
    for id in 1..=60 {
        let emote = ClientMsg::Command { id: ClientMsgId(id), payload: encode_command(&ArenaCommand::Emote(1)) };
        conn.send(&emote).await.unwrap();
    }
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let emotes = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM match_events WHERE kind = 'emote'").fetch_one(&pg).await.unwrap();
        n
    };
    // Durable writes come every 2 s: wait for the first, and one more.
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while emotes().await == 0 {
        assert!(tokio::time::Instant::now() < until, "no emote became durable");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let written = emotes().await;
    // The burst, plus one per second since the first emote.
    let allowed = 5 + started.elapsed().as_secs_f64().ceil() as i64;
    assert!((5..=allowed).contains(&written), "{written} emotes persisted of 60 sent (at most {allowed} allowed)");
    let text = reqwest::get(format!("http://{}/metrics", _worker.ops)).await.unwrap().text().await.unwrap();
    assert!(!text.contains("orrery_worker_quota_refusals_total{quota=\"persisted_events\"} 0"), "refusals not counted");
    pg.close().await;
}
