//! Matchmaking through real gateways, Redis, PostgreSQL and NATS.
//!
//! 1. 1,000 players queue at once through two gateways: each ends in exactly one room,
//!    every room holds 3 to 5, nobody is placed twice, nobody waits beyond the rules.
//! 2. Region and rating: players are grouped by the rules, and the relaxations after
//!    waiting happen (not before, and soon after they are due).
//! 3. A party of 3 lands in one room; a party that cannot fit waits, whole.
//!
//! Placements are observed the way gateways learn them: `<prefix>.player.*.events`.

use futures::StreamExt;
use orrery_client::{Connection, Event};
use orrery_common::auth::{Claims, sign_hs256};
use orrery_common::names::Names;
use orrery_common::protocol::client::{ClientMsg, ServerMsg};
use orrery_common::protocol::decode;
use orrery_common::protocol::internal::PlayerEvent;
use orrery_common::{PlayerId, RoomId};
use orrery_systests::{Env, SECRET};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::time::Instant;

/// A token for a fresh player, signed with the test secret.
pub fn token() -> (PlayerId, String) {
    let player = PlayerId::random();
    let now = orrery_common::time::now_ms() / 1000;
    let claims = Claims { sub: player.to_string(), exp: now + 3600, iat: now, aud: "orrery".into(), iss: "orrery".into(), name: None };
    (player, sign_hs256(SECRET.as_bytes(), &claims))
}

/// `POST /v1/matchmaking`; the JSON answer.
pub async fn queue(http: &reqwest::Client, base: &str, token: &str, body: serde_json::Value) -> serde_json::Value {
    let resp = http.post(format!("{base}/v1/matchmaking")).bearer_auth(token).json(&body).send().await.expect("request sent");
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.expect("JSON answer");
    assert!(status.is_success(), "queue refused: {status} {body}");
    body
}

/// Every placement announced on NATS, with the time it was seen.
pub struct Placements {
    sub: async_nats::Subscriber,
    names: Names,
    pub seen: HashMap<PlayerId, Vec<(RoomId, Instant)>>,
}

impl Placements {
    pub async fn watch(env: &Env) -> Self {
        let nats = async_nats::connect(&env.nats_url).await.unwrap();
        let sub = nats.subscribe(env.names().all_player_events()).await.unwrap();
        nats.flush().await.unwrap();
        Self { sub, names: env.names(), seen: HashMap::new() }
    }

    /// Collect until `done` holds or nothing new arrives for `quiet`.
    pub async fn collect(&mut self, quiet: Duration, mut done: impl FnMut(&HashMap<PlayerId, Vec<(RoomId, Instant)>>) -> bool) {
        while !done(&self.seen) {
            let Ok(Some(msg)) = tokio::time::timeout(quiet, self.sub.next()).await else {
                return;
            };
            let player = self.names.player_of_events_subject(&msg.subject).expect("a player's events subject");
            if let Ok(PlayerEvent::Placed { room }) = decode::<PlayerEvent>(&msg.payload) {
                self.seen.entry(player).or_default().push((room, Instant::now()));
            }
        }
    }

    pub fn room_of(&self, p: PlayerId) -> Option<RoomId> {
        let v = self.seen.get(&p)?;
        assert_eq!(v.len(), 1, "player {p} placed {} times: {v:?}", v.len());
        Some(v[0].0)
    }

