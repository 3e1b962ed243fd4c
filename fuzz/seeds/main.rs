//! Writes the seed corpus of every fuzz target (`fuzz/corpus/<target>/`) from the real
//! encoders: the SDK's golden fixtures (`sdk/fixtures/`, themselves written by the Rust
//! types), a match of scripted bots, and messages built here. Deterministic: running it
//! again writes the same files. `cargo xtask fuzz --seed` runs it.

use orrery_arena::bots::{BotStyle, ScriptedBots};
use orrery_arena::wire::keyframe;
use orrery_arena::{ArenaGame, ArenaView, MODE_DUEL};
use orrery_common::auth::{Claims, sign_hs256};
use orrery_common::game::{Game, RoomSettings};
use orrery_common::protocol::client::{CommandOutcome, FrameKind};
use orrery_common::protocol::encode;
use orrery_common::protocol::internal::{ControlReply, ControlRequest, InputEnvelope, LeaveReason, Parts, PlayerEvent, StateFrame};
use orrery_common::{ClientMsgId, Epoch, InputSeq, PlayerId, RoomId, SocketId, Tick};
use orrery_fuzz::{InternalKind, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, JwtMode, join_prefixed};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Seeds larger than this are left out: libFuzzer's default `-max_len` is 4096 and large
/// seeds slow every run down.
const MAX_SEED: usize = 4096;

/// The seeds of one target, by file name.
#[derive(Default)]
struct Seeds(BTreeMap<String, Vec<u8>>);

