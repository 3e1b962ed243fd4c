//! Frontier through real gateways and a worker serving games by mode: two bots (each on
//! its own gateway, each ordering from its own view) play a blitz match to its end. Every
//! turn's orders are acknowledged once and refused never; both see the same winner; and
//! the durable timeline (`match_events`), replayed from the room's first state, gives
//! exactly the final state of the room's last durable snapshot.

use orrery_common::game::{Game, GameEvent, RoomSettings};
use orrery_common::game_modes::GamesByMode;
use orrery_frontier::FrontierGame;
use orrery_systests::Env;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_match_of_bots_through_two_gateways_ends_and_its_timeline_replays_to_the_final_state() {
    let env = Env::new().await;
    let _worker = env.worker_of(Arc::new(GamesByMode::new(orrery_arena::ArenaFactory).with(orrery_frontier::FrontierFactory)), &[]).await;
    let (gw1, gw2) = (env.gateway().await, env.gateway().await);
    let room = gw1.room(serde_json::json!({ "mode": "frontier-blitz", "max_players": 2, "tick_hz": 5 })).await;
    let (ada, bob) = (gw1.api().guest(Some("ada")).await.unwrap().token, gw2.api().guest(Some("bob")).await.unwrap().token);
    let limit = Duration::from_secs(120);
    let (a, b) = tokio::join!(
        orrery_client::frontier::play(vec![gw1.ws_url()], ada, room, limit),
        orrery_client::frontier::play(vec![gw2.ws_url()], bob, room, limit)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    for s in [&a, &b] {
        assert!(s.match_ended, "the match ends: {s:?}");
        assert_eq!(s.decode_errors, 0);
        assert!(s.rejected.is_empty(), "no order refused: {:?}", s.rejected);
        assert_eq!(s.accepted, s.turns_submitted, "each turn's orders acknowledged once");
    }
    let (va, vb) = (a.view.unwrap(), b.view.unwrap());
    assert!(va.public.winner.is_some());
    assert_eq!(va.public.winner, vb.public.winner, "one winner for both");

    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let (settings,): (serde_json::Value,) =
        sqlx::query_as("SELECT settings FROM rooms WHERE id = $1").bind(room.0 as i64).fetch_one(&pg).await.unwrap();
    let settings: RoomSettings = serde_json::from_value(settings).unwrap();
    let rows: Vec<(String, serde_json::Value)> = sqlx::query_as("SELECT kind, payload FROM match_events WHERE room = $1 ORDER BY seq")
        .bind(room.0 as i64)
        .fetch_all(&pg)
        .await
        .unwrap();
    let events: Vec<GameEvent> = rows.into_iter().map(|(kind, detail)| GameEvent { kind, player: None, detail }).collect();
    assert!(events.iter().any(|e| e.kind == "over") && events.iter().any(|e| e.kind == "closed"));
    let (state,): (Vec<u8>,) =
        sqlx::query_as("SELECT state FROM room_snapshots WHERE room = $1").bind(room.0 as i64).fetch_one(&pg).await.unwrap();
    let last = orrery_worker::snapshot::RoomSnapshot::decode(&state).unwrap();
    let final_game = FrontierGame::restore(&settings, &last.game).unwrap();
    let first = FrontierGame::new(&settings).snapshot();
    let replayed = orrery_frontier::replay::replay(&settings, &first, &events).unwrap();
    assert_eq!(replayed.state(), final_game.state(), "the timeline replays to the final state");
    assert_eq!(u32::from(final_game.state().winner.unwrap()), u32::from(va.public.winner.unwrap()));
}

/// A worker process running Frontier rooms with this test's prefix.
fn frontier_worker(env: &Env) -> tokio::process::Child {
    super::processes::worker(env, "frontier")
}

/// The owner of a match is SIGKILLed mid-match; another worker process takes the room over.
/// The bots resend what the dead owner never acknowledged: no order refused or applied
/// twice, every turn resolved exactly once, one winner, and the timeline still replays to
/// the final state.
#[tokio::test]
async fn a_match_survives_its_worker_killed_mid_turn() {
    let env = Env::new().await;
    let mut first = frontier_worker(&env);
    let (gw1, gw2) = (env.gateway().await, env.gateway().await);
    let pg = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let room = gw1.room(serde_json::json!({ "mode": "frontier-blitz", "max_players": 2 })).await;
    let (ada, bob) = (gw1.api().guest(Some("ada")).await.unwrap().token, gw2.api().guest(Some("bob")).await.unwrap().token);
    let limit = Duration::from_secs(120);
    let killer = async {
        let mut turns = 0i64;
        while turns < 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            (turns,) = sqlx::query_as("SELECT count(*) FROM match_events WHERE room = $1 AND kind = 'resolved'")
                .bind(room.0 as i64)
                .fetch_one(&pg)
                .await
                .unwrap();
        }
        first.kill().await.unwrap();
        frontier_worker(&env)
    };
    let (a, b, _second) = tokio::join!(
        orrery_client::frontier::play(vec![gw1.ws_url()], ada, room, limit),
        orrery_client::frontier::play(vec![gw2.ws_url()], bob, room, limit),
        killer
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    for s in [&a, &b] {
        assert!(s.match_ended, "the match ends: {s:?}");
        assert!(s.rejected.is_empty(), "no order refused (none applied twice): {:?}", s.rejected);
        assert_eq!(s.accepted, s.turns_submitted, "each turn's orders acknowledged once");
    }
    let (va, vb) = (a.view.unwrap(), b.view.unwrap());
    assert_eq!(va.public.winner, vb.public.winner);
    let (epoch,): (i64,) = sqlx::query_as("SELECT epoch FROM rooms WHERE id = $1").bind(room.0 as i64).fetch_one(&pg).await.unwrap();
    assert!(epoch >= 2, "the room changed owners mid-match (epoch {epoch})");
    let rows: Vec<(String, serde_json::Value)> = sqlx::query_as("SELECT kind, payload FROM match_events WHERE room = $1 ORDER BY seq")
        .bind(room.0 as i64)
        .fetch_all(&pg)
        .await
        .unwrap();
    let mut resolved: Vec<u64> =
        rows.iter().filter(|(k, _)| k == "resolved").map(|(_, d)| d["happening"]["what"]["Resolved"]["turn"].as_u64().unwrap()).collect();
    let n = resolved.len();
    resolved.dedup();
    assert_eq!(resolved.len(), n, "every turn resolved once");
    assert_eq!(resolved, (1..=n as u64).collect::<Vec<_>>(), "and none lost");
    let (settings,): (serde_json::Value,) =
        sqlx::query_as("SELECT settings FROM rooms WHERE id = $1").bind(room.0 as i64).fetch_one(&pg).await.unwrap();
    let settings: RoomSettings = serde_json::from_value(settings).unwrap();
    let events: Vec<GameEvent> = rows.into_iter().map(|(kind, detail)| GameEvent { kind, player: None, detail }).collect();
    let (state,): (Vec<u8>,) =
        sqlx::query_as("SELECT state FROM room_snapshots WHERE room = $1").bind(room.0 as i64).fetch_one(&pg).await.unwrap();
    let last = orrery_worker::snapshot::RoomSnapshot::decode(&state).unwrap();
    let final_game = FrontierGame::restore(&settings, &last.game).unwrap();
    let replayed = orrery_frontier::replay::replay(&settings, &FrontierGame::new(&settings).snapshot(), &events).unwrap();
    assert_eq!(replayed.state(), final_game.state(), "the timeline replays to the final state across the kill");
}
