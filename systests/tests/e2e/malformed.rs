//! A malformed or oversized frame closes only that connection, with the
//! documented code; the room and the other clients carry on.

use orrery_client::Event;
use orrery_common::protocol::close;
use orrery_systests::{Env, next_event_where};
use tokio_tungstenite::tungstenite::Message;

async fn close_code(conn: &mut orrery_client::Connection) -> u16 {
    next_event_where(conn, "a close", |e| match e {
        Event::Closed { code, .. } => Some(code),
        _ => None,
    })
    .await
}

async fn frames_within(conn: &mut orrery_client::Connection, n: usize) -> usize {
    let mut frames = 0;
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while frames < n {
        match tokio::time::timeout_at(until, conn.next_event()).await {
            Ok(Ok(Event::Frame(_))) => frames += 1,
            Ok(Ok(Event::Closed { code, .. })) => panic!("bystander closed with {code}"),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    frames
}

#[tokio::test]
async fn bad_frames_close_only_their_own_socket() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({})).await;

    let mut bystander = gw.guest("bystander").await;
    bystander.join(room).await.expect("bystander joins");

    let mut garbage = gw.guest("garbage").await;
    garbage.join(room).await.unwrap();
    garbage.send_raw(Message::Binary(vec![0xff, 0xff, 0xff, 0x01].into())).await.unwrap();
    assert_eq!(close_code(&mut garbage).await, close::MALFORMED);

    let mut text = gw.guest("text").await;
    text.send_raw(Message::Text("hello".into())).await.unwrap();
    assert_eq!(close_code(&mut text).await, close::MALFORMED);

    let mut big = gw.guest("big").await;
    big.join(room).await.unwrap();
    let limit = big.limits().max_message_bytes as usize;
    let _ = big.send_raw(Message::Binary(vec![0u8; limit + 1].into())).await;
    assert_eq!(close_code(&mut big).await, close::TOO_LARGE);
    // Far over the limit (and over the socket's read buffer): still read whole, and the
    // client still gets 1009, not a reset connection.
    for len in [16 * 1024, 64 * 1024] {
        let mut huge = gw.guest("huge").await;
        huge.join(room).await.unwrap();
        let _ = huge.send_raw(Message::Binary(vec![0u8; len].into())).await;
        assert_eq!(close_code(&mut huge).await, close::TOO_LARGE, "a {len}-byte message");
    }

    let mut flood = gw.guest("flood").await;
    let burst = flood.limits().message_burst as usize;
    for _ in 0..burst * 2 {
        if flood.send(&orrery_common::protocol::client::ClientMsg::Ping { client_time_us: 0 }).await.is_err() {
            break;
        }
    }
    assert_eq!(close_code(&mut flood).await, close::RATE_LIMITED);

    assert_eq!(frames_within(&mut bystander, 30).await, 30, "the bystander keeps getting frames");
}
