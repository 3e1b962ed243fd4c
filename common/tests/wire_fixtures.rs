//! Golden fixtures of the v1 client protocol for the TypeScript SDK (`sdk/`).
//!
//! Every case is built from the real Rust types and encoded with the real encoder
//! (`orrery_common::protocol::encode`); its meaning is written as JSON in the shape the
//! TypeScript codec uses (discriminated on `type`, camelCase fields, payloads as hex).
//! The malformed cases are fed to the real decoder here, which must refuse them (all but
//! the u64-above-2^53 ones: Rust reads those, JavaScript numbers cannot hold them), and
//! each says which `DecodeError` kind the TypeScript decoder must report.
//!
//! Writes `sdk/fixtures/protocol.json` and `sdk/fixtures/protocol-malformed.json`; the
//! test fails when the files on disk differ: `ORRERY_BLESS=1 cargo test -p orrery-common
//! --test wire_fixtures` rewrites them. The format is described in `sdk/fixtures/README.md`.

use orrery_common::protocol::client::{ClientMsg, CommandOutcome, ErrorCode, Frame, FrameKind, Limits, Resume, ServerMsg};
use orrery_common::protocol::{decode, encode};
use orrery_common::{ClientMsgId, Epoch, InputSeq, PlayerId, RoomId, Tick};
use postcard::de_flavors::Flavor;
use serde::Deserialize;
use serde_json::{Value, json};
use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;

/// The largest integer a JavaScript number holds exactly: 2^53 - 1.
const MAX_SAFE: u64 = (1 << 53) - 1;

const ADA: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";

fn player(s: &str) -> PlayerId {
    PlayerId(s.parse().expect("a valid uuid"))
}

/// `n` bytes of a fixed pattern (every byte value occurs in a long one).
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i.wrapping_mul(31).wrapping_add(7) & 0xff) as u8).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// A u64 as a JSON number, which must be exact in JavaScript.
fn n64(v: u64) -> Value {
    assert!(v <= MAX_SAFE, "{v} is above 2^53-1: a valid fixture must be exact in JavaScript");
    json!(v)
}

fn resume_json(r: &Option<Resume>) -> Value {
    match r {
        None => Value::Null,
        Some(r) => json!({ "epoch": n64(r.epoch.get()), "tick": n64(r.tick.get()) }),
    }
}

fn opt_u32(v: Option<InputSeq>) -> Value {
    v.map_or(Value::Null, |s| json!(s.get()))
}

/// The TypeScript meaning of a client message. Exhaustive: a new variant does not compile
/// until it has a fixture shape.
fn client_json(m: &ClientMsg) -> Value {
    match m {
        ClientMsg::Join { room, resume } => json!({ "type": "Join", "room": n64(room.get()), "resume": resume_json(resume) }),
        ClientMsg::Input { seq, payload } => json!({ "type": "Input", "seq": seq.get(), "payload": hex(payload) }),
        ClientMsg::Command { id, payload } => json!({ "type": "Command", "id": id.get(), "payload": hex(payload) }),
        ClientMsg::Resync => json!({ "type": "Resync" }),
        ClientMsg::Leave => json!({ "type": "Leave" }),
        ClientMsg::Ping { client_time_us } => json!({ "type": "Ping", "clientTimeUs": n64(*client_time_us) }),
        ClientMsg::Queue { mode, region, party } => json!({
            "type": "Queue",
            "mode": mode,
            "region": region,
            "party": party.iter().map(|p| p.0.hyphenated().to_string()).collect::<Vec<_>>(),
        }),
        ClientMsg::LeaveQueue => json!({ "type": "LeaveQueue" }),
        ClientMsg::JoinByCode { code } => json!({ "type": "JoinByCode", "code": code }),
        ClientMsg::Watch { room } => json!({ "type": "Watch", "room": n64(room.get()) }),
    }
}

fn frame_json(f: &Frame) -> Value {
    let kind = match f.kind {
        FrameKind::Keyframe => json!({ "type": "Keyframe" }),
        FrameKind::Delta { base } => json!({ "type": "Delta", "base": n64(base.get()) }),
    };
    json!({
        "room": n64(f.room.get()),
        "epoch": n64(f.epoch.get()),
        "tick": n64(f.tick.get()),
        "kind": kind,
        "ack": opt_u32(f.ack),
        "payload": hex(&f.payload),
    })
}

