//! A private room is joined by invite code; its creator kicks a player,
//! who is removed from the match and refused when trying to rejoin. An invite code tells
//! which room and game it opens without admitting anybody.

use crate::matchmaking::token;
use orrery_arena::ArenaView;
use orrery_client::http::Invite;
use orrery_client::{Connection, Event};
use orrery_common::PlayerId;
use orrery_common::protocol::client::{ClientMsg, ErrorCode, FrameKind, ServerMsg};
use orrery_common::protocol::close;
use orrery_systests::Env;
use std::time::Duration;
use tokio::time::Instant;

/// The next `Error` (or `Joined`) after a join attempt.
async fn join_answer(conn: &mut Connection) -> Result<(), (ErrorCode, String)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, conn.next_event()).await.expect("an answer").unwrap() {
            Event::Message(ServerMsg::Joined { .. }) => return Ok(()),
            Event::Message(ServerMsg::Error { code, message }) => return Err((code, message)),
            Event::Closed { code, reason } => panic!("closed {code} {reason}"),
            _ => {}
        }
    }
}

/// Follow `conn`'s frames until `pred` holds for the arena it sees.
async fn watch_until(conn: &mut Connection, view: &mut Option<ArenaView>, what: &str, pred: impl Fn(&ArenaView) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if view.as_ref().is_some_and(&pred) {
            return;
        }
        match tokio::time::timeout_at(deadline, conn.next_event()).await.unwrap_or_else(|_| panic!("timed out waiting for {what}")).unwrap()
        {
            Event::Frame(f) => match f.kind {
                FrameKind::Keyframe => *view = Some(ArenaView::from_keyframe(&f.payload).unwrap()),
                FrameKind::Delta { .. } => view.as_mut().expect("keyframe first").apply_delta(&f.payload).unwrap(),
            },
            Event::Closed { code, reason } => panic!("closed {code} {reason}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_creator_kicks_a_player_who_cannot_rejoin() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw1 = env.gateway().await;
    let gw2 = env.gateway().await;
    let http = reqwest::Client::new();

    let (creator, creator_token) = token();
    let (room, code) = gw1
        .api()
        .create_private_room(&creator_token, serde_json::json!({ "mode": "arena", "max_players": 4, "tick_hz": 20 }))
        .await
        .unwrap();

    let mut host = Connection::connect(&gw1.ws_url(), &creator_token).await.unwrap();
    host.join(room).await.expect("the creator joins by id");
    let (b, b_token) = token();
    let mut guest = Connection::connect(&gw2.ws_url(), &b_token).await.unwrap();
    // Private: not by id without the code.
    guest.send(&ClientMsg::Join { room, resume: None }).await.unwrap();
    assert_eq!(join_answer(&mut guest).await.map_err(|e| e.0), Err(ErrorCode::JoinRefused), "private room joined by id");
    guest.send(&ClientMsg::JoinByCode { code: code.to_lowercase() }).await.unwrap();
    join_answer(&mut guest).await.expect("joins with the code");
    let mut view = None;
    watch_until(&mut host, &mut view, "the guest's ship", |v| v.ship_of(b).is_some()).await;

    // Only the creator may kick.
    let (_, other_token) = token();
    let refused = http
        .post(format!("http://{}/v1/rooms/{room}/kick", gw2.addr))
        .bearer_auth(&other_token)
        .json(&serde_json::json!({ "player": b }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    let kicked = http
        .post(format!("http://{}/v1/rooms/{room}/kick", gw2.addr))
        .bearer_auth(&creator_token)
        .json(&serde_json::json!({ "player": b }))
        .send()
        .await
        .unwrap();
    assert!(kicked.status().is_success(), "{}", kicked.status());
    // The guest is told and its socket closes with KICKED.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut told = false;
    loop {
        match tokio::time::timeout_at(deadline, guest.next_event()).await.expect("kick arrives").unwrap() {
            Event::Message(ServerMsg::Kicked { room: r }) => told = r == room,
            Event::Closed { code, .. } => {
                assert_eq!(code, close::KICKED);
                break;
            }
            _ => {}
        }
    }
    assert!(told, "ServerMsg::Kicked came before the close");
    // Removed from the match.
    watch_until(&mut host, &mut view, "the guest's ship to go", |v| v.ship_of(b).is_none()).await;

    // Refused on rejoin, by code and by id, through either gateway.
    for gw in [&gw1, &gw2] {
        let mut again = Connection::connect(&gw.ws_url(), &b_token).await.unwrap();
        again.send(&ClientMsg::JoinByCode { code: code.clone() }).await.unwrap();
        let err = join_answer(&mut again).await.expect_err("rejoin by code refused");
        assert_eq!(err.0, ErrorCode::JoinRefused, "{}", err.1);
        again.send(&ClientMsg::Join { room, resume: None }).await.unwrap();
        assert_eq!(join_answer(&mut again).await.map_err(|e| e.0), Err(ErrorCode::JoinRefused));
    }
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM room_bans WHERE room = $1 AND player = $2 AND banned_by = $3")
        .bind(room.get() as i64)
        .bind(b.0)
        .bind(creator.0)
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!(n, 1, "the ban is recorded");
    let _: PlayerId = b;

    pg.close().await;
}

#[tokio::test]
async fn an_invite_code_names_its_room_and_game_and_looking_it_up_admits_nobody() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", gw.addr);
    let (_, creator_token) = token();
    let mut codes = Vec::new();
    for mode in ["arena-duel", "frontier-blitz"] {
        let (room, code) =
            gw.api().create_private_room(&creator_token, serde_json::json!({ "mode": mode, "max_players": 2 })).await.unwrap();
        codes.push((room, mode, code));
    }
    let (_, stranger_token) = token();
    for (room, mode, code) in &codes {
        let invite = gw.api().invite(&stranger_token, &code.to_lowercase()).await.unwrap();
        assert_eq!(invite, Invite { room: room.get(), mode: (*mode).into() }, "the code names its room and game");
    }

    // Looking up admitted nobody: the private room still refuses a join by its number.
    let (room, _, code) = &codes[0];
    let mut stranger = Connection::connect(&gw.ws_url(), &stranger_token).await.unwrap();
    stranger.send(&ClientMsg::Join { room: *room, resume: None }).await.unwrap();
    assert_eq!(join_answer(&mut stranger).await.map_err(|e| e.0), Err(ErrorCode::JoinRefused), "a lookup is no invitation");
    stranger.send(&ClientMsg::JoinByCode { code: code.clone() }).await.unwrap();
    join_answer(&mut stranger).await.expect("the code itself admits");

    // Unknown, malformed: 404 alike; no token: 401.
    for bad in ["ZZZZZZZZ", "x", "%00%00"] {
        let resp = http.get(format!("{base}/v1/invites/{bad}")).bearer_auth(&stranger_token).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{bad}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "no open room has this invite code");
    }
    assert_eq!(http.get(format!("{base}/v1/invites/{code}")).send().await.unwrap().status(), 401);
}
