//! What the HTTP API refuses a hostile player with nothing but a token: a kick reaches
//! nothing outside its room, nobody is put in a party without joining it, oversized or
//! odd fields are refused with a 400 before any work, matchmade rooms are joined only by
//! placement, a one-seat room's match counts on no leaderboard.

use crate::matchmaking::token;
use orrery_client::{Connection, Event};
use orrery_common::RoomId;
use orrery_common::protocol::client::{ClientMsg, ServerMsg};
use orrery_systests::Env;
use std::time::Duration;
use tokio::time::Instant;

/// `POST {path}` on `gw` with `token` and a JSON body: the status and the JSON answer.
pub async fn post(base: &str, path: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new().post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await.expect("request sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// A room created over HTTP by the holder of `token`.
pub async fn create_room(base: &str, token: &str, body: serde_json::Value) -> RoomId {
    let (status, answer) = post(base, "/v1/rooms", token, body).await;
    assert_eq!(status, 201, "{answer}");
    RoomId(answer["room"].as_u64().expect("a room id"))
}

/// Nothing but frames and pongs reach `conn` for `quiet`: no `Kicked`, no close.
async fn undisturbed(conn: &mut Connection, quiet: Duration, what: &str) {
    let deadline = Instant::now() + quiet;
    let mut ping = tokio::time::interval(Duration::from_millis(200));
    let mut pongs = 0;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            _ = ping.tick() => conn.send(&ClientMsg::Ping { client_time_us: 1 }).await.unwrap_or_else(|e| panic!("{what}: {e}")),
            event = conn.next_event() => match event.unwrap_or_else(|e| panic!("{what}: {e}")) {
                Event::Message(ServerMsg::Pong { .. }) => pongs += 1,
                Event::Message(m @ (ServerMsg::Kicked { .. } | ServerMsg::RoomClosed { .. } | ServerMsg::Error { .. })) => {
                    panic!("{what} was told {m:?}")
                }
                Event::Closed { code, reason } => panic!("{what} was closed: {code} {reason}"),
                _ => {}
            },
        }
    }
    assert!(pongs > 0, "{what} still answers");
}

#[tokio::test]
async fn a_kick_reaches_nothing_outside_its_room() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    let base = format!("http://{}", gw.addr);
    let (_, attacker) = token();
    let (_, host) = token();
    let (victim, victim_token) = token();
    let attackers_room = create_room(&base, &attacker, serde_json::json!({ "mode": "arena", "max_players": 4 })).await;
    let other_room = create_room(&base, &host, serde_json::json!({ "mode": "arena", "max_players": 4 })).await;

    let mut playing = Connection::connect(&gw.ws_url(), &victim_token).await.unwrap();
    playing.join(other_room).await.expect("the victim plays in another room");
    let mut idle = Connection::connect(&gw.ws_url(), &victim_token).await.unwrap();

    for _ in 0..3 {
        let (status, answer) =
            post(&base, &format!("/v1/rooms/{attackers_room}/kick"), &attacker, serde_json::json!({ "player": victim })).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["in_room"], false, "the victim was never in the attacker's room: {answer}");
    }
    undisturbed(&mut playing, Duration::from_millis(1500), "the victim's socket in another room").await;
    undisturbed(&mut idle, Duration::from_millis(300), "the victim's socket in no room").await;

    // What the kick did do: ban the player from the attacker's room.
    let mut again = Connection::connect(&gw.ws_url(), &victim_token).await.unwrap();
    assert!(again.join(attackers_room).await.is_err(), "the ban holds for the kicker's own room");
}