fn error_code_name(c: ErrorCode) -> &'static str {
    match c {
        ErrorCode::RoomNotFound => "RoomNotFound",
        ErrorCode::RoomUnavailable => "RoomUnavailable",
        ErrorCode::JoinRefused => "JoinRefused",
        ErrorCode::NotInRoom => "NotInRoom",
        ErrorCode::Internal => "Internal",
        ErrorCode::QueueRefused => "QueueRefused",
        ErrorCode::Spectating => "Spectating",
        ErrorCode::SpectatorsFull => "SpectatorsFull",
    }
}

/// Every error code, in declaration order (the match in `error_code_name` keeps it complete).
const ERROR_CODES: [ErrorCode; 8] = [
    ErrorCode::RoomNotFound,
    ErrorCode::RoomUnavailable,
    ErrorCode::JoinRefused,
    ErrorCode::NotInRoom,
    ErrorCode::Internal,
    ErrorCode::QueueRefused,
    ErrorCode::Spectating,
    ErrorCode::SpectatorsFull,
];

/// The TypeScript meaning of a server message.
fn server_json(m: &ServerMsg) -> Value {
    match m {
        ServerMsg::Welcome { protocol, player, limits } => json!({
            "type": "Welcome",
            "protocol": protocol,
            "player": player.0.hyphenated().to_string(),
            "limits": {
                "maxMessageBytes": limits.max_message_bytes,
                "messagesPerSecond": limits.messages_per_second,
                "messageBurst": limits.message_burst,
            },
        }),
        ServerMsg::Joined { room, tick_hz, last_input } => {
            json!({ "type": "Joined", "room": n64(room.get()), "tickHz": tick_hz, "lastInput": opt_u32(*last_input) })
        }
        ServerMsg::Frame(f) => json!({ "type": "Frame", "frame": frame_json(f) }),
        ServerMsg::CommandAck { id, outcome } => {
            let outcome = match outcome {
                CommandOutcome::Accepted => json!({ "type": "Accepted" }),
                CommandOutcome::Rejected { reason } => json!({ "type": "Rejected", "reason": reason }),
            };
            json!({ "type": "CommandAck", "id": id.get(), "outcome": outcome })
        }
        ServerMsg::Pong { client_time_us, server_time_ms, tick } => json!({
            "type": "Pong",
            "clientTimeUs": n64(*client_time_us),
            "serverTimeMs": n64(*server_time_ms),
            "tick": tick.map_or(Value::Null, |t| n64(t.get())),
        }),
        ServerMsg::Error { code, message } => json!({ "type": "Error", "code": error_code_name(*code), "message": message }),
        ServerMsg::GoAway { reason, reconnect_after_ms } => {
            json!({ "type": "GoAway", "reason": reason, "reconnectAfterMs": reconnect_after_ms })
        }
        ServerMsg::Queued { ticket } => json!({ "type": "Queued", "ticket": ticket }),
        ServerMsg::Matched { room } => json!({ "type": "Matched", "room": n64(room.get()) }),
        ServerMsg::QueueLeft => json!({ "type": "QueueLeft" }),
        ServerMsg::RoomClosed { room } => json!({ "type": "RoomClosed", "room": n64(room.get()) }),
        ServerMsg::Kicked { room } => json!({ "type": "Kicked", "room": n64(room.get()) }),
        ServerMsg::Watching { room, tick_hz } => json!({ "type": "Watching", "room": n64(room.get()), "tickHz": tick_hz }),
    }
}

