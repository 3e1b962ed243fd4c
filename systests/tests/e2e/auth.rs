//! What is refused before the upgrade: no token, bad signature, expired, wrong audience,
//! `alg: none`, an HS256 token keyed with the RS256 public key, a foreign `Origin`.

use orrery_common::PlayerId;
use orrery_common::auth::{Claims, sign_hs256};
use orrery_common::protocol::client::{SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX};
use orrery_systests::{Env, SECRET};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Try to open a WebSocket; the HTTP status of the answer (101 when upgraded).
async fn attempt(url: &str, token: Option<&str>, origin: Option<&str>, subprotocol: bool) -> u16 {
    let mut req = url.into_client_request().unwrap();
    let h = req.headers_mut();
    if subprotocol {
        h.insert("Sec-WebSocket-Protocol", SUBPROTOCOL.parse().unwrap());
    }
    if let Some(t) = token {
        h.insert("Authorization", format!("Bearer {t}").parse().unwrap());
    }
    if let Some(o) = origin {
        h.insert("Origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((_, resp)) => resp.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("unexpected connect error: {e}"),
    }
}

fn claims(exp_from_now: i64, aud: &str) -> Claims {
    let now = orrery_common::time::now_ms() as i64 / 1000;
    Claims {
        sub: PlayerId::random().to_string(),
        exp: (now + exp_from_now) as u64,
        iat: now as u64,
        aud: aud.into(),
        iss: "orrery".into(),
        name: None,
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn bad_tokens_and_foreign_origins_are_refused_before_the_upgrade() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let url = gw.ws_url();
    let good = sign_hs256(SECRET.as_bytes(), &claims(600, "orrery"));

    assert_eq!(attempt(&url, Some(&good), None, true).await, 101, "a good token without Origin (native client) is accepted");
    assert_eq!(attempt(&url, Some(&good), Some("http://localhost:8080"), true).await, 101, "an allowed Origin is accepted");
    assert_eq!(attempt(&url, Some(&good), Some("https://evil.example"), true).await, 403, "a foreign Origin is refused");
    assert_eq!(attempt(&url, Some(&good), None, false).await, 400, "the orrery.v1 subprotocol is required");
    assert_eq!(attempt(&url, None, None, true).await, 401, "no token");
    let forged = sign_hs256(b"not-the-secret-not-the-secret-xx", &claims(600, "orrery"));
    assert_eq!(attempt(&url, Some(&forged), None, true).await, 401, "bad signature");
    let expired = sign_hs256(SECRET.as_bytes(), &claims(-3600, "orrery"));
    assert_eq!(attempt(&url, Some(&expired), None, true).await, 401, "expired");
    let wrong_aud = sign_hs256(SECRET.as_bytes(), &claims(600, "someone-else"));
    assert_eq!(attempt(&url, Some(&wrong_aud), None, true).await, 401, "wrong audience");
    let none =
        format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), b64(serde_json::to_string(&claims(600, "orrery")).unwrap().as_bytes()));
    assert_eq!(attempt(&url, Some(&none), None, true).await, 401, "alg: none");

    // The browser form: the token as a second subprotocol.
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", format!("{SUBPROTOCOL}, {TOKEN_SUBPROTOCOL_PREFIX}{good}").parse().unwrap());
    let (_, resp_ok) = tokio_tungstenite::connect_async(req).await.expect("token subprotocol accepted");
    assert_eq!(resp_ok.headers().get("Sec-WebSocket-Protocol").unwrap(), SUBPROTOCOL);
}

#[tokio::test]
async fn with_an_rs256_key_an_hs256_token_keyed_by_the_public_key_is_refused() {
    let env = Env::new().await;
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let public = format!("{fixtures}/rs256-public.pem");
    let gw = env.gateway_with(&["--jwt-public-key-file", &public, "--jwt-public-key-alg", "rs256", "--guest-tokens", "false"]).await;
    let url = gw.ws_url();
    let pem = std::fs::read(&public).unwrap();
    let confused = sign_hs256(&pem, &claims(600, "orrery"));
    assert_eq!(attempt(&url, Some(&confused), None, true).await, 401, "HS256 signed with the public key");

    let private = std::fs::read(format!("{fixtures}/rs256-private.pem")).unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&private).unwrap();
    let real = jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256), &claims(600, "orrery"), &key).unwrap();
    assert_eq!(attempt(&url, Some(&real), None, true).await, 101, "a real RS256 token is accepted");
    let expired = jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256), &claims(-3600, "orrery"), &key).unwrap();
    assert_eq!(attempt(&url, Some(&expired), None, true).await, 401, "an expired RS256 token");

    let guest = reqwest::Client::new().post(format!("http://{}/v1/auth/guest", gw.addr)).send().await.unwrap();
    assert_eq!(guest.status().as_u16(), 404, "guest tokens can be switched off");
}