    /// Rooms and their players.
    pub fn rooms(&self) -> BTreeMap<RoomId, Vec<PlayerId>> {
        let mut rooms: BTreeMap<RoomId, Vec<PlayerId>> = BTreeMap::new();
        for (p, v) in &self.seen {
            for (r, _) in v {
                rooms.entry(*r).or_default().push(*p);
            }
        }
        rooms
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_players_queue_at_once_through_two_gateways() {
    const N: usize = 1000;
    let env = Env::new().await;
    let gw1 = env.gateway().await;
    let gw2 = env.gateway().await;
    let bases = [format!("http://{}", gw1.addr), format!("http://{}", gw2.addr)];
    let mut placements = Placements::watch(&env).await;
    let players: Vec<(PlayerId, String)> = (0..N).map(|_| token()).collect();
    let http = reqwest::Client::new();

    let started = Instant::now();
    let queueing = futures::stream::iter(players.iter().enumerate())
        .map(|(i, (p, t))| {
            let (http, base) = (http.clone(), bases[i % 2].clone());
            async move { (*p, queue(&http, &base, t, json!({ "mode": "arena", "region": "eu" })).await, Instant::now()) }
        })
        .buffer_unordered(250)
        .collect::<Vec<(PlayerId, serde_json::Value, Instant)>>();
    // Placements are timed as they happen, while players are still queuing.
    let (answers, ()) = tokio::join!(queueing, placements.collect(Duration::from_secs(5), |seen| seen.len() == N));
    let all_queued = answers.iter().map(|a| a.2).max().unwrap();
    for (p, a, _) in &answers {
        assert!(a["status"] == "queued" || a["status"] == "in_room", "{p}: {a}");
    }
    let queued_at: HashMap<PlayerId, Instant> = answers.iter().map(|(p, _, t)| (*p, *t)).collect();
    eprintln!("{N} players queued in {:?}", all_queued - started);
    placements.collect(Duration::from_secs(3), |seen| seen.len() == N).await;
    let settled = Instant::now();
    let rooms = placements.rooms();

    // Exactly once, and Redis agrees.
    let redis = redis::Client::open(env.redis_url.as_str()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let mut unplaced = Vec::new();
    for (p, _) in &players {
        let in_redis: Option<u64> = redis::cmd("HGET").arg(env.names().player(*p)).arg("room").query_async(&mut conn).await.unwrap();
        match placements.room_of(*p) {
            Some(room) => assert_eq!(in_redis, Some(room.get()), "Redis disagrees about {p}"),
            None => {
                assert_eq!(in_redis, None, "{p} is in a room nobody announced");
                unplaced.push(*p);
            }
        }
    }
    // Every room holds 3 to 5, in Redis as in the announcements.
    for (room, members) in &rooms {
        assert!((3..=5).contains(&members.len()), "room {room} holds {}", members.len());
        let count: u64 = redis::cmd("SCARD").arg(env.names().room_players(*room)).query_async(&mut conn).await.unwrap();
        assert_eq!(count as usize, members.len(), "room {room}: member set");
    }
    // Nobody waits beyond the rules: only fewer than `min` compatible players may be
    // left waiting, and every placed player was placed promptly.
    assert!(unplaced.len() < 3, "{} players left waiting", unplaced.len());
    let mut conn2 = conn.clone();
    for p in &unplaced {
        let ticket: Option<String> = redis::cmd("HGET").arg(env.names().player(*p)).arg("ticket").query_async(&mut conn2).await.unwrap();
        assert!(ticket.is_some(), "{p} is neither placed nor queued");
    }
    // A player may be placed before its own HTTP answer arrives: count from the start then.
    let worst = placements.seen.iter().map(|(p, v)| v[0].1.saturating_duration_since(queued_at[p].min(v[0].1))).max().unwrap();
    assert!(worst < Duration::from_secs(5), "a player waited {worst:?} for a placement");
    // The rooms exist in PostgreSQL.
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let ids: Vec<i64> = rooms.keys().map(|r| r.get() as i64).collect();
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM rooms WHERE id = ANY($1) AND matchmade").bind(&ids).fetch_one(&pg).await.unwrap();
    assert_eq!(n as usize, rooms.len());
    eprintln!(
        "{} placed in {} rooms ({:?} after the last was queued), {} waiting, worst wait {worst:?}, sizes {:?}",
        N - unplaced.len(),
        rooms.len(),
        settled.saturating_duration_since(all_queued),
        unplaced.len(),
        rooms.values().fold([0usize; 6], |mut h, m| {
            h[m.len()] += 1;
            h
        })
    );
    pg.close().await;
}

#[tokio::test]
async fn region_and_rating_group_players_and_relax_with_waiting() {
    let env = Env::new().await;
    let gw = env
        .gateway_with(&[
            "--mm-modes",
            "region-a=3-5,region-b=3-5,rating-a=3-5,rating-b=3-5",
            "--mm-region-relax-ms",
            "1500",
            "--mm-rating-window",
            "100",
            "--mm-rating-widen-per-sec",
            "200",
        ])
        .await;
    let base = format!("http://{}", gw.addr);
    let http = reqwest::Client::new();
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let mut placements = Placements::watch(&env).await;

    // A. Regions are kept apart while nobody has waited long.
    let eu: Vec<_> = (0..3).map(|_| token()).collect();
    let us: Vec<_> = (0..3).map(|_| token()).collect();
    for ((_, a), (_, b)) in eu.iter().zip(&us) {
        queue(&http, &base, a, json!({ "mode": "region-a", "region": "eu" })).await;
        queue(&http, &base, b, json!({ "mode": "region-a", "region": "us" })).await;
    }
    placements.collect(Duration::from_secs(3), |s| s.len() == 6).await;
    let room_eu = placements.room_of(eu[0].0).expect("eu placed");
    let room_us = placements.room_of(us[0].0).expect("us placed");
    assert_ne!(room_eu, room_us, "regions mixed before any relaxation");
    assert!(eu.iter().all(|(p, _)| placements.room_of(*p) == Some(room_eu)), "eu players together");
    assert!(us.iter().all(|(p, _)| placements.room_of(*p) == Some(room_us)), "us players together");

    // B. Two "ap" and one "sa" cannot form a room until their preference relaxes (1.5 s).
    let odd: Vec<_> = (0..3).map(|_| token()).collect();
    let queued = Instant::now();
    for (i, (_, t)) in odd.iter().enumerate() {
        queue(&http, &base, t, json!({ "mode": "region-b", "region": if i < 2 { "ap" } else { "sa" } })).await;
    }
    placements.collect(Duration::from_secs(4), |s| odd.iter().all(|(p, _)| s.contains_key(p))).await;
    let room = placements.room_of(odd[0].0).expect("relaxed region players placed");
    assert!(odd.iter().all(|(p, _)| placements.room_of(*p) == Some(room)));
    let at = placements.seen[&odd[2].0][0].1 - queued;
    assert!(at >= Duration::from_millis(1400) && at < Duration::from_millis(3000), "placed after {at:?}, rule says ~1.5 s");

    // C. Ratings 1000 and 2000 are kept apart.
    let low: Vec<_> = (0..3).map(|_| token()).collect();
    let high: Vec<_> = (0..3).map(|_| token()).collect();
    for ((p, _), r) in low.iter().map(|x| (x, 1000)).chain(high.iter().map(|x| (x, 2000))) {
        sqlx::query("INSERT INTO player_ratings (player, rating) VALUES ($1, $2)").bind(p.0).bind(r).execute(&pg).await.unwrap();
    }
    for ((_, a), (_, b)) in low.iter().zip(&high) {
        queue(&http, &base, a, json!({ "mode": "rating-a" })).await;
        queue(&http, &base, b, json!({ "mode": "rating-a" })).await;
    }
    placements.collect(Duration::from_secs(3), |s| low.iter().chain(&high).all(|(p, _)| s.contains_key(p))).await;
    let (rl, rh) = (placements.room_of(low[0].0).unwrap(), placements.room_of(high[0].0).unwrap());
    assert_ne!(rl, rh, "1000 and 2000 matched together at once");
    assert!(low.iter().all(|(p, _)| placements.room_of(*p) == Some(rl)));
    assert!(high.iter().all(|(p, _)| placements.room_of(*p) == Some(rh)));

    // D. 1000, 1300, 1600: a spread of 600 fits every window after (600-100)/200 = 2.5 s.
    let spread: Vec<_> = (0..3).map(|_| token()).collect();
    for ((p, _), r) in spread.iter().zip([1000, 1300, 1600]) {
        sqlx::query("INSERT INTO player_ratings (player, rating) VALUES ($1, $2)").bind(p.0).bind(r).execute(&pg).await.unwrap();
    }
    let queued = Instant::now();
    for (_, t) in &spread {
        queue(&http, &base, t, json!({ "mode": "rating-b" })).await;
    }
    placements.collect(Duration::from_secs(5), |s| spread.iter().all(|(p, _)| s.contains_key(p))).await;
    let room = placements.room_of(spread[0].0).expect("rating window widened");
    assert!(spread.iter().all(|(p, _)| placements.room_of(*p) == Some(room)));
    let at = placements.seen[&spread[0].0][0].1 - queued;
    assert!(at >= Duration::from_millis(2300) && at < Duration::from_millis(4000), "placed after {at:?}, rule says ~2.5 s");

    pg.close().await;
}

/// Read events until `Matched` and `Joined` for `room` (or fail).
pub async fn expect_matched(conn: &mut Connection, within: Duration) -> RoomId {
    let deadline = Instant::now() + within;
    let mut matched = None;
    loop {
        let event = tokio::time::timeout_at(deadline, conn.next_event())
            .await
            .unwrap_or_else(|_| panic!("{} not placed in time (matched: {matched:?})", conn.player()))
            .unwrap();
        match event {
            Event::Message(ServerMsg::Matched { room }) => matched = Some(room),
            Event::Message(ServerMsg::Joined { room, .. }) => {
                assert_eq!(Some(room), matched, "joined the room it was matched to");
                return room;
            }
            Event::Message(ServerMsg::Error { code, message }) => panic!("{code:?}: {message}"),
            Event::Closed { code, reason } => panic!("closed {code} {reason}"),
            _ => {}
        }
    }
}

/// Nothing but `Queued` (or frames of no room) for `d`: the player is still waiting.
async fn expect_waiting(conn: &mut Connection, d: Duration) {
    let deadline = Instant::now() + d;
    while let Ok(event) = tokio::time::timeout_at(deadline, conn.next_event()).await {
        match event.unwrap() {
            Event::Message(ServerMsg::Queued { .. }) => {}
            other => panic!("expected to keep waiting, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_party_lands_in_one_room_and_a_party_that_cannot_fit_waits() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw1 = env.gateway_with(&["--mm-modes", "party=4-5"]).await;
    let gw2 = env.gateway_with(&["--mm-modes", "party=4-5"]).await;
    let connect_with = |gw: usize| {
        let url = if gw == 1 { gw1.ws_url() } else { gw2.ws_url() };
        async move {
            let (_, t) = token();
            (Connection::connect(&url, &t).await.unwrap(), t)
        }
    };
    let connect = |gw: usize| {
        let c = connect_with(gw);
        async move { c.await.0 }
    };
    // Party 1 (leader on gateway 1, members on gateway 2) and party 2, three each, each
    // formed with its members' consent: the leader creates it, the others join with its code.
    let http = reqwest::Client::new();
    let form = |members: Vec<(Connection, String)>| {
        let (http, base) = (http.clone(), format!("http://{}", gw1.addr));
        async move {
            let created: serde_json::Value =
                http.post(format!("{base}/v1/parties")).bearer_auth(&members[0].1).send().await.unwrap().json().await.unwrap();
            for (_, t) in &members[1..] {
                let joined = http.post(format!("{base}/v1/parties/join")).bearer_auth(t).json(&created).send().await.unwrap();
                assert!(joined.status().is_success(), "{}", joined.status());
            }
            members.into_iter().map(|(c, _)| c).collect::<Vec<_>>()
        }
    };
    let mut p1 = form(vec![connect_with(1).await, connect_with(2).await, connect_with(2).await]).await;
    let mut p2 = form(vec![connect_with(2).await, connect_with(1).await, connect_with(1).await]).await;
    let queue_party = |party: &Vec<Connection>| ClientMsg::Queue {
        mode: "party".into(),
        region: "any".into(),
        party: party[1..].iter().map(|c| c.player()).collect(),
    };
    let q1 = queue_party(&p1);
    p1[0].send(&q1).await.unwrap();
    // Party 1 is strictly older than party 2.
    loop {
        if let Event::Message(ServerMsg::Queued { ticket }) = p1[0].next_event().await.unwrap() {
            assert_eq!(ticket, p1[0].player().to_string());
            break;
        }
    }
    let q2 = queue_party(&p2);
    p2[0].send(&q2).await.unwrap();
    // 3 + 3 > 5 and 3 < 4: both wait.
    for c in p1.iter_mut().chain(p2.iter_mut()) {
        expect_waiting(c, Duration::from_millis(600)).await;
    }
    // Queuing a member of a queued party again is refused (never placed twice).
    p1[1].send(&ClientMsg::Queue { mode: "party".into(), region: "any".into(), party: vec![] }).await.unwrap();
    loop {
        match p1[1].next_event().await.unwrap() {
            Event::Message(ServerMsg::Error { code, .. }) => {
                assert_eq!(code, orrery_common::protocol::client::ErrorCode::QueueRefused);
                break;
            }
            Event::Message(ServerMsg::Queued { .. }) => panic!("a party member was queued twice"),
            _ => {}
        }
    }

    // A single player completes party 1 (the oldest ticket) to 4: one room, together.
    let mut g = connect(1).await;
    g.send(&ClientMsg::Queue { mode: "party".into(), region: "any".into(), party: vec![] }).await.unwrap();
    eprintln!(
        "party 1 {:?}, party 2 {:?}, g {}",
        p1.iter().map(|c| c.player()).collect::<Vec<_>>(),
        p2.iter().map(|c| c.player()).collect::<Vec<_>>(),
        g.player()
    );
    let room1 = expect_matched(&mut p1[0], Duration::from_secs(10)).await;
    for c in p1.iter_mut().skip(1).chain(std::iter::once(&mut g)) {
        assert_eq!(expect_matched(c, Duration::from_secs(10)).await, room1, "the party and the single share a room");
    }
    // Party 2 still waits: room 1 has one seat, party 2 needs three.
    for c in p2.iter_mut() {
        expect_waiting(c, Duration::from_millis(500)).await;
    }
    // One more single: fills room 1 (fullest first), party 2 still waits.
    let mut h = connect(2).await;
    h.send(&ClientMsg::Queue { mode: "party".into(), region: "any".into(), party: vec![] }).await.unwrap();
    assert_eq!(expect_matched(&mut h, Duration::from_secs(10)).await, room1, "the fullest open room first");
    for c in p2.iter_mut() {
        expect_waiting(c, Duration::from_millis(300)).await;
    }
    // And one more: party 2 plus this single make 4.
    let mut i = connect(1).await;
    i.send(&ClientMsg::Queue { mode: "party".into(), region: "any".into(), party: vec![] }).await.unwrap();
    let room2 = expect_matched(&mut i, Duration::from_secs(10)).await;
    assert_ne!(room2, room1);
    for c in p2.iter_mut() {
        assert_eq!(expect_matched(c, Duration::from_secs(10)).await, room2, "party 2 was placed whole");
    }
    // A player in a live match who queues again is sent back to it.
    p2[1].send(&ClientMsg::Queue { mode: "party".into(), region: "any".into(), party: vec![] }).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, p2[1].next_event()).await.expect("an answer").unwrap() {
            Event::Message(ServerMsg::Queued { .. }) => panic!("queued while in a live match"),
            Event::Message(ServerMsg::Error { code, message }) => panic!("{code:?} {message}"),
            Event::Message(ServerMsg::Matched { room }) => {
                assert_eq!(room, room2, "sent back to the live match");
                break;
            }
            _ => {}
        }
    }
}