fn client_cases() -> Vec<(&'static str, ClientMsg)> {
    use ClientMsg::*;
    vec![
        ("Join room 0, no resume", Join { room: RoomId(0), resume: None }),
        ("Join room 7, resume (2, 99)", Join { room: RoomId(7), resume: Some(Resume { epoch: Epoch(2), tick: Tick(99) }) }),
        ("Join room 300, resume (0, 0)", Join { room: RoomId(300), resume: Some(Resume { epoch: Epoch(0), tick: Tick(0) }) }),
        (
            "Join at 2^53-1 everywhere",
            Join { room: RoomId(MAX_SAFE), resume: Some(Resume { epoch: Epoch(MAX_SAFE), tick: Tick(MAX_SAFE) }) },
        ),
        ("Input seq 0, empty payload", Input { seq: InputSeq(0), payload: vec![] }),
        ("Input seq 1, 3 bytes", Input { seq: InputSeq(1), payload: vec![1, 2, 3] }),
        ("Input seq 127 (one varint byte)", Input { seq: InputSeq(127), payload: vec![0] }),
        ("Input seq 128 (two varint bytes)", Input { seq: InputSeq(128), payload: vec![0xff] }),
        ("Input seq u32::MAX, 1024 bytes", Input { seq: InputSeq(u32::MAX), payload: pattern(1024) }),
        ("Command id 0, empty payload", Command { id: ClientMsgId(0), payload: vec![] }),
        ("Command id 1, 2 bytes", Command { id: ClientMsgId(1), payload: vec![0xaa, 0xbb] }),
        ("Command id u32::MAX, 300 bytes", Command { id: ClientMsgId(u32::MAX), payload: pattern(300) }),
        ("Resync", Resync),
        ("Leave", Leave),
        ("Ping 0", Ping { client_time_us: 0 }),
        ("Ping 1000000", Ping { client_time_us: 1_000_000 }),
        ("Ping 2^53-1", Ping { client_time_us: MAX_SAFE }),
        ("Queue arena/eu solo", Queue { mode: "arena".into(), region: "eu".into(), party: vec![] }),
        ("Queue empty strings, no party", Queue { mode: String::new(), region: String::new(), party: vec![] }),
        (
            "Queue with a party of three (nil, max, ada)",
            Queue {
                mode: "arena-duel".into(),
                region: "any".into(),
                party: vec![player("00000000-0000-0000-0000-000000000000"), player("ffffffff-ffff-ffff-ffff-ffffffffffff"), player(ADA)],
            },
        ),
        ("Queue non-ASCII", Queue { mode: "arène-🚀".into(), region: "日本".into(), party: vec![player(ADA)] }),
        ("LeaveQueue", LeaveQueue),
        ("JoinByCode ABCD2345", JoinByCode { code: "ABCD2345".into() }),
        ("JoinByCode empty", JoinByCode { code: String::new() }),
        ("JoinByCode BOM and NUL", JoinByCode { code: "\u{feff}a\u{0}b".into() }),
        ("Watch 42", Watch { room: RoomId(42) }),
        ("Watch 2^53-1", Watch { room: RoomId(MAX_SAFE) }),
    ]
}

fn frame(room: u64, epoch: u64, tick: u64, kind: FrameKind, ack: Option<u32>, payload: Vec<u8>) -> ServerMsg {
    ServerMsg::Frame(Frame { room: RoomId(room), epoch: Epoch(epoch), tick: Tick(tick), kind, ack: ack.map(InputSeq), payload })
}

