//! A restored room asks the gateways who is still there: a player whose socket stayed
//! open through a hand-off stays connected (her gateway vouches for her on the new
//! owner's first frame), where without a word from any gateway the room would start her
//! grace after `SEAT_CONFIRMATION`.

use orrery_arena::ArenaView;
use orrery_client::Event;
use orrery_common::protocol::client::{ClientMsg, FrameKind};
use orrery_systests::{Env, eventually, next_event_where};
use orrery_worker::room::SEAT_CONFIRMATION;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_whose_socket_survives_a_hand_off_stays_connected() {
    let env = Env::new().await;
    let first = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({ "mode": "arena-practice" })).await;
    let mut ada = gw.guest("ada").await;
    ada.join(room).await.unwrap();

    // The room moves to another worker, restored from its snapshot under a new epoch.
    let second = env.worker().await;
    first.stop().await;
    eventually(10, "the second worker owns the room", || second.owned.contains(room)).await;

    // Keep reading (a socket that stops reading is dropped) past the confirmation window.
    let until = tokio::time::Instant::now() + SEAT_CONFIRMATION + Duration::from_secs(2);
    while tokio::time::Instant::now() < until {
        let _ = tokio::time::timeout_at(until, ada.next_event()).await;
    }
    ada.send(&ClientMsg::Resync).await.unwrap();
    let keyframe = next_event_where(&mut ada, "a keyframe", |e| match e {
        Event::Frame(f) if f.kind == FrameKind::Keyframe => Some(f),
        _ => None,
    })
    .await;
    let view = ArenaView::from_keyframe(&keyframe.payload).unwrap();
    let ship = view.ship_of(ada.player()).expect("ada is seated");
    assert!(ship.connected(), "the gateway vouched for ada's socket: she is still connected");
}
