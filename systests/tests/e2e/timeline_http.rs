//! Coming back later over HTTP: `GET /v1/matches/waiting` follows whose decision a sleeping
//! match waits on, and `GET /v1/rooms/{room}/events` reads a finished match's log — only
//! once it is over, only for its players, filtered for each — and that log replays from
//! the first snapshot to the final state. Bad input gets clear refusals.

use super::sleeping::{Player, durable_game};
use orrery_common::game::{GameEvent, GameFactory};
use orrery_common::protocol::client::CommandOutcome;
use orrery_gateway::timeline::{EventLog, WaitingMatches};
use orrery_systests::Env;
use orrery_testgame::turns::{Order, TURNS, TurnEvent, TurnsFactory, What, replay};
use reqwest::StatusCode;
use std::sync::Arc;

async fn get(url: &str, token: &str) -> (StatusCode, String) {
    let resp = reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

async fn waiting_rooms(base: &str, token: &str) -> Vec<u64> {
    let (status, body) = get(&format!("{base}/v1/matches/waiting"), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str::<WaitingMatches>(&body).unwrap().matches.iter().map(|m| m.room).collect()
}

#[tokio::test]
async fn players_see_what_waits_on_them_and_read_a_finished_matchs_log_for_them() {
    let env = Env::new().await;
    let _worker = env.worker_of(Arc::new(TurnsFactory), &[]).await;
    let gw = env.gateway().await;
    let base = format!("http://{}", gw.addr);
    let room = gw.room(serde_json::json!({ "mode": "turns-60000", "max_players": 2 })).await;
    let (mut ada, mut bob) = Player::ada_and_bob_at_the_start(&gw, room).await;
    let stranger = gw.api().guest(Some("eve")).await.unwrap().token;

    // Whose decision the match waits on, as it changes.
    assert_eq!(waiting_rooms(&base, &ada.token).await, vec![room.get()]);
    assert_eq!(ada.order(None, Order { turn: 1, pick: 2 }).await, CommandOutcome::Accepted);
    assert!(waiting_rooms(&base, &ada.token).await.is_empty(), "ada has ordered");
    assert_eq!(waiting_rooms(&base, &bob.token).await, vec![room.get()]);
    assert!(waiting_rooms(&base, &stranger).await.is_empty());

    // Before the end: no log; never for a stranger; bad input refused.
    let log_url = format!("{base}/v1/rooms/{}/events", room.get());
    assert_eq!(get(&log_url, &ada.token).await.0, StatusCode::CONFLICT, "the match is not over");
    assert_eq!(get(&log_url, &stranger).await.0, StatusCode::FORBIDDEN);
    for (url, status) in [
        (format!("{base}/v1/rooms/abc/events"), StatusCode::BAD_REQUEST),
        (format!("{base}/v1/rooms/0/events"), StatusCode::BAD_REQUEST),
        (format!("{base}/v1/rooms/99999999/events"), StatusCode::NOT_FOUND),
        (format!("{log_url}?after=-1"), StatusCode::BAD_REQUEST),
        (format!("{log_url}?after=x"), StatusCode::BAD_REQUEST),
        (format!("{log_url}?limit=3"), StatusCode::BAD_REQUEST),
    ] {
        let (got, body) = get(&url, &ada.token).await;
        assert_eq!(got, status, "{url}: {body}");
    }
    // Ada's signature over claims rewritten to name bob.
    let forged = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let parts: Vec<&str> = ada.token.split('.').collect();
        let claims = String::from_utf8(b64.decode(parts[1]).unwrap()).unwrap();
        let swapped = claims.replace(&ada.me().to_string(), &bob.me().to_string());
        assert_ne!(claims, swapped, "the claims name the player");
        format!("{}.{}.{}", parts[0], b64.encode(swapped), parts[2])
    };
    for token in [forged.as_str(), "not-a-token"] {
        assert_eq!(get(&log_url, token).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(get(&format!("{base}/v1/matches/waiting"), token).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(reqwest::get(&log_url).await.unwrap().status(), StatusCode::UNAUTHORIZED, "no token");

    // Play to the end.
    assert_eq!(bob.order(None, Order { turn: 1, pick: 8 }).await, CommandOutcome::Accepted);
    for turn in 2..=TURNS {
        for (p, pick) in [(&mut ada, 9), (&mut bob, 1)] {
            p.until(5, "the turn", |v| v.board.turn == turn).await;
            assert_eq!(p.order(None, Order { turn, pick }).await, CommandOutcome::Accepted);
        }
    }
    ada.until(5, "the end", |v| v.board.over).await;
    assert!(waiting_rooms(&base, &bob.token).await.is_empty(), "a finished match waits on nobody");

    // Each player reads the log filtered for them; it replays to the final state.
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let (settings, last) = durable_game(&pg, room).await;
    let first = TurnsFactory.create(&settings).snapshot();
    for p in [&ada, &bob] {
        let (status, body) = get(&log_url, &p.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let log: EventLog = serde_json::from_str(&body).unwrap();
        assert!(log.events.windows(2).all(|w| w[0].seq < w[1].seq), "in offset order");
        let scored: Vec<_> = log
            .events
            .iter()
            .filter_map(|e| match serde_json::from_value::<TurnEvent>(e.detail.clone()).unwrap().what {
                What::Scored { player, .. } => Some(player),
                _ => None,
            })
            .collect();
        assert_eq!(scored, vec![p.me(); TURNS as usize], "{} reads their own gains only", p.me());
        let events: Vec<GameEvent> =
            log.events.iter().map(|e| GameEvent { kind: e.kind.clone(), player: e.player, detail: e.detail.clone() }).collect();
        assert_eq!(replay(&first, &events).unwrap().outcome(), last.outcome(), "the log replays to the final state");
        // After an offset: only the later events.
        let middle = log.events[log.events.len() / 2].seq;
        let (_, body) = get(&format!("{log_url}?after={middle}"), &p.token).await;
        let later: EventLog = serde_json::from_str(&body).unwrap();
        assert_eq!(later.events.first().map(|e| e.seq), log.events.iter().map(|e| e.seq).find(|s| *s > middle));
        assert!(later.events.iter().all(|e| e.seq > middle));
    }
    assert_eq!(get(&log_url, &stranger).await.0, StatusCode::FORBIDDEN, "still not for a stranger");
}