fn server_cases() -> Vec<(String, ServerMsg)> {
    use ServerMsg::*;
    let mut cases: Vec<(String, ServerMsg)> = vec![
        ("Welcome ada, default limits".into(), Welcome { protocol: 1, player: player(ADA), limits: Limits::default() }),
        (
            "Welcome zeros".into(),
            Welcome {
                protocol: 0,
                player: player("00000000-0000-0000-0000-000000000000"),
                limits: Limits { max_message_bytes: 0, messages_per_second: 0, message_burst: 0 },
            },
        ),
        (
            "Welcome maxima".into(),
            Welcome {
                protocol: u16::MAX,
                player: player("ffffffff-ffff-ffff-ffff-ffffffffffff"),
                limits: Limits { max_message_bytes: u32::MAX, messages_per_second: u16::MAX, message_burst: u16::MAX },
            },
        ),
        ("Joined 42 at 30 Hz, no input yet".into(), Joined { room: RoomId(42), tick_hz: 30, last_input: None }),
        ("Joined 42, last input 16".into(), Joined { room: RoomId(42), tick_hz: 30, last_input: Some(InputSeq(16)) }),
        ("Joined zeros".into(), Joined { room: RoomId(0), tick_hz: 0, last_input: Some(InputSeq(0)) }),
        ("Joined maxima".into(), Joined { room: RoomId(MAX_SAFE), tick_hz: u16::MAX, last_input: Some(InputSeq(u32::MAX)) }),
        ("Frame keyframe 42/3/1500".into(), frame(42, 3, 1500, FrameKind::Keyframe, None, vec![1, 2, 3])),
        ("Frame delta 42/3/1501 on 1500, ack 17".into(), frame(42, 3, 1501, FrameKind::Delta { base: Tick(1500) }, Some(17), vec![0])),
        (
            "Frame delta 1234/3/90000, empty payload".into(),
            frame(1234, 3, 90_000, FrameKind::Delta { base: Tick(89_999) }, Some(4000), vec![]),
        ),
        ("Frame zeros".into(), frame(0, 0, 0, FrameKind::Keyframe, Some(0), vec![])),
        (
            "Frame maxima, 4096-byte payload".into(),
            frame(MAX_SAFE, MAX_SAFE, MAX_SAFE, FrameKind::Delta { base: Tick(MAX_SAFE - 1) }, Some(u32::MAX), pattern(4096)),
        ),
        ("Frame keyframe, 20000-byte payload".into(), frame(7, 1, 1, FrameKind::Keyframe, Some(1), pattern(20_000))),
        ("CommandAck 1 accepted".into(), CommandAck { id: ClientMsgId(1), outcome: CommandOutcome::Accepted }),
        ("CommandAck 1 rejected".into(), CommandAck { id: ClientMsgId(1), outcome: CommandOutcome::Rejected { reason: "no".into() } }),
        (
            "CommandAck u32::MAX rejected, empty reason".into(),
            CommandAck { id: ClientMsgId(u32::MAX), outcome: CommandOutcome::Rejected { reason: String::new() } },
        ),
        (
            "CommandAck 0 rejected, non-ASCII".into(),
            CommandAck { id: ClientMsgId(0), outcome: CommandOutcome::Rejected { reason: "déjà fait ✓".into() } },
        ),
        ("Pong, no tick".into(), Pong { client_time_us: 1_000_000, server_time_ms: 1_700_000_000_000, tick: None }),
        ("Pong, tick 1501".into(), Pong { client_time_us: 1_000_000, server_time_ms: 1_700_000_000_000, tick: Some(Tick(1501)) }),
        ("Pong zeros".into(), Pong { client_time_us: 0, server_time_ms: 0, tick: Some(Tick(0)) }),
        ("Pong maxima".into(), Pong { client_time_us: MAX_SAFE, server_time_ms: MAX_SAFE, tick: Some(Tick(MAX_SAFE)) }),
    ];
    for code in ERROR_CODES {
        let name = error_code_name(code);
        cases.push((format!("Error {name}"), Error { code, message: format!("{name}: something went wrong") }));
    }
    cases.extend([
        ("Error, empty message".into(), Error { code: ErrorCode::Internal, message: String::new() }),
        ("Error, non-ASCII message".into(), Error { code: ErrorCode::JoinRefused, message: "la salle est pleine 🚫".into() }),
        ("Error, 300-character message".into(), Error { code: ErrorCode::RoomNotFound, message: "x".repeat(300) }),
        ("GoAway shutting down".into(), GoAway { reason: "gateway is shutting down".into(), reconnect_after_ms: 100 }),
        ("GoAway empty, 0 ms".into(), GoAway { reason: String::new(), reconnect_after_ms: 0 }),
        ("GoAway u32::MAX ms".into(), GoAway { reason: "later".into(), reconnect_after_ms: u32::MAX }),
        ("Queued ticket ada".into(), Queued { ticket: ADA.into() }),
        ("Queued empty ticket".into(), Queued { ticket: String::new() }),
        ("Matched 0".into(), Matched { room: RoomId(0) }),
        ("Matched 42".into(), Matched { room: RoomId(42) }),
        ("Matched 2^53-1".into(), Matched { room: RoomId(MAX_SAFE) }),
        ("QueueLeft".into(), QueueLeft),
        ("RoomClosed 42".into(), RoomClosed { room: RoomId(42) }),
        ("RoomClosed 2^53-1".into(), RoomClosed { room: RoomId(MAX_SAFE) }),
        ("Kicked 42".into(), Kicked { room: RoomId(42) }),
        ("Kicked 0".into(), Kicked { room: RoomId(0) }),
        ("Watching 42 at 30 Hz".into(), Watching { room: RoomId(42), tick_hz: 30 }),
    ]);
    cases
}

