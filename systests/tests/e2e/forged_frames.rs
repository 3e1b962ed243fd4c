//! A frame anyone could publish on NATS does not take a room away from its players: a
//! gateway sends frames only of an epoch it confirmed (the owner's reply, or the room's
//! epoch in PostgreSQL), and a flood of forged frames of an unconfirmed epoch costs it a
//! bounded number of confirmations, not one per frame.

use orrery_client::{Connection, Event};
use orrery_common::protocol::client::FrameKind;
use orrery_common::protocol::encode;
use orrery_common::protocol::internal::StateFrame;
use orrery_common::{Epoch, RoomId, Tick};
use orrery_gateway::hub::pace::{FIRST_CHECK_GAP, LONGEST_CHECK_GAP};
use orrery_systests::{Env, metric};
use std::time::Duration;

/// The epoch of every forged frame: far beyond any real one.
const FORGED: Epoch = Epoch(1 << 62);

fn forged_frame(room: RoomId, tick: u64) -> Vec<u8> {
    encode(&StateFrame {
        room,
        epoch: FORGED,
        tick: Tick(tick),
        kind: FrameKind::Keyframe,
        acks: vec![],
        input_waits_us: vec![],
        payload: vec![],
        parts: Default::default(),
    })
}

/// Read `conn` for `window`; the real frames it got (panics on a forged one).
async fn real_frames_during(conn: &mut Connection, window: Duration) -> usize {
    let until = tokio::time::Instant::now() + window;
    let mut frames = 0;
    while let Ok(event) = tokio::time::timeout_at(until, conn.next_event()).await {
        match event.expect("the socket stays up") {
            Event::Frame(f) => {
                assert!(f.epoch < FORGED, "a forged frame reached the client: {:?} {:?}", f.epoch, f.tick);
                frames += 1;
            }
            Event::Closed { code, reason } => panic!("closed: {code} {reason}"),
            _ => {}
        }
    }
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_high_epoch_frames_neither_reach_nor_silence_a_room() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    let room = gw.room(serde_json::json!({ "mode": "arena-practice" })).await;
    let mut ada = gw.guest("ada").await;
    ada.join(room).await.unwrap();
    let window = Duration::from_secs(1);
    // At 30 Hz a second holds 30 frames; a third of them is plenty to say "still flowing".
    let flowing = 10;
    assert!(real_frames_during(&mut ada, window).await >= flowing, "frames flow before any forgery");

    // One forged frame of an absurd epoch.
    let nats = async_nats::connect(&env.nats_url).await.unwrap();
    let subject = env.names().room_state(room);
    nats.publish(subject.clone(), forged_frame(room, 1).into()).await.unwrap();
    nats.flush().await.unwrap();
    let after_one = real_frames_during(&mut ada, window).await;
    assert!(after_one >= flowing, "only {after_one} real frames in the second after one forged frame");

    // A flood: the frames keep flowing, and the gateway asks PostgreSQL a bounded number of times.
    let checks_before = metric(gw.ops, "orrery_gateway_epoch_checks_total").await;
    let refused_before = metric(gw.ops, "orrery_gateway_unconfirmed_epoch_frames_total").await;
    let flood = Duration::from_secs(2);
    let (bursts, per_burst) = (40u64, 25u64);
    let flooder = tokio::spawn({
        let nats = nats.clone();
        async move {
            for burst in 0..bursts {
                for i in 0..per_burst {
                    nats.publish(subject.clone(), forged_frame(room, 2 + burst * per_burst + i).into()).await.unwrap();
                }
                nats.flush().await.unwrap();
                tokio::time::sleep(flood / bursts as u32).await;
            }
        }
    });
    let during = real_frames_during(&mut ada, flood).await;
    flooder.await.unwrap();
    let after = real_frames_during(&mut ada, window).await;
    assert!(during >= 2 * flowing && after >= flowing, "real frames during the flood: {during}, in the second after it: {after}");

    let sent = (bursts * per_burst) as f64;
    let refused = metric(gw.ops, "orrery_gateway_unconfirmed_epoch_frames_total").await - refused_before;
    assert!(refused >= sent, "every forged frame was seen and held back: {refused} of {sent}");
    // The gap between checks doubles from FIRST_CHECK_GAP to LONGEST_CHECK_GAP, then stays:
    // the doublings, then one per LONGEST_CHECK_GAP of flood (and the second after it).
    let doublings = (LONGEST_CHECK_GAP.as_secs_f64() / FIRST_CHECK_GAP.as_secs_f64()).log2().ceil() + 1.0;
    let bound = doublings + (flood + window).as_secs_f64() / LONGEST_CHECK_GAP.as_secs_f64() + 1.0;
    let checks = metric(gw.ops, "orrery_gateway_epoch_checks_total").await - checks_before;
    assert!(checks >= 1.0 && checks <= bound, "{checks} epoch checks for {sent} forged frames (at most {bound})");
}
