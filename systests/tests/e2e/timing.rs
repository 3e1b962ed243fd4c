//! The gateway's own timings: every input it reads is timed to the frame that
//! acknowledges it, without the input's wait for its tick, and every frame written is
//! timed from the gateway having it (`orrery_gateway_input_pipeline_seconds`,
//! `orrery_gateway_fanout_seconds`).

use orrery_arena::{Intent, encode_intent};
use orrery_client::Event;
use orrery_systests::{Env, metric, next_event_where};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// `<name>_count` and `<name>_sum` of a histogram on a gateway's `/metrics`.
async fn histogram(addr: SocketAddr, name: &str) -> (u64, f64) {
    (metric(addr, &format!("{name}_count")).await as u64, metric(addr, &format!("{name}_sum")).await)
}

#[tokio::test]
async fn inputs_are_timed_without_their_wait_for_the_tick() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    // 10 Hz: an input sent just after a frame waits most of 100 ms for the next tick.
    let room = gw.room(serde_json::json!({ "mode": "arena-practice", "tick_hz": 10 })).await;
    let mut conn = gw.guest("ada").await;
    conn.join(room).await.unwrap();
    let (count_before, sum_before) = histogram(gw.ops, "orrery_gateway_input_pipeline_seconds").await;
    let (frames_before, _) = histogram(gw.ops, "orrery_gateway_fanout_seconds").await;

    const INPUTS: u64 = 10;
    let mut round_trips = Duration::ZERO;
    for _ in 0..INPUTS {
        next_event_where(&mut conn, "a frame", |e| matches!(e, Event::Frame(_)).then_some(())).await;
        let sent = Instant::now();
        let seq = conn.send_input(encode_intent(&Intent { turn: 0.5, ..Intent::default() })).await.unwrap();
        next_event_where(&mut conn, "the frame acknowledging the input", |e| match e {
            Event::Frame(f) if f.ack >= Some(seq) => Some(()),
            _ => None,
        })
        .await;
        round_trips += sent.elapsed();
    }

    // Each input was the newest when its frame came back: each is timed once (just after
    // its frame is written, so possibly a moment after the client read it).
    let until = Instant::now() + Duration::from_secs(2);
    let (count, sum) = loop {
        let (count, sum) = histogram(gw.ops, "orrery_gateway_input_pipeline_seconds").await;
        if count - count_before >= INPUTS || Instant::now() > until {
            break (count, sum);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(count - count_before, INPUTS, "every input is timed exactly once");
    // Each input waited most of a 100 ms tick; the client saw that wait, the pipeline
    // figure must not contain it. (Not a speed limit: the margin is half a tick.)
    let mean_round_trip = round_trips.as_secs_f64() / INPUTS as f64;
    let mean_pipeline = (sum - sum_before) / INPUTS as f64;
    assert!(mean_round_trip > 0.05, "the inputs did wait for their ticks: {mean_round_trip:.4} s");
    assert!(mean_pipeline < mean_round_trip - 0.05, "the tick wait is taken out: {mean_pipeline:.4} s of {mean_round_trip:.4} s");

    let (frames, _) = histogram(gw.ops, "orrery_gateway_fanout_seconds").await;
    assert!(frames - frames_before >= INPUTS, "every frame written is timed ({} frames)", frames - frames_before);
}