/// Encodings the Rust decoder accepts that the encoder never writes (an over-long varint
/// of a value that fits): the TypeScript decoder must read them too.
fn noncanonical_cases() -> Vec<(&'static str, &'static str, &'static str)> {
    // (direction, name, hex)
    vec![
        ("server", "Joined, tick_hz 30 as two varint bytes", "01 2a 9e 00 00"),
        ("server", "Matched, room 42 as ten varint bytes", "08 aa 80 80 80 80 80 80 80 80 00"),
        ("client", "Ping, 0 as three varint bytes", "05 80 80 00"),
        ("server", "Frame tag as two varint bytes", "82 00 2a 03 dc 0b 00 00 00"),
    ]
}

// ---- malformed input -------------------------------------------------------------------

/// The `DecodeError` kinds of `sdk/src/errors.ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Truncated,
    TrailingBytes,
    BadTag,
    BadVarint,
    OutOfRange,
    BadUtf8,
    TooLong,
    Invalid,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Truncated => "Truncated",
            Kind::TrailingBytes => "TrailingBytes",
            Kind::BadTag => "BadTag",
            Kind::BadVarint => "BadVarint",
            Kind::OutOfRange => "OutOfRange",
            Kind::BadUtf8 => "BadUtf8",
            Kind::TooLong => "TooLong",
            Kind::Invalid => "Invalid",
        }
    }
}

/// A slice flavor that remembers how it ran out: a single byte (`pop`: a tag, a varint, a
/// bool) is `Truncated`, a length-prefixed run (`try_take_n`) is `TooLong`.
struct Classifying<'de> {
    rest: &'de [u8],
    ran_out: Rc<Cell<Option<Kind>>>,
}

impl<'de> Flavor<'de> for Classifying<'de> {
    type Remainder = &'de [u8];
    type Source = &'de [u8];

    fn pop(&mut self) -> postcard::Result<u8> {
        match self.rest.split_first() {
            Some((b, rest)) => {
                self.rest = rest;
                Ok(*b)
            }
            None => {
                self.ran_out.set(Some(Kind::Truncated));
                Err(postcard::Error::DeserializeUnexpectedEnd)
            }
        }
    }

    fn try_take_n(&mut self, ct: usize) -> postcard::Result<&'de [u8]> {
        if ct > self.rest.len() {
            self.ran_out.set(Some(Kind::TooLong));
            return Err(postcard::Error::DeserializeUnexpectedEnd);
        }
        let (taken, rest) = self.rest.split_at(ct);
        self.rest = rest;
        Ok(taken)
    }

    fn finalize(self) -> postcard::Result<&'de [u8]> {
        Ok(self.rest)
    }
}

/// How the real postcard decoder refuses `bytes`, as the kinds the TypeScript decoder
/// reports. `SerdeDeCustom` (an unknown enum variant, a UUID that is not 16 bytes) carries
/// no detail: it is reported as `[BadTag, Invalid]` and the case picks one.
fn rust_refusal<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<Vec<Kind>> {
    let ran_out = Rc::new(Cell::new(None));
    let mut de = postcard::Deserializer::from_flavor(Classifying { rest: bytes, ran_out: ran_out.clone() });
    let err = match T::deserialize(&mut de) {
        Ok(_) => {
            let rest = de.finalize().expect("a slice flavor finalizes");
            return if rest.is_empty() { None } else { Some(vec![Kind::TrailingBytes]) };
        }
        Err(e) => e,
    };
    Some(match err {
        postcard::Error::DeserializeUnexpectedEnd => vec![ran_out.get().expect("the flavor saw the end")],
        postcard::Error::DeserializeBadVarint => vec![Kind::BadVarint],
        postcard::Error::DeserializeBadBool | postcard::Error::DeserializeBadOption => vec![Kind::BadTag],
        postcard::Error::DeserializeBadUtf8 => vec![Kind::BadUtf8],
        postcard::Error::SerdeDeCustom => vec![Kind::BadTag, Kind::Invalid],
        other => panic!("an error the fixtures do not classify: {other:?}"),
    })
}