impl Seeds {
    fn add(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        if bytes.len() <= MAX_SEED {
            let name: String = name.into().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            self.0.insert(format!("seed-{name}"), bytes);
        }
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("../sdk/fixtures");
    let protocol = read_json(&fixtures.join("protocol.json"));
    let malformed = read_json(&fixtures.join("protocol-malformed.json"));
    let targets = [
        ("client_msg", protocol_seeds(&protocol, &malformed, "client")),
        ("server_msg", protocol_seeds(&protocol, &malformed, "server")),
        ("internal_msg", internal_seeds()),
        ("arena_input", input_seeds(&read_json(&fixtures.join("arena-fixed.json")))),
        ("arena_keyframe", keyframe_seeds(&fixtures)),
        ("arena_delta", delta_seeds(&fixtures)),
        ("arena_snapshot", snapshot_seeds()),
        ("jwt", jwt_seeds()),
    ];
    for (target, seeds) in targets {
        let dir = root.join("corpus").join(target);
        std::fs::create_dir_all(&dir).expect("create the corpus directory");
        // Earlier seeds go (their names start with `seed-`); what libFuzzer found stays.
        for entry in std::fs::read_dir(&dir).expect("read the corpus directory").flatten() {
            if entry.file_name().to_string_lossy().starts_with("seed-") {
                std::fs::remove_file(entry.path()).expect("remove an old seed");
            }
        }
        let count = seeds.0.len();
        for (name, bytes) in seeds.0 {
            std::fs::write(dir.join(name), bytes).expect("write a seed");
        }
        println!("{target}: {count} seeds");
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unhex(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("a hex string");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map(Vec::as_slice).unwrap_or_else(|| panic!("no array `{key}`"))
}

/// The golden messages of one direction, their non-canonical spellings, and the
/// malformed cases (a refused message is a good start for a mutation).
fn protocol_seeds(protocol: &Value, malformed: &Value, direction: &str) -> Seeds {
    let mut seeds = Seeds::default();
    for (i, m) in items(protocol, direction).iter().enumerate() {
        seeds.add(format!("{i:03}-{}", m["name"].as_str().unwrap_or("")), unhex(&m["hex"]));
    }
    for (i, m) in items(protocol, "noncanonical").iter().enumerate().filter(|(_, m)| m["direction"] == direction) {
        seeds.add(format!("noncanonical-{i:03}"), unhex(&m["hex"]));
    }
    // One in four malformed cases: they are mostly truncations of the same messages.
    for (i, m) in items(malformed, "cases").iter().enumerate().filter(|(_, m)| m["direction"] == direction).step_by(4) {
        seeds.add(format!("malformed-{i:03}"), unhex(&m["hex"]));
    }
    seeds
}

fn player(n: u128) -> PlayerId {
    PlayerId(uuid::Uuid::from_u128(0x0000_0f00_0000_4000_8000_0000_0000_0000 | n))
}

/// A duel room played by two bots for `ticks` ticks, its state frames along the way.
fn played_room(ticks: u64) -> (ArenaGame, Vec<StateFrame>) {
    let settings = RoomSettings { mode: MODE_DUEL.into(), max_players: 2, tick_hz: 30, seed: 3 };
    let mut game = ArenaGame::new(&settings);
    let mut bots = ScriptedBots::new(2, 3, BotStyle::Steady);
    bots.join_all(&mut game);
    let mut frames = Vec::new();
    let mut events = Vec::new();
    for tick in 1..=ticks {
        bots.act(&mut game);
        game.step(&mut events);
        let (kind, mut payload) = (FrameKind::Delta { base: Tick(tick - 1) }, Vec::new());
        game.encode_delta(&mut payload);
        let acks = bots.players().iter().map(|p| (*p, InputSeq(tick as u32))).collect();
        let input_waits_us = vec![(bots.players()[0], 1_250)];
        frames.push(StateFrame { room: RoomId(9), epoch: Epoch(1), tick: Tick(tick), kind, acks, input_waits_us, payload, parts: Parts::Shared });
    }
    (game, frames)
}

fn internal_seeds() -> Seeds {
    let mut seeds = Seeds::default();
    let mut add = |name: &str, kind: InternalKind, bytes: Vec<u8>| {
        let mut data = vec![kind as u8];
        data.extend(bytes);
        seeds.add(name, data);
    };
    let (ada, bob) = (player(1), player(2));
    let intent = orrery_arena::encode_intent(&orrery_arena::Intent { turn: -0.25, thrust: true, fire: true });
    add("input", InternalKind::Input, encode(&InputEnvelope { player: ada, seq: InputSeq(41), payload: intent }));
    let (game, frames) = played_room(120);
    for tick in [1, 60, 120] {
        add(&format!("state-delta-{tick}"), InternalKind::State, encode(&frames[tick - 1]));
    }
    let mut payload = Vec::new();
    game.encode_keyframe(&mut payload);
    let keyframe = StateFrame {
        room: RoomId(9),
        epoch: Epoch(2),
        tick: Tick(120),
        kind: FrameKind::Keyframe,
        acks: vec![(ada, InputSeq(3)), (bob, InputSeq(u32::MAX))],
        input_waits_us: vec![],
        payload,
        parts: Parts::Shared,
    };
    add("state-keyframe", InternalKind::State, encode(&keyframe));
    let requests = [
        ControlRequest::Join { player: ada, name: "ada ☄".into(), session: SocketId(7) },
        ControlRequest::Leave { player: ada, reason: LeaveReason::Disconnected, session: SocketId(7) },
        ControlRequest::Leave { player: bob, reason: LeaveReason::Kicked, session: SocketId::ANY },
        ControlRequest::Resync { player: bob },
        ControlRequest::Command {
            player: ada,
            id: ClientMsgId(5),
            payload: orrery_arena::encode_command(&orrery_arena::ArenaCommand::Emote(3)),
        },
        ControlRequest::Present { players: vec![ada, bob] },
    ];
    for (i, r) in requests.iter().enumerate() {
        add(&format!("control-request-{i}"), InternalKind::ControlRequest, encode(r));
    }
    let replies = [
        ControlReply::Keyframe { tick_hz: 30, last_input: Some(InputSeq(3)), frame: keyframe },
        ControlReply::Ok,
        ControlReply::Refused { reason: "the room is full".into() },
        ControlReply::CommandAck { outcome: CommandOutcome::Accepted },
        ControlReply::CommandAck { outcome: CommandOutcome::Rejected { reason: "no emote 99".into() } },
    ];
    for (i, r) in replies.iter().enumerate() {
        add(&format!("control-reply-{i}"), InternalKind::ControlReply, encode(r));
    }
    add("player-placed", InternalKind::PlayerEvent, encode(&PlayerEvent::Placed { room: RoomId(12) }));
    add("player-kicked", InternalKind::PlayerEvent, encode(&PlayerEvent::Kicked { room: RoomId(u64::MAX) }));
    seeds
}

/// The fixtures' intents and commands (every edge of the turn's f32, every emote).
fn input_seeds(fixed: &Value) -> Seeds {
    let mut seeds = Seeds::default();
    for (i, v) in items(fixed, "intents").iter().enumerate() {
        seeds.add(format!("intent-{i:02}"), unhex(&v["bytes"]));
    }
    for (i, v) in items(fixed, "commands").iter().enumerate() {
        seeds.add(format!("command-{i:02}"), unhex(&v["bytes"]));
    }
    seeds
}

/// The replay's keyframes, the hand-made and extreme worlds, and some refused keyframes.
fn keyframe_seeds(fixtures: &Path) -> Seeds {
    let mut seeds = Seeds::default();
    let replay = read_json(&fixtures.join("arena-replay.json"));
    for (i, f) in items(&replay, "frames").iter().enumerate().filter(|(_, f)| f["kind"] == "keyframe") {
        seeds.add(format!("replay-{i:04}"), unhex(&f["payload"]));
    }
    let fixed = read_json(&fixtures.join("arena-fixed.json"));
    for (i, v) in items(&fixed, "advance").iter().enumerate() {
        seeds.add(format!("advance-{i:02}"), unhex(&v["keyframe"]));
    }
    for (i, v) in items(&fixed, "extremes").iter().enumerate().step_by(4) {
        seeds.add(format!("extreme-{i:02}"), unhex(&v["keyframe"]));
    }
    let malformed = read_json(&fixtures.join("arena-malformed.json"));
    for (i, c) in items(&malformed, "cases").iter().enumerate().filter(|(_, c)| c["kind"] == "keyframe").step_by(6) {
        seeds.add(format!("malformed-{i:03}"), unhex(&c["payload"]));
    }
    seeds
}

/// Deltas of the replay with their base (every section kind, and a sample of the rest),
/// the fixtures' hand-made deltas, and some refused deltas.
fn delta_seeds(fixtures: &Path) -> Seeds {
    let mut seeds = Seeds::default();
    let replay = read_json(&fixtures.join("arena-replay.json"));
    let mut view: Option<ArenaView> = None;
    let mut sections_seen = 0u8;
    for (i, f) in items(&replay, "frames").iter().enumerate() {
        let payload = unhex(&f["payload"]);
        if f["kind"] == "keyframe" {
            view = Some(ArenaView::from_keyframe(&payload).expect("the replay's keyframes decode"));
            continue;
        }
        let v = view.as_mut().expect("a delta follows a keyframe");
        let mut base = Vec::new();
        keyframe::encode(v.world(), &mut base);
        let sections = payload.first().copied().unwrap_or(0);
        if sections & !sections_seen != 0 || i % 500 == 0 {
            sections_seen |= sections;
            seeds.add(format!("replay-{i:04}"), join_prefixed(&base, &payload));
        }
        v.apply_delta(&payload).expect("the replay's deltas apply");
    }
    let fixed = read_json(&fixtures.join("arena-fixed.json"));
    for (i, d) in items(&fixed, "deltas").iter().enumerate() {
        seeds.add(format!("fixed-{i:02}"), join_prefixed(&unhex(&d["base"]), &unhex(&d["payload"])));
    }
    let malformed = read_json(&fixtures.join("arena-malformed.json"));
    for (i, c) in items(&malformed, "cases").iter().enumerate().filter(|(_, c)| c["kind"] == "delta").step_by(6) {
        seeds.add(format!("malformed-{i:03}"), join_prefixed(&unhex(&c["base"]), &unhex(&c["payload"])));
    }
    seeds
}

/// Snapshots of a duel in the lobby, the countdown, the match and after it.
fn snapshot_seeds() -> Seeds {
    let mut seeds = Seeds::default();
    let settings = RoomSettings { mode: MODE_DUEL.into(), max_players: 2, tick_hz: 30, seed: 5 };
    let mut game = ArenaGame::new(&settings);
    seeds.add("empty", game.snapshot());
    let mut bots = ScriptedBots::new(2, 5, BotStyle::Steady);
    bots.join_all(&mut game);
    let mut events = Vec::new();
    let mut last_phase = None;
    for tick in 0..20_000u64 {
        if last_phase != Some(game.phase()) {
            last_phase = Some(game.phase());
            seeds.add(format!("{:?}-{tick}", game.phase()), game.snapshot());
        }
        if tick == 200 {
            game.disconnect(bots.players()[1]);
            seeds.add("disconnected", game.snapshot());
        }
        if game.results().is_some() && game.phase() == orrery_common::game::Phase::Closable {
            break;
        }
        bots.act(&mut game);
        game.step(&mut events);
    }
    seeds
}

fn jwt_seeds() -> Seeds {
    let mut seeds = Seeds::default();
    let claims = |name: Option<&str>| Claims {
        sub: player(1).to_string(),
        // 2100-01-01: the seeds stay valid.
        exp: 4_102_444_800,
        iat: 1_700_000_000,
        aud: JWT_AUDIENCE.into(),
        iss: JWT_ISSUER.into(),
        name: name.map(Into::into),
    };
    let with_mode = |mode: JwtMode, rest: &[u8]| [&[mode as u8][..], rest].concat();
    let good = sign_hs256(JWT_SECRET, &claims(Some("ada")));
    seeds.add("hs256-good", with_mode(JwtMode::RawHs256, good.as_bytes()));
    seeds.add("hs256-no-name", with_mode(JwtMode::RawHs256, sign_hs256(JWT_SECRET, &claims(None)).as_bytes()));
    seeds.add("hs256-wrong-secret", with_mode(JwtMode::RawHs256, sign_hs256(&[b'x'; 32], &claims(Some("bob"))).as_bytes()));
    // Asymmetric headers with a made-up signature: what a client without the key can send.
    let body = good.split('.').nth(1).expect("a JWT has three parts");
    let rs = format!("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{body}.{}", "QUJD".repeat(86));
    let es = format!("eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.{body}.{}", "QUJD".repeat(21));
    seeds.add("rs256", with_mode(JwtMode::RawRs256, rs.as_bytes()));
    seeds.add("es256", with_mode(JwtMode::RawEs256, es.as_bytes()));
    let header = br#"{"alg":"HS256","typ":"JWT"}"#;
    let signed = [
        ("signed-good", serde_json::to_vec(&claims(Some("ada"))).expect("claims serialise")),
        ("signed-nbf-crit", br#"{"sub":"00000f00-0000-4000-8000-000000000001","exp":4102444800,"nbf":4102444000,"aud":["orrery","x"],"iss":"orrery","name":"\u202e\u200b","crit":["x"]}"#.to_vec()),
        ("signed-braced-sub", br#"{"sub":"{00000f00-0000-4000-8000-000000000001}","exp":4102444800,"aud":"orrery","iss":"orrery"}"#.to_vec()),
    ];
    for (name, claims) in signed {
        seeds.add(name, with_mode(JwtMode::SignedHs256, &join_prefixed(header, &claims)));
    }
    seeds
}