/// A token for `claims` (any JSON) with `header`.
fn sign_json(header: jsonwebtoken::Header, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes())).unwrap()
}

#[tokio::test]
async fn not_yet_valid_critical_and_overlong_tokens_are_refused() {
    let env = Env::new().await;
    let gw = env.gateway().await;
    let url = gw.ws_url();
    let now = orrery_common::time::now_ms() as i64 / 1000;
    let base = |iat: i64, exp: i64| serde_json::json!({ "sub": PlayerId::random().to_string(), "aud": "orrery", "iss": "orrery", "iat": iat, "exp": exp });
    let hs = || jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    assert_eq!(attempt(&url, Some(&sign_json(hs(), base(now, now + 600))), None, true).await, 101, "the control token is fine");
    let mut later = base(now, now + 600);
    later["nbf"] = (now + 300).into();
    let crit = jsonwebtoken::Header { crit: Some(vec!["exp-ext".into()]), ..hs() };
    let refused = [
        ("nbf in five minutes", sign_json(hs(), later)),
        ("a critical extension", sign_json(crit, base(now, now + 600))),
        ("thirty days long", sign_json(hs(), base(now, now + 30 * 86_400))),
        ("issued in an hour", sign_json(hs(), base(now + 3600, now + 4000))),
    ];
    for (what, token) in refused {
        assert_eq!(attempt(&url, Some(&token), None, true).await, 401, "{what} over the WebSocket");
        let http = reqwest::Client::new().post(format!("http://{}/v1/rooms", gw.addr)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(http.status().as_u16(), 401, "{what} over HTTP");
    }
}

#[tokio::test]
async fn display_names_reach_other_players_without_invisible_or_reordering_characters() {
    use orrery_arena::ArenaView;
    use orrery_client::{Connection, Event};
    use orrery_common::protocol::client::FrameKind;
    let env = Env::new().await;
    let _worker = env.worker().await;
    let gw = env.gateway().await;
    let hostile = "ev\u{202E}il\u{200B}\u{0}x\u{2066}";

    let guest = gw.api().guest(Some(hostile)).await.expect("a guest token");
    assert_eq!(guest.name, "evilx", "the guest endpoint cleans the name");

    let now = orrery_common::time::now_ms() / 1000;
    let mut c = claims(600, "orrery");
    c.name = Some(hostile.into());
    c.iat = now;
    let player: PlayerId = c.sub.parse().unwrap();
    let token = sign_hs256(SECRET.as_bytes(), &c);
    let room = gw.room(serde_json::json!({ "mode": "arena", "max_players": 4 })).await;
    let mut named = Connection::connect(&gw.ws_url(), &token).await.unwrap();
    named.join(room).await.unwrap();
    let mut watcher = gw.guest("watcher").await;
    watcher.join(room).await.unwrap();
    let mut view: Option<ArenaView> = None;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let seen = loop {
        if let Some(ship) = view.as_ref().and_then(|v| v.ship_of(player)) {
            break ship.ship.name.clone();
        }
        match tokio::time::timeout_at(deadline, watcher.next_event()).await.expect("the named ship shows").unwrap() {
            Event::Frame(f) => match f.kind {
                FrameKind::Keyframe => view = Some(ArenaView::from_keyframe(&f.payload).unwrap()),
                FrameKind::Delta { .. } => view.as_mut().expect("keyframe first").apply_delta(&f.payload).unwrap(),
            },
            Event::Closed { code, reason } => panic!("closed {code} {reason}"),
            _ => {}
        }
    };
    assert_eq!(seen, "evilx", "the name another player sees");
}