struct Malformed {
    name: String,
    direction: &'static str,
    bytes: Vec<u8>,
    kind: Kind,
    /// Whether Rust's decoder refuses it too (false only for u64 values above 2^53-1).
    rust_refuses: bool,
}

fn refusal_for(direction: &str, bytes: &[u8]) -> Option<Vec<Kind>> {
    match direction {
        "client" => rust_refusal::<ClientMsg>(bytes),
        "server" => rust_refusal::<ServerMsg>(bytes),
        _ => unreachable!(),
    }
}

fn decoded_by_rust(direction: &str, bytes: &[u8]) -> bool {
    match direction {
        "client" => decode::<ClientMsg>(bytes).is_ok(),
        "server" => decode::<ServerMsg>(bytes).is_ok(),
        _ => unreachable!(),
    }
}

/// Hand-written malformed messages: (direction, name, hex, kind the TS decoder reports).
fn hand_malformed() -> Vec<(&'static str, &'static str, &'static str, Kind)> {
    use Kind::*;
    vec![
        // Unknown variants.
        ("server", "unknown ServerMsg variant 13", "0d", BadTag),
        ("server", "unknown ServerMsg variant u32::MAX", "ff ff ff ff 0f", BadTag),
        ("server", "ServerMsg variant above u32 (5 bytes, last too big)", "ff ff ff ff 1f", BadVarint),
        ("server", "ServerMsg variant in 6 varint bytes", "80 80 80 80 80 00", BadVarint),
        ("client", "unknown ClientMsg variant 10", "0a", BadTag),
        ("client", "unknown ClientMsg variant 200", "c8 01", BadTag),
        ("server", "unknown FrameKind 2", "02 2a 03 dc 0b 02 00 00", BadTag),
        ("server", "unknown CommandOutcome 2", "03 01 02", BadTag),
        ("server", "unknown ErrorCode 8", "05 08 00", BadTag),
        ("server", "Option tag 2 (Joined.last_input)", "01 2a 1e 02 10", BadTag),
        ("client", "Option tag 255 (Join.resume)", "00 2a ff", BadTag),
        // Trailing bytes.
        ("client", "Leave with a trailing byte", "04 00", TrailingBytes),
        ("server", "QueueLeft with a trailing byte", "09 ff", TrailingBytes),
        (
            "server",
            "Welcome with a trailing byte",
            "00 01 10 67 e5 50 44 10 b1 42 6f 92 47 bb 68 0e 5f e0 c8 80 08 3c 78 00",
            TrailingBytes,
        ),
        ("server", "Frame with a second payload", "02 2a 03 dc 0b 00 00 01 aa 01 bb", TrailingBytes),
        // Varints too long for their type.
        ("server", "u16 tick_hz in 4 bytes", "01 2a 80 80 80 00 00", BadVarint),
        ("server", "u16 tick_hz above 65535 (last byte 4)", "01 2a ff ff 04 00", BadVarint),
        ("server", "u32 last_input in 6 bytes", "01 2a 1e 01 80 80 80 80 80 00", BadVarint),
        ("server", "u32 last_input above u32::MAX (last byte 16)", "01 2a 1e 01 ff ff ff ff 10", BadVarint),
        ("server", "u64 room in 11 bytes", "08 80 80 80 80 80 80 80 80 80 80 00", BadVarint),
        ("server", "u64 room above u64::MAX (last byte 2)", "08 ff ff ff ff ff ff ff ff ff 02", BadVarint),
        ("client", "u64 Ping time in 11 bytes", "05 ff ff ff ff ff ff ff ff ff ff 01", BadVarint),
        ("server", "length prefix in 11 bytes", "07 80 80 80 80 80 80 80 80 80 80 00", BadVarint),
        // Length prefixes beyond the buffer.
        ("server", "Error message length 50, 3 bytes there", "05 00 32 61 62 63", TooLong),
        ("server", "Frame payload length 2^63", "02 2a 03 dc 0b 00 00 80 80 80 80 80 80 80 80 80 01 00", TooLong),
        ("server", "Welcome player length 16, 4 bytes there", "00 01 10 67 e5 50 44", TooLong),
        ("client", "Input payload length 1, nothing there", "01 01 01", TooLong),
        // Strings that are not UTF-8.
        ("server", "Error message with byte ff", "05 00 03 61 ff 62", BadUtf8),
        ("server", "GoAway reason with an overlong NUL (c0 80)", "06 02 c0 80 00", BadUtf8),
        ("server", "Queued ticket with a surrogate (ed a0 80)", "07 03 ed a0 80", BadUtf8),
        ("server", "CommandAck reason cut inside a character", "03 01 01 02 e2 82", BadUtf8),
        ("client", "JoinByCode with a lone continuation byte", "08 01 80", BadUtf8),
        // Structurally invalid.
        ("server", "Welcome player of 15 bytes", "00 01 0f 67 e5 50 44 10 b1 42 6f 92 47 bb 68 0e 5f e0 80 08 3c 78", Invalid),
        ("server", "Welcome player of 17 bytes", "00 01 11 67 e5 50 44 10 b1 42 6f 92 47 bb 68 0e 5f e0 c8 c8 80 08 3c 78", Invalid),
        ("client", "Queue party member of 0 bytes", "06 00 00 01 00", Invalid),
    ]
}

