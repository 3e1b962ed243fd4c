//! A gateway publishes the inputs it holds for one room as one NATS message: several
//! sockets' inputs sent together reach the room's input subject as fewer messages than
//! inputs, each player's in their order, and the owner applies every one of them once. A
//! message on the input subject that is not a batch is dropped whole, and costs nothing
//! else.

use orrery_arena::{Intent, encode_intent};
use orrery_client::{Connection, Event};
use orrery_common::protocol::decode;
use orrery_common::protocol::internal::InputBatch;
use orrery_common::{InputSeq, PlayerId};
use orrery_systests::{Env, metric, next_event_where};
use std::collections::HashMap;
use std::time::Duration;

/// Read `conn` until a frame acks `seq`.
async fn acked(conn: &mut Connection, seq: InputSeq) {
    next_event_where(conn, "the ack of the last input", |e| match e {
        Event::Frame(f) if f.ack >= Some(seq) => Some(()),
        Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_of_several_sockets_reach_the_room_as_fewer_messages_in_order_and_are_applied_once() {
    let env = Env::new().await;
    let worker = env.worker().await;
    // A window far longer than it takes to send every input below, so that they all fall
    // in one window even on a loaded machine (the default is 1 ms).
    let gw = env.gateway_with(&["--input-window-us", "200000"]).await;
    let room = gw.room(serde_json::json!({ "mode": "arena-practice", "max_players": 4 })).await;
    let mut players = Vec::new();
    for name in ["ada", "bob", "cy", "dee"] {
        let mut conn = gw.guest(name).await;
        conn.join(room).await.expect("joins");
        players.push(conn);
    }
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let mut subject = nats.subscribe(env.names().room_input(room)).await.unwrap();
    nats.flush().await.unwrap();

    let per_player = 3u32;
    let total = per_player as usize * players.len();
    for _ in 0..per_player {
        for (i, conn) in players.iter_mut().enumerate() {
            conn.send_input(encode_intent(&Intent { turn: 1.0 - i as f32 * 0.5, ..Intent::default() })).await.unwrap();
        }
    }

    // What crossed NATS: every input once, each player's in their order, in fewer messages.
    let mut messages = 0;
    let mut seen: HashMap<PlayerId, Vec<u32>> = HashMap::new();
    while seen.values().map(Vec::len).sum::<usize>() < total {
        let msg = tokio::time::timeout(Duration::from_secs(5), futures::StreamExt::next(&mut subject))
            .await
            .unwrap_or_else(|_| panic!("only {seen:?} within 5 s"))
            .expect("subscribed");
        let batch = decode::<InputBatch>(&msg.payload).expect("the input subject carries batches");
        messages += 1;
        for input in batch.inputs {
            seen.entry(input.player).or_default().push(input.seq.0);
        }
    }
    assert!(messages < total, "{total} inputs in {messages} messages: not coalesced");
    for conn in &players {
        assert_eq!(seen[&conn.player()], (1..=per_player).collect::<Vec<_>>(), "each input once, in order");
    }
    assert_eq!(metric(gw.ops, "orrery_gateway_input_batches_total").await, messages as f64);

    // The owner applied each once.
    for conn in &mut players {
        acked(conn, InputSeq(per_player)).await;
    }
    assert_eq!(metric(worker.ops, "orrery_worker_inputs_applied_total").await, total as f64);
    assert_eq!(metric(worker.ops, "orrery_worker_inputs_rejected_total").await, 0.0);
    assert_eq!(metric(worker.ops, "orrery_worker_input_batches_rejected_total").await, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_input_message_is_dropped_whole_and_the_rooms_inputs_still_apply() {
    let env = Env::new().await;
    let worker = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({ "mode": "arena-practice" })).await;
    let mut ada = gw.guest("ada").await;
    ada.join(room).await.expect("joins");

    // Not a batch: garbage, and a lone input of Ada's (what gateways sent before batching)
    // with a sequence number far ahead, which would eat her next ones if it were applied.
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let subject = env.names().room_input(room);
    let lone = orrery_common::protocol::internal::InputEnvelope {
        player: ada.player(),
        seq: InputSeq(1_000),
        payload: encode_intent(&Intent::default()),
    };
    nats.publish(subject.clone(), vec![0xff; 40].into()).await.unwrap();
    nats.publish(subject, orrery_common::protocol::encode(&lone).into()).await.unwrap();
    nats.flush().await.unwrap();
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while metric(worker.ops, "orrery_worker_input_batches_rejected_total").await < 2.0 {
        assert!(tokio::time::Instant::now() < until, "the owner did not drop both");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let seq = ada.send_input(encode_intent(&Intent { turn: 1.0, ..Intent::default() })).await.unwrap();
    assert_eq!(seq, InputSeq(1));
    acked(&mut ada, seq).await;
    assert_eq!(metric(worker.ops, "orrery_worker_inputs_applied_total").await, 1.0);
    assert_eq!(metric(worker.ops, "orrery_worker_input_batches_rejected_total").await, 2.0);
}