#[tokio::test]
async fn odd_fields_are_refused_with_a_400_that_quotes_no_internal_error() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let base = format!("http://{}", gw.addr);
    let (_, t) = token();
    let huge = "x".repeat(1_900_000);
    let refused = [
        ("/v1/rooms", serde_json::json!({ "region": "eu\u{0}west" })),
        ("/v1/rooms", serde_json::json!({ "mode": "arena\u{0}" })),
        ("/v1/rooms", serde_json::json!({ "region": huge })),
        ("/v1/rooms", serde_json::json!({ "mode": "arène" })),
        ("/v1/rooms", serde_json::json!({ "max_players": huge })),
        ("/v1/matchmaking", serde_json::json!({ "mode": "arena", "region": "eu\u{0}" })),
        ("/v1/matchmaking", serde_json::json!({ "mode": huge })),
        ("/v1/auth/guest", serde_json::json!({ "name": huge })),
        ("/v1/parties/join", serde_json::json!({ "code": huge })),
    ];
    for (path, body) in refused {
        let shown: String = body.to_string().chars().take(60).collect();
        let (status, answer) = post(&base, path, &t, body).await;
        assert!(status == 400 || status == 413, "{path} {shown}: {status} {answer}");
        let text = answer.to_string();
        assert!(text.len() < 400, "{path}: the refusal quotes the input ({} bytes)", text.len());
        for leak in ["database", "redis", "UTF8", "0x00", "violates", "sqlx"] {
            assert!(!text.contains(leak), "{path} {shown}: {text}");
        }
    }
    // An invite code that could never be one is not looked up (a NUL reached PostgreSQL).
    let mut conn = Connection::connect(&gw.ws_url(), &t).await.unwrap();
    conn.send(&ClientMsg::JoinByCode { code: "AB\u{0}CDEFG".into() }).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, conn.next_event()).await.expect("an answer").unwrap() {
            Event::Message(ServerMsg::Error { code, message }) => {
                assert_eq!(code, orrery_common::protocol::client::ErrorCode::RoomNotFound, "{message}");
                assert!(!message.contains("database") && !message.contains("UTF8"), "{message}");
                break;
            }
            Event::Closed { code, reason } => panic!("closed {code} {reason}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_party_list_costs_no_more_than_its_limit() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let base = format!("http://{}", gw.addr);
    let (_, t) = token();
    let party: Vec<String> = (0..40_000).map(|_| orrery_common::PlayerId::random().to_string()).collect();
    let started = Instant::now();
    let (status, answer) = post(&base, "/v1/matchmaking", &t, serde_json::json!({ "mode": "arena", "party": party })).await;
    let took = started.elapsed();
    assert!(status == 400 || status == 413, "{status} {answer}");
    // Decoding 40,000 ids is a few milliseconds; comparing each with every other was seconds.
    assert!(took < Duration::from_secs(2), "refusing a 40,000-id party took {took:?}");
    if status == 400 {
        assert!(answer["error"].as_str().unwrap_or_default().contains("at most"), "refused while decoding: {answer}");
    }
}

/// Where `token`'s player stands (`GET /v1/matchmaking`), until `placed`.
async fn placed_room(base: &str, token: &str) -> RoomId {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status: serde_json::Value =
            reqwest::Client::new().get(format!("{base}/v1/matchmaking")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        if status["status"] == "placed" {
            return RoomId(status["room"].as_u64().unwrap());
        }
        assert!(Instant::now() < deadline, "not placed: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_matchmade_room_is_joined_only_by_placement() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway_with(&["--mm-modes", "arena-duel=2-2"]).await;
    let base = format!("http://{}", gw.addr);
    let ((_, a), (_, b), (_, stranger)) = (token(), token(), token());
    for t in [&a, &b] {
        let (status, answer) = post(&base, "/v1/matchmaking", t, serde_json::json!({ "mode": "arena-duel" })).await;
        assert_eq!(status, 200, "{answer}");
    }
    let room = placed_room(&base, &a).await;
    assert_eq!(placed_room(&base, &b).await, room);

    let mut gatecrasher = Connection::connect(&gw.ws_url(), &stranger).await.unwrap();
    match gatecrasher.join(room).await {
        Err(orrery_client::Error::Server { code, message }) => {
            assert_eq!(code, orrery_common::protocol::client::ErrorCode::JoinRefused, "{message}");
            assert!(message.contains("matchmade"), "{message}");
        }
        other => panic!("a player nobody placed joined a matchmade room: {other:?}"),
    }
    let mut placed = Connection::connect(&gw.ws_url(), &a).await.unwrap();
    placed.join(room).await.expect("a placed player joins by id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_match_alone_counts_on_no_leaderboard() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    let base = format!("http://{}", gw.addr);
    let (player, t) = token();
    let room = create_room(&base, &t, serde_json::json!({ "mode": "arena-blitz", "max_players": 1, "tick_hz": 20 })).await;
    let mut conn = Connection::connect(&gw.ws_url(), &t).await.unwrap();
    conn.join(room).await.expect("the creator takes the one seat");
    // The blitz match runs to its 15 s limit and closes after a 2 s float.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        match tokio::time::timeout_at(deadline, conn.next_event()).await.expect("the solo match ends").unwrap() {
            Event::Message(ServerMsg::RoomClosed { room: r }) if r == room => break,
            Event::Closed { code, reason } => panic!("closed {code} {reason}"),
            _ => {}
        }
    }
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let (status, results): (String, i64) =
        sqlx::query_as("SELECT status, (SELECT count(*) FROM match_results WHERE room = $1) FROM rooms WHERE id = $1")
            .bind(room.get() as i64)
            .fetch_one(&pg)
            .await
            .unwrap();
    assert_eq!((status.as_str(), results), ("closed", 0), "a match alone wrote results");
    let board: serde_json::Value = reqwest::get(format!("{base}/v1/leaderboard?limit=10")).await.unwrap().json().await.unwrap();
    assert!(board.as_array().unwrap().iter().all(|e| e["player"] != player.to_string()), "on the board: {board}");
    let stats: serde_json::Value = reqwest::get(format!("{base}/v1/players/{player}")).await.unwrap().json().await.unwrap();
    assert_eq!((stats["games"].as_i64(), stats["rank"].is_null()), (Some(0), true), "{stats}");
    pg.close().await;
}

/// `GET` or `DELETE` `path` with `token`: the status and the JSON answer.
async fn call(method: reqwest::Method, base: &str, path: &str, token: &str) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new().request(method, format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn nobody_is_queued_or_pulled_into_a_room_without_joining_the_party() {
    let env = Env::new().await;
    let gw = env.gateway_with(&["--mm-modes", "arena-duel=2-2"]).await;
    let base = format!("http://{}", gw.addr);
    let ((_, attacker), (stranger, stranger_token)) = (token(), token());
    let mut idle = Connection::connect(&gw.ws_url(), &stranger_token).await.unwrap();

    let (status, answer) =
        post(&base, "/v1/matchmaking", &attacker, serde_json::json!({ "mode": "arena-duel", "party": [stranger] })).await;
    assert_eq!(status, 400, "a stranger listed in a party: {answer}");
    // The stranger's idle socket is not pulled into a room, and they still queue themselves.
    let deadline = Instant::now() + Duration::from_millis(1000);
    while let Ok(event) = tokio::time::timeout_at(deadline, idle.next_event()).await {
        match event.unwrap() {
            Event::Message(m @ (ServerMsg::Matched { .. } | ServerMsg::Joined { .. })) => panic!("the stranger was pulled in: {m:?}"),
            Event::Closed { code, reason } => panic!("closed {code} {reason}"),
            _ => {}
        }
    }
    let (status, answer) = post(&base, "/v1/matchmaking", &stranger_token, serde_json::json!({ "mode": "arena-duel" })).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("queued")), "{answer}");
    assert_eq!(call(reqwest::Method::DELETE, &base, "/v1/matchmaking", &stranger_token).await.0, 200);

    // With consent: a party created, joined with its code, queued by its leader.
    let ((leader, leader_token), (member, member_token)) = (token(), token());
    let (status, party) = post(&base, "/v1/parties", &leader_token, serde_json::json!({})).await;
    assert_eq!(status, 201, "{party}");
    let code = party["code"].as_str().unwrap().to_owned();
    let (status, joined) = post(&base, "/v1/parties/join", &member_token, serde_json::json!({ "code": code.to_lowercase() })).await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["members"], serde_json::json!([leader, member]));
    let (status, elsewhere) = post(&base, "/v1/parties", &member_token, serde_json::json!({})).await;
    assert_eq!(status, 409, "one party at a time: {elsewhere}");
    let (status, answer) =
        post(&base, "/v1/matchmaking", &member_token, serde_json::json!({ "mode": "arena-duel", "party": [leader] })).await;
    assert_eq!(status, 400, "a member cannot queue the leader: {answer}");
    let (status, answer) = post(&base, "/v1/matchmaking", &leader_token, serde_json::json!({ "mode": "arena-duel" })).await;
    assert_eq!(status, 200, "{answer}");
    let room = placed_room(&base, &leader_token).await;
    assert_eq!(placed_room(&base, &member_token).await, room, "the party was placed together");

    let (status, left) = call(reqwest::Method::DELETE, &base, "/v1/parties", &member_token).await;
    assert_eq!((status, &left["left"]), (200, &serde_json::json!(true)));
    assert_eq!(call(reqwest::Method::GET, &base, "/v1/parties", &member_token).await.0, 404, "in no party after leaving");
    let (_, still) = call(reqwest::Method::GET, &base, "/v1/parties", &leader_token).await;
    assert_eq!(still["members"], serde_json::json!([leader]));
}