/// Values Rust reads but a JavaScript number cannot hold: refused with `OutOfRange`.
fn out_of_range() -> Vec<(&'static str, &'static str, ServerMsg)> {
    vec![
        ("server", "Matched room 2^53", ServerMsg::Matched { room: RoomId(MAX_SAFE + 1) }),
        ("server", "RoomClosed room u64::MAX", ServerMsg::RoomClosed { room: RoomId(u64::MAX) }),
        ("server", "Frame tick 2^53", frame(1, 1, MAX_SAFE + 1, FrameKind::Keyframe, None, vec![])),
        ("server", "Frame delta base 2^60", frame(1, 1, 5, FrameKind::Delta { base: Tick(1 << 60) }, None, vec![])),
        ("server", "Pong server time 2^53", ServerMsg::Pong { client_time_us: 0, server_time_ms: MAX_SAFE + 1, tick: None }),
    ]
}

fn malformed_cases() -> Vec<Malformed> {
    let mut out = Vec::new();
    // Every truncation of a few messages (each shorter prefix, the empty one included).
    let mut truncated: Vec<(&'static str, String, Vec<u8>)> = server_cases()
        .into_iter()
        .filter(|(name, _)| {
            ["Welcome ada, default limits", "Joined 42, last input 16", "Frame delta 42/3/1501 on 1500, ack 17", "Pong, tick 1501"]
                .contains(&name.as_str())
                || name == "CommandAck 1 rejected"
                || name == "Error NotInRoom"
                || name == "GoAway shutting down"
        })
        .map(|(name, m)| ("server", name, encode(&m)))
        .collect();
    for (name, m) in client_cases() {
        if ["Join room 7, resume (2, 99)", "Input seq 1, 3 bytes", "Queue with a party of three (nil, max, ada)"].contains(&name) {
            truncated.push(("client", name.to_string(), encode(&m)));
        }
    }
    for (direction, name, bytes) in truncated {
        for len in 0..bytes.len() {
            let prefix = bytes[..len].to_vec();
            let kinds = refusal_for(direction, &prefix).unwrap_or_else(|| panic!("Rust reads {name} cut at {len}"));
            assert_eq!(kinds.len(), 1, "{name} cut at {len}: {kinds:?}");
            out.push(Malformed {
                name: format!("{name}, cut to {len} of {} bytes", bytes.len()),
                direction,
                bytes: prefix,
                kind: kinds[0],
                rust_refuses: true,
            });
        }
    }
    for (direction, name, hex_text, kind) in hand_malformed() {
        let bytes = unhex(hex_text);
        let kinds = refusal_for(direction, &bytes).unwrap_or_else(|| panic!("Rust reads {name}"));
        assert!(kinds.contains(&kind), "{name}: Rust refuses it as {kinds:?}, the case says {kind:?}");
        out.push(Malformed { name: name.into(), direction, bytes, kind, rust_refuses: true });
    }
    for (direction, name, msg) in out_of_range() {
        out.push(Malformed { name: name.into(), direction, bytes: encode(&msg), kind: Kind::OutOfRange, rust_refuses: false });
    }
    out
}

// ---- the files -------------------------------------------------------------------------

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sdk/fixtures")
}

