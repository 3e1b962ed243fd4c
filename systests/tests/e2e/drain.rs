//! A gateway told to stop fails readiness at once, tells every client to
//! reconnect elsewhere, and closes; an SDK session moves to another gateway and its
//! frames carry on with nothing duplicated.

use orrery_client::session::{Session, SessionConfig, SessionEvent};
use orrery_systests::Env;
use std::time::Duration;

#[tokio::test]
async fn a_draining_gateway_sends_its_clients_to_another_one() {
    let env = Env::new().await;
    let _worker = env.worker().await;
    let mut gw1 = env.gateway().await;
    let gw2 = env.gateway().await;
    let room = gw1.room(serde_json::json!({})).await;
    let token = gw1.api().guest(Some("ada")).await.unwrap().token;
    let mut session = Session::start(SessionConfig::new(vec![gw1.ws_url(), gw2.ws_url()], token, room)).await.unwrap();
    assert_eq!(session.gateway(), gw1.ws_url());
    for _ in 0..5 {
        assert!(matches!(session.next_event().await.unwrap(), SessionEvent::Frame(_) | SessionEvent::Message(_)));
    }

    let ready = format!("http://{}/readyz", gw1.addr);
    assert_eq!(reqwest::get(&ready).await.unwrap().status().as_u16(), 200);
    gw1.begin_stop();
    let mut refused = false;
    for _ in 0..50 {
        match reqwest::get(&ready).await {
            Ok(r) if r.status().as_u16() == 503 => {
                refused = true;
                break;
            }
            Err(_) => break,
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    assert!(refused, "readiness fails as soon as the drain starts");

    let resumed = loop {
        if let SessionEvent::Resumed { gateway, .. } =
            tokio::time::timeout(Duration::from_secs(5), session.next_event()).await.expect("an event").unwrap()
        {
            break gateway;
        }
    };
    assert_eq!(resumed, gw2.ws_url(), "the session moved to the other gateway");
    let mut frames = 0;
    while frames < 30 {
        if let SessionEvent::Frame(_) = session.next_event().await.unwrap() {
            frames += 1;
        }
    }
    assert_eq!(session.duplicates(), 0, "nothing the client had was sent again");
    tokio::time::timeout(Duration::from_secs(6), &mut gw1.task).await.expect("the gateway stopped within its drain grace").unwrap();
}