fn protocol_json() -> String {
    let client: Vec<Value> = client_cases()
        .iter()
        .map(|(name, m)| {
            let bytes = encode(m);
            assert_eq!(&decode::<ClientMsg>(&bytes).expect("round trip"), m, "{name}");
            json!({ "name": name, "message": client_json(m), "hex": hex(&bytes) })
        })
        .collect();
    let server: Vec<Value> = server_cases()
        .iter()
        .map(|(name, m)| {
            let bytes = encode(m);
            assert_eq!(&decode::<ServerMsg>(&bytes).expect("round trip"), m, "{name}");
            json!({ "name": name, "message": server_json(m), "hex": hex(&bytes) })
        })
        .collect();
    let noncanonical: Vec<Value> = noncanonical_cases()
        .iter()
        .map(|(direction, name, hex_text)| {
            let bytes = unhex(hex_text);
            let (message, canonical) = match *direction {
                "client" => {
                    let m: ClientMsg = decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
                    (client_json(&m), encode(&m))
                }
                _ => {
                    let m: ServerMsg = decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
                    (server_json(&m), encode(&m))
                }
            };
            assert_ne!(canonical, bytes, "{name} is canonical");
            json!({ "name": name, "direction": direction, "hex": hex(&bytes), "message": message, "canonicalHex": hex(&canonical) })
        })
        .collect();
    let doc = json!({
        "about": "Golden v1 client protocol messages, written by common/tests/wire_fixtures.rs from the real Rust types. See sdk/fixtures/README.md.",
        "protocol": orrery_common::protocol::client::PROTOCOL_VERSION,
        "client": client,
        "server": server,
        "noncanonical": noncanonical,
    });
    serde_json::to_string_pretty(&doc).expect("json") + "\n"
}

fn malformed_json() -> String {
    let cases: Vec<Value> = malformed_cases()
        .iter()
        .map(|c| {
            assert_eq!(!decoded_by_rust(c.direction, &c.bytes), c.rust_refuses, "{}: Rust's decoder disagrees", c.name);
            json!({
                "name": c.name,
                "direction": c.direction,
                "hex": hex(&c.bytes),
                "kind": c.kind.name(),
                "rustRefuses": c.rust_refuses,
            })
        })
        .collect();
    let doc = json!({
        "about": "Malformed v1 client protocol messages and the DecodeError kind the TypeScript decoder reports, written by common/tests/wire_fixtures.rs. See sdk/fixtures/README.md.",
        "cases": cases,
    });
    serde_json::to_string_pretty(&doc).expect("json") + "\n"
}

/// Compare with the file on disk, or write it under `ORRERY_BLESS=1`.
fn check_or_bless(file: &str, content: &str) {
    let path = fixtures_dir().join(file);
    if std::env::var_os("ORRERY_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(fixtures_dir()).expect("create sdk/fixtures");
        std::fs::write(&path, content).expect("write the fixture");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == content,
        "sdk/fixtures/{file} is out of date with the Rust types: run `ORRERY_BLESS=1 cargo test -p orrery-common --test wire_fixtures`"
    );
}

#[test]
fn protocol_fixtures_match_the_rust_encoder() {
    check_or_bless("protocol.json", &protocol_json());
}

#[test]
fn malformed_fixtures_are_refused_by_the_rust_decoder() {
    check_or_bless("protocol-malformed.json", &malformed_json());
}

#[test]
fn every_variant_has_a_fixture() {
    let client: std::collections::BTreeSet<String> =
        client_cases().iter().map(|(_, m)| client_json(m)["type"].as_str().expect("type").to_owned()).collect();
    let server: std::collections::BTreeSet<String> =
        server_cases().iter().map(|(_, m)| server_json(m)["type"].as_str().expect("type").to_owned()).collect();
    assert_eq!(client.len(), 10, "{client:?}");
    assert_eq!(server.len(), 13, "{server:?}");
}
