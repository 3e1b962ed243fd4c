//! The byte examples of `docs/protocol.md`, generated from the real encoders.
//!
//! Every block between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` in the
//! document is rendered here from real messages: client and server messages encoded with
//! `orrery_common::protocol::encode`, and an arena room driven through the `Game` trait
//! for its keyframe and deltas. Each annotated example lists the bytes field by field, and
//! the concatenation of the fields must equal what the encoder produced, so neither the
//! bytes nor their explanation can drift.
//!
//! The test fails when a block in the document differs; `ORRERY_BLESS=1` rewrites them.

use orrery_arena::wire::keyframe;
use orrery_arena::{ArenaCommand, ArenaGame, ArenaView, Intent, encode_command, encode_intent};
use orrery_common::game::{Game, RoomSettings, Viewer};
use orrery_common::protocol::client::{
    ClientMsg, CommandOutcome, ErrorCode, Frame, FrameKind, Limits, PROTOCOL_VERSION, Resume, ServerMsg,
};
use orrery_common::protocol::close;
use orrery_common::protocol::encode;
use orrery_common::protocol::internal::{
    ControlReply, ControlRequest, InputEnvelope, LeaveReason, Parts, PlayerEvent, StateFrame, ViewPart,
};
use orrery_common::{ClientMsgId, Epoch, InputSeq, PlayerId, RoomId, Tick};
use orrery_gateway::error::SessionEnd;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

const DOC: &str = "docs/protocol.md";
const BLESS_HINT: &str = "run `ORRERY_BLESS=1 cargo test -p orrery-systests --test protocol_doc` to rewrite them";

fn ada() -> PlayerId {
    "67e55044-10b1-426f-9247-bb680e5fe0c8".parse().unwrap()
}

fn bob() -> PlayerId {
    "9d3c2a1b-5e4f-4a6b-8c7d-0e1f2a3b4c5d".parse().unwrap()
}

// ---- annotated hex ----------------------------------------------------------------------

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

fn pc<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    encode(&value)
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// Bytes of a message, split into labelled fields.
struct Annotated {
    title: String,
    fields: Vec<(Vec<u8>, String)>,
}

/// Hex bytes shown per line in the field column.
const PER_LINE: usize = 8;

impl Annotated {
    fn new(title: impl Into<String>) -> Self {
        Self { title: title.into(), fields: Vec::new() }
    }

    fn field(&mut self, bytes: impl AsRef<[u8]>, label: impl Into<String>) -> &mut Self {
        self.fields.push((bytes.as_ref().to_vec(), label.into()));
        self
    }

    fn bytes(&self) -> Vec<u8> {
        self.fields.iter().flat_map(|(b, _)| b.iter().copied()).collect()
    }

    /// The block text; panics unless the fields are exactly `real`.
    fn render(&self, real: &[u8]) -> String {
        assert_eq!(hex(&self.bytes()), hex(real), "the annotation of {} does not match the encoder", self.title);
        let mut out = format!("{}\n", self.title);
        let _ = writeln!(out, "= {} ({} bytes)", wrap(real, 24, "  "), real.len());
        let width = PER_LINE * 3 - 1;
        for (bytes, label) in &self.fields {
            let chunks: Vec<&[u8]> = if bytes.is_empty() { vec![&[][..]] } else { bytes.chunks(PER_LINE).collect() };
            for (i, chunk) in chunks.iter().enumerate() {
                if i == 0 {
                    let _ = writeln!(out, "  {:<width$}  {label}", hex(chunk));
                } else {
                    let _ = writeln!(out, "  {}", hex(chunk));
                }
            }
        }
        out
    }
}

/// Hex in lines of `per_line` bytes, continuation lines indented by `indent`.
fn wrap(bytes: &[u8], per_line: usize, indent: &str) -> String {
    if bytes.is_empty() {
        return "(empty)".into();
    }
    bytes.chunks(per_line).map(hex).collect::<Vec<_>>().join(&format!("\n{indent}"))
}

fn uuid_field(a: &mut Annotated, player: PlayerId, what: &str) {
    a.field(pc(&player), format!("{what} = {player} (length 16, then the 16 bytes)"));
}

fn string_field(a: &mut Annotated, s: &str, what: &str) {
    a.field(pc(s), format!("{what} = {s:?} (length {}, then UTF-8)", s.len()));
}

fn bytes_field(a: &mut Annotated, b: &[u8], what: &str) {
    a.field(varint(b.len() as u64), format!("{what}: length {}", b.len()));
    if !b.is_empty() {
        a.field(b, format!("{what}: the bytes"));
    }
}

fn option_tag<T>(o: &Option<T>) -> Vec<u8> {
    vec![u8::from(o.is_some())]
}

// ---- client messages ----------------------------------------------------------------------

fn client_msg(msg: &ClientMsg) -> String {
    let mut a = Annotated::new(format!("{msg:?}"));
    match msg {
        ClientMsg::Join { room, resume } => {
            a.field(varint(0), "variant 0: Join");
            a.field(pc(room), format!("room: u64 = {room}"));
            a.field(option_tag(resume), if resume.is_some() { "resume: Some" } else { "resume: None" });
            if let Some(r) = resume {
                a.field(pc(&r.epoch), format!("resume.epoch: u64 = {}", r.epoch));
                a.field(pc(&r.tick), format!("resume.tick: u64 = {}", r.tick));
            }
        }
        ClientMsg::Input { seq, payload } => {
            a.field(varint(1), "variant 1: Input");
            a.field(pc(seq), format!("seq: u32 = {seq}"));
            bytes_field(&mut a, payload, "payload");
        }
        ClientMsg::Command { id, payload } => {
            a.field(varint(2), "variant 2: Command");
            a.field(pc(id), format!("id: u32 = {id}"));
            bytes_field(&mut a, payload, "payload");
        }
        ClientMsg::Resync => {
            a.field(varint(3), "variant 3: Resync");
        }
        ClientMsg::Leave => {
            a.field(varint(4), "variant 4: Leave");
        }
        ClientMsg::Ping { client_time_us } => {
            a.field(varint(5), "variant 5: Ping");
            a.field(pc(client_time_us), format!("client_time_us: u64 = {client_time_us}"));
        }
        ClientMsg::Queue { mode, region, party } => {
            a.field(varint(6), "variant 6: Queue");
            string_field(&mut a, mode, "mode");
            string_field(&mut a, region, "region");
            a.field(varint(party.len() as u64), format!("party: {} player id(s)", party.len()));
            for p in party {
                uuid_field(&mut a, *p, "party[]");
            }
        }
        ClientMsg::LeaveQueue => {
            a.field(varint(7), "variant 7: LeaveQueue");
        }
        ClientMsg::JoinByCode { code } => {
            a.field(varint(8), "variant 8: JoinByCode");
            string_field(&mut a, code, "code");
        }
        ClientMsg::Watch { room } => {
            a.field(varint(9), "variant 9: Watch");
            a.field(pc(room), format!("room: u64 = {room}"));
        }
    }
    a.render(&encode(msg))
}

fn error_code_name(code: ErrorCode) -> String {
    format!("{code:?}")
}

fn frame_fields(a: &mut Annotated, f: &Frame, payload_label: &str) {
    a.field(pc(&f.room), format!("room: u64 = {}", f.room));
    a.field(pc(&f.epoch), format!("epoch: u64 = {}", f.epoch));
    a.field(pc(&f.tick), format!("tick: u64 = {}", f.tick));
    match f.kind {
        FrameKind::Keyframe => {
            a.field(varint(0), "kind: 0 = Keyframe");
        }
        FrameKind::Delta { base } => {
            a.field(varint(1), "kind: 1 = Delta");
            a.field(pc(&base), format!("base: u64 = {base}"));
        }
    }
    a.field(option_tag(&f.ack), if f.ack.is_some() { "ack: Some" } else { "ack: None" });
    if let Some(ack) = f.ack {
        a.field(pc(&ack), format!("ack: u32 = {ack}"));
    }
    a.field(varint(f.payload.len() as u64), format!("payload: length {}", f.payload.len()));
    if !f.payload.is_empty() {
        a.field(&f.payload, payload_label);
    }
}

fn server_msg(msg: &ServerMsg) -> String {
    server_msg_titled(msg, format!("{msg:?}"), "payload: the game's bytes")
}

fn server_msg_titled(msg: &ServerMsg, title: String, payload_label: &str) -> String {
    let mut a = Annotated::new(title);
    match msg {
        ServerMsg::Welcome { protocol, player, limits } => {
            a.field(varint(0), "variant 0: Welcome");
            a.field(pc(protocol), format!("protocol: u16 = {protocol}"));
            uuid_field(&mut a, *player, "player");
            a.field(pc(&limits.max_message_bytes), format!("limits.max_message_bytes: u32 = {}", limits.max_message_bytes));
            a.field(pc(&limits.messages_per_second), format!("limits.messages_per_second: u16 = {}", limits.messages_per_second));
            a.field(pc(&limits.message_burst), format!("limits.message_burst: u16 = {}", limits.message_burst));
        }
        ServerMsg::Joined { room, tick_hz, last_input } => {
            a.field(varint(1), "variant 1: Joined");
            a.field(pc(room), format!("room: u64 = {room}"));
            a.field(pc(tick_hz), format!("tick_hz: u16 = {tick_hz}"));
            a.field(option_tag(last_input), if last_input.is_some() { "last_input: Some" } else { "last_input: None" });
            if let Some(l) = last_input {
                a.field(pc(l), format!("last_input: u32 = {l}"));
            }
        }
        ServerMsg::Frame(f) => {
            a.field(varint(2), "variant 2: Frame");
            frame_fields(&mut a, f, payload_label);
        }
        ServerMsg::CommandAck { id, outcome } => {
            a.field(varint(3), "variant 3: CommandAck");
            a.field(pc(id), format!("id: u32 = {id}"));
            match outcome {
                CommandOutcome::Accepted => {
                    a.field(varint(0), "outcome: 0 = Accepted");
                }
                CommandOutcome::Rejected { reason } => {
                    a.field(varint(1), "outcome: 1 = Rejected");
                    string_field(&mut a, reason, "reason");
                }
            }
        }
        ServerMsg::Pong { client_time_us, server_time_ms, tick } => {
            a.field(varint(4), "variant 4: Pong");
            a.field(pc(client_time_us), format!("client_time_us: u64 = {client_time_us}"));
            a.field(pc(server_time_ms), format!("server_time_ms: u64 = {server_time_ms}"));
            a.field(option_tag(tick), if tick.is_some() { "tick: Some" } else { "tick: None" });
            if let Some(t) = tick {
                a.field(pc(t), format!("tick: u64 = {t}"));
            }
        }
        ServerMsg::Error { code, message } => {
            a.field(varint(5), "variant 5: Error");
            a.field(pc(code), format!("code: {} = {}", pc(code)[0], error_code_name(*code)));
            string_field(&mut a, message, "message");
        }
        ServerMsg::GoAway { reason, reconnect_after_ms } => {
            a.field(varint(6), "variant 6: GoAway");
            string_field(&mut a, reason, "reason");
            a.field(pc(reconnect_after_ms), format!("reconnect_after_ms: u32 = {reconnect_after_ms}"));
        }
        ServerMsg::Queued { ticket } => {
            a.field(varint(7), "variant 7: Queued");
            string_field(&mut a, ticket, "ticket");
        }
        ServerMsg::Matched { room } => {
            a.field(varint(8), "variant 8: Matched");
            a.field(pc(room), format!("room: u64 = {room}"));
        }
        ServerMsg::QueueLeft => {
            a.field(varint(9), "variant 9: QueueLeft");
        }
        ServerMsg::RoomClosed { room } => {
            a.field(varint(10), "variant 10: RoomClosed");
            a.field(pc(room), format!("room: u64 = {room}"));
        }
        ServerMsg::Kicked { room } => {
            a.field(varint(11), "variant 11: Kicked");
            a.field(pc(room), format!("room: u64 = {room}"));
        }
        ServerMsg::Watching { room, tick_hz } => {
            a.field(varint(12), "variant 12: Watching");
            a.field(pc(room), format!("room: u64 = {room}"));
            a.field(pc(tick_hz), format!("tick_hz: u16 = {tick_hz}"));
        }
    }
    a.render(&encode(msg))
}

fn blocks_of(examples: Vec<String>) -> String {
    format!("```text\n{}```\n", examples.join("\n"))
}

// ---- the arena --------------------------------------------------------------------------

/// A real room of mode `arena-duel` (two seats, the countdown starts with two players),
/// driven like the worker drives it: join replies carry a keyframe, every step a delta.
struct ArenaScript {
    keyframe_at_join: Vec<u8>,
    keyframe_tick: u64,
    /// (what happened before this step, the delta of the step).
    deltas: Vec<(String, Vec<u8>)>,
}

fn arena_script() -> ArenaScript {
    let settings = RoomSettings { mode: "arena-duel".into(), max_players: 2, tick_hz: 30, seed: 7 };
    let mut game = ArenaGame::new(&settings);
    let mut events = Vec::new();
    game.step(&mut events);
    game.join(ada(), "ada").expect("a seat");
    let mut keyframe_at_join = Vec::new();
    game.encode_keyframe(&mut keyframe_at_join);
    let keyframe_tick = game.world().tick;
    let mut deltas = Vec::new();
    let mut step = |game: &mut ArenaGame, what: &str| {
        game.step(&mut events);
        let mut out = Vec::new();
        game.encode_delta(&mut out);
        deltas.push((what.to_owned(), out));
    };
    step(&mut game, "ada joined (after the keyframe of her join reply)");
    step(&mut game, "nothing happened");
    let intent = encode_intent(&Intent { turn: -0.5, thrust: true, fire: false });
    game.apply_input(ada(), &intent).expect("a valid intent");
    step(&mut game, "ada's intent changed to {turn: -0.5, thrust: true, fire: false}");
    game.join(bob(), "bob").expect("a seat");
    step(&mut game, "bob joined: two players, the countdown starts");
    step(&mut game, "nothing unexpected (the countdown and the turn are predicted)");
    ArenaScript { keyframe_at_join, keyframe_tick, deltas }
}

fn keyframe_annotated(bytes: &[u8]) -> String {
    let world = keyframe::decode(bytes).expect("a valid keyframe");
    let mut a = Annotated::new(format!(
        "Arena keyframe at tick {} (phase {:?}, {} seats, {} black holes)",
        world.tick,
        world.phase,
        world.ships.len(),
        world.black_holes.len()
    ));
    a.field([keyframe::KEYFRAME_FORMAT], "format = 1");
    let p = &world.physics;
    a.field(pc(&p.tick_hz), format!("physics.tick_hz: u16 = {}", p.tick_hz));
    a.field(pc(&p.width), format!("physics.width: i32 = {} (zigzag)", p.width));
    a.field(pc(&p.height), format!("physics.height: i32 = {}", p.height));
    a.field(pc(&p.ship_radius), format!("physics.ship_radius: i32 = {}", p.ship_radius));
    a.field(pc(&p.ship_max_speed), format!("physics.ship_max_speed: i32 = {}", p.ship_max_speed));
    a.field(pc(&p.thrust_impulse), format!("physics.thrust_impulse: i32 = {}", p.thrust_impulse));
    a.field(pc(&p.drag_q10), format!("physics.drag_q10: i32 = {}", p.drag_q10));
    a.field(pc(&p.turn_step), format!("physics.turn_step: i32 = {}", p.turn_step));
    a.field(pc(&p.thrust_cooldown), format!("physics.thrust_cooldown: u16 = {}", p.thrust_cooldown));
    a.field(pc(&p.fire_cooldown), format!("physics.fire_cooldown: u16 = {}", p.fire_cooldown));
    a.field(pc(&p.bullet_speed), format!("physics.bullet_speed: i32 = {}", p.bullet_speed));
    a.field(pc(&p.bullet_max_speed), format!("physics.bullet_max_speed: i32 = {}", p.bullet_max_speed));
    a.field(pc(&p.bullet_lifetime), format!("physics.bullet_lifetime: u16 = {}", p.bullet_lifetime));
    a.field(pc(&p.bullet_radius), format!("physics.bullet_radius: i32 = {}", p.bullet_radius));
    a.field(pc(&p.max_health), format!("physics.max_health: u16 = {}", p.max_health));
    a.field(pc(&p.gravity), format!("physics.gravity: i64 = {}", p.gravity));
    a.field(pc(&p.gravity_min_distance), format!("physics.gravity_min_distance: i32 = {}", p.gravity_min_distance));
    a.field(pc(&p.gravity_max_accel), format!("physics.gravity_max_accel: i32 = {}", p.gravity_max_accel));
    a.field(pc(&p.pickup_radius), format!("physics.pickup_radius: i32 = {}", p.pickup_radius));
    a.field(pc(&world.tick), format!("tick: u64 = {}", world.tick));
    a.field(pc(&world.phase), format!("phase: {} = {:?}", pc(&world.phase)[0], world.phase));
    a.field(pc(&world.phase_ticks_left), format!("phase_ticks_left: u32 = {}", world.phase_ticks_left));
    a.field(varint(world.ships.len() as u64), format!("ships: {} slots", world.ships.len()));
    for (slot, ship) in world.ships.iter().enumerate() {
        let Some(s) = ship else {
            a.field([0], format!("ships[{slot}]: None (empty seat)"));
            continue;
        };
        a.field([1], format!("ships[{slot}]: Some"));
        uuid_field(&mut a, s.player, "  player");
        string_field(&mut a, &s.name, "  name");
        a.field(pc(&s.colour), format!("  colour: u32 = {:#08x}", s.colour));
        a.field(pc(&s.turn), format!("  turn: i8 = {}", s.turn));
        a.field(pc(&s.thrust), format!("  thrust: bool = {}", s.thrust));
        a.field(pc(&s.fire), format!("  fire: bool = {}", s.fire));
        a.field(pc(&s.pos.x), format!("  pos.x: i32 = {}", s.pos.x));
        a.field(pc(&s.pos.y), format!("  pos.y: i32 = {}", s.pos.y));
        a.field(pc(&s.vel.x), format!("  vel.x: i32 = {}", s.vel.x));
        a.field(pc(&s.vel.y), format!("  vel.y: i32 = {}", s.vel.y));
        a.field(pc(&s.angle), format!("  angle: u16 = {}", s.angle));
        a.field(pc(&s.thrust_cooldown), format!("  thrust_cooldown: u16 = {}", s.thrust_cooldown));
        a.field(pc(&s.fire_cooldown), format!("  fire_cooldown: u16 = {}", s.fire_cooldown));
        a.field(pc(&s.health), format!("  health: u16 = {}", s.health));
        a.field(pc(&s.score), format!("  score: i32 = {}", s.score));
        a.field(pc(&s.kills), format!("  kills: u16 = {}", s.kills));
        a.field(pc(&s.alive), format!("  alive: bool = {}", s.alive));
        a.field(pc(&s.connected), format!("  connected: bool = {}", s.connected));
    }
    assert!(world.bullets.is_empty() && world.pickups.is_empty(), "the example keyframe is a lobby");
    a.field(varint(0), "bullets: 0");
    a.field(varint(0), "pickups: 0");
    a.field(varint(world.black_holes.len() as u64), format!("black_holes: {}", world.black_holes.len()));
    for (i, h) in world.black_holes.iter().enumerate() {
        a.field(pc(&h.pos.x), format!("black_holes[{i}].pos.x: i32 = {}", h.pos.x));
        a.field(pc(&h.pos.y), format!("black_holes[{i}].pos.y: i32 = {}", h.pos.y));
        a.field(pc(&h.core_radius), format!("black_holes[{i}].core_radius: i32 = {}", h.core_radius));
    }
    a.field(pc(&world.next_bullet_id), format!("next_bullet_id: u32 = {}", world.next_bullet_id));
    a.render(bytes)
}

/// Reads a delta by the layout the document gives, labelling every field (and so checks
/// that layout against real deltas: it must consume every byte).
struct DeltaReader<'a> {
    bytes: &'a [u8],
    at: usize,
    out: Annotated,
}

impl DeltaReader<'_> {
    fn u8(&mut self, label: impl Into<String>) -> u8 {
        let b = self.bytes[self.at];
        self.at += 1;
        self.out.field([b], label);
        b
    }

    fn raw_varint(&mut self) -> (u64, Vec<u8>) {
        let start = self.at;
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.bytes[self.at];
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        (v, self.bytes[start..self.at].to_vec())
    }

    fn varint(&mut self, label: impl FnOnce(u64) -> String) -> u64 {
        let (v, b) = self.raw_varint();
        self.out.field(b, label(v));
        v
    }

    fn zigzag(&mut self, label: impl FnOnce(i64) -> String) -> i64 {
        let (v, b) = self.raw_varint();
        let v = ((v >> 1) as i64) ^ -((v & 1) as i64);
        self.out.field(b, label(v));
        v
    }

    fn take(&mut self, n: usize, label: impl Into<String>) -> Vec<u8> {
        let b = self.bytes[self.at..self.at + n].to_vec();
        self.at += n;
        self.out.field(&b, label);
        b
    }

    fn slots(mask: u64) -> Vec<u32> {
        (0..64).filter(|s| mask & (1 << s) != 0).collect()
    }

    fn list(&mut self, what: &str, item_fields: &[&str], read_item: fn(&mut Self)) {
        let removed = self.varint(|n| format!("{what}.removed: {n}"));
        for _ in 0..removed {
            self.varint(|g| format!("  index gap {g}"));
        }
        let changed = self.varint(|n| format!("{what}.changed: {n}"));
        for _ in 0..changed {
            self.varint(|g| format!("  index gap {g}"));
            let fields = self.u8(format!("  fields: {}", bit_names(item_fields, 0)));
            self.out.fields.last_mut().unwrap().1 = format!("  fields = {fields:#04x}: {}", bit_names(item_fields, u64::from(fields)));
            for (bit, name) in item_fields.iter().enumerate() {
                if fields & (1 << bit) != 0 {
                    self.zigzag(|d| format!("    {name} residual {d:+}"));
                }
            }
        }
        let added = self.varint(|n| format!("{what}.added: {n}"));
        for _ in 0..added {
            read_item(self);
        }
    }
}

fn bit_names(names: &[&str], mask: u64) -> String {
    let set: Vec<String> = names.iter().enumerate().filter(|(bit, _)| mask & (1 << bit) != 0).map(|(_, n)| (*n).to_owned()).collect();
    if set.is_empty() { "none".into() } else { set.join(", ") }
}

const SECTIONS: [&str; 7] = ["roster", "intents", "match", "ships", "bullets", "pickups", "statics"];
const MATCH_FIELDS: [&str; 4] = ["phase", "phase_ticks_left", "tick", "next_bullet_id"];
const SHIP_FIELDS: [&str; 12] = [
    "pos.x",
    "pos.y",
    "vel.x",
    "vel.y",
    "angle",
    "health",
    "score",
    "kills",
    "thrust_cooldown",
    "fire_cooldown",
    "alive flips",
    "connected flips",
];
const BULLET_FIELDS: [&str; 6] = ["pos.x", "pos.y", "vel.x", "vel.y", "ttl", "owner"];
const PICKUP_FIELDS: [&str; 3] = ["pos.x", "pos.y", "kind"];

fn delta_annotated(title: &str, bytes: &[u8]) -> String {
    let mut r = DeltaReader { bytes, at: 0, out: Annotated::new(title) };
    let sections = r.bytes[0];
    r.u8(format!("sections = {sections:#04x}: {}", bit_names(&SECTIONS, u64::from(sections))));
    if sections & 1 != 0 {
        let seats = r.varint(|n| format!("roster.seats: {n}"));
        let n = r.varint(|n| format!("roster: {n} seat(s) changed"));
        let _ = seats;
        for _ in 0..n {
            let slot = r.varint(|s| format!("  slot {s}"));
            let tag = r.u8("  tag");
            if tag == 0 {
                r.out.fields.last_mut().unwrap().1 = format!("  0: slot {slot} is empty now");
                continue;
            }
            r.out.fields.last_mut().unwrap().1 = "  1: seated".into();
            let id = r.take(16, "  player: 16 raw bytes (no length prefix)");
            let player = uuid::Uuid::from_slice(&id).unwrap();
            r.out.fields.last_mut().unwrap().1 = format!("  player = {player} (16 raw bytes, no length prefix)");
            let len = r.varint(|n| format!("  name length {n}"));
            let name = r.take(len as usize, "  name");
            r.out.fields.last_mut().unwrap().1 = format!("  name = {:?}", String::from_utf8(name).unwrap());
            r.varint(|c| format!("  colour = {c:#08x}"));
        }
    }
    if sections & 2 != 0 {
        let mask = r.varint(|m| format!("intents.slot_mask = {m:#x}"));
        for slot in DeltaReader::slots(mask) {
            let flags = r.u8("flags");
            let names = bit_names(&["thrust", "fire", "turn follows"], u64::from(flags));
            r.out.fields.last_mut().unwrap().1 = format!("  slot {slot} flags = {flags:#04x}: {names}");
            if flags & 4 != 0 {
                let t = r.u8("turn");
                r.out.fields.last_mut().unwrap().1 = format!("  turn: i8 = {}", t as i8);
            }
        }
    }
    if sections & 4 != 0 {
        let mask = r.u8("match mask");
        r.out.fields.last_mut().unwrap().1 = format!("match.mask = {mask:#04x}: {}", bit_names(&MATCH_FIELDS, u64::from(mask)));
        if mask & 1 != 0 {
            let phase = r.u8("phase");
            let name = ["Lobby", "Countdown", "Running", "Over", "Closable"][usize::from(phase)];
            r.out.fields.last_mut().unwrap().1 = format!("  phase = {phase} ({name})");
        }
        for (bit, name) in [(2, "phase_ticks_left"), (4, "tick"), (8, "next_bullet_id")] {
            if mask & bit != 0 {
                r.zigzag(|d| format!("  {name} residual {d:+}"));
            }
        }
    }
    if sections & 8 != 0 {
        let mask = r.varint(|m| format!("ships.slot_mask = {m:#x}"));
        for slot in DeltaReader::slots(mask) {
            let fields = r.varint(|f| format!("  slot {slot} fields = {f:#x}: {}", bit_names(&SHIP_FIELDS, f)));
            for (bit, name) in SHIP_FIELDS.iter().take(10).enumerate() {
                if fields & (1 << bit) != 0 {
                    r.zigzag(|d| format!("    {name} residual {d:+}"));
                }
            }
        }
    }
    if sections & 16 != 0 {
        r.list("bullets", &BULLET_FIELDS, |r| {
            r.varint(|v| format!("  bullet id {v}"));
            r.varint(|v| format!("    owner slot {v}"));
            for name in ["pos.x", "pos.y", "vel.x", "vel.y"] {
                r.zigzag(|v| format!("    {name} = {v}"));
            }
            r.varint(|v| format!("    ttl {v}"));
        });
    }
    if sections & 32 != 0 {
        r.list("pickups", &PICKUP_FIELDS, |r| {
            r.varint(|v| format!("  pickup id {v}"));
            r.u8("    kind (0 Health, 1 Score)");
            for name in ["pos.x", "pos.y"] {
                r.zigzag(|v| format!("    {name} = {v}"));
            }
        });
    }
    if sections & 64 != 0 {
        let len = r.varint(|n| format!("statics: length {n}"));
        r.take(len as usize, "  postcard (Physics, Vec<BlackHole>)");
    }
    assert_eq!(r.at, bytes.len(), "the delta of {title:?} has bytes the documented layout does not explain");
    r.out.render(bytes)
}

// ---- the blocks ---------------------------------------------------------------------------

fn primer() -> String {
    let mut rows = Vec::new();
    let mut row = |ty: &str, value: &str, bytes: Vec<u8>| rows.push(format!("| `{ty}` | `{value}` | `{}` |", hex(&bytes)));
    row("u8", "200", pc(&200u8));
    row("i8", "-1", pc(&-1i8));
    row("i8", "-127", pc(&-127i8));
    for v in [0u32, 127, 128, 300, 1024, 16384, 90000, u32::MAX] {
        row("u32", &v.to_string(), pc(&v));
    }
    row("u64", "1700000000000", pc(&1_700_000_000_000u64));
    row("u64", "u64::MAX", pc(&u64::MAX));
    for v in [0i32, -1, 1, -2, 2, 63, -64, 64, 1000, -1000] {
        row("i32", &v.to_string(), pc(&v));
    }
    row("bool", "true", pc(&true));
    row("f32", "1.0", pc(&1.0f32));
    row("f32", "-0.5", pc(&-0.5f32));
    row("Option<u32>", "None", pc(&None::<u32>));
    row("Option<u32>", "Some(5)", pc(&Some(5u32)));
    row("String", "\"hi\"", pc("hi"));
    row("(u8, u16)", "(7, 300)", pc(&(7u8, 300u16)));
    row("[u8; 3]", "[1, 2, 3]", pc(&[1u8, 2, 3]));
    row("RoomId (newtype)", "RoomId(300)", pc(&RoomId(300)));
    row("FrameKind", "Keyframe", pc(&FrameKind::Keyframe));
    row("FrameKind", "Delta { base: 1500 }", pc(&FrameKind::Delta { base: Tick(1500) }));
    row("PlayerId (UUID)", &ada().to_string(), pc(&ada()));
    format!("| Type | Value | Bytes |\n|---|---|---|\n{}\n", rows.join("\n"))
}

fn error_codes() -> String {
    // A new code must be added below: this match stops compiling until it is.
    let _every_code_is_listed = |c: ErrorCode| match c {
        ErrorCode::RoomNotFound
        | ErrorCode::RoomUnavailable
        | ErrorCode::JoinRefused
        | ErrorCode::NotInRoom
        | ErrorCode::Internal
        | ErrorCode::QueueRefused
        | ErrorCode::Spectating
        | ErrorCode::SpectatorsFull => (),
    };
    let codes = [
        ErrorCode::RoomNotFound,
        ErrorCode::RoomUnavailable,
        ErrorCode::JoinRefused,
        ErrorCode::NotInRoom,
        ErrorCode::Internal,
        ErrorCode::QueueRefused,
        ErrorCode::Spectating,
        ErrorCode::SpectatorsFull,
    ];
    let mut out = String::from("| Index | `ErrorCode` |\n|---|---|\n");
    for c in codes {
        let _ = writeln!(out, "| {} | `{c:?}` |", hex(&pc(&c)));
    }
    out
}

fn close_codes() -> String {
    // A new reason must be added below: this match stops compiling until it is.
    let _every_end_is_listed = |e: SessionEnd| match e {
        SessionEnd::Normal
        | SessionEnd::Transport
        | SessionEnd::GoingAway
        | SessionEnd::TooLarge
        | SessionEnd::Malformed
        | SessionEnd::RateLimited
        | SessionEnd::Kicked
        | SessionEnd::SlowConsumer
        | SessionEnd::IdleTimeout
        | SessionEnd::Replaced => (),
    };
    let mut out = String::from("| Code | Reason text | Gateway's reason |\n|---|---|---|\n");
    for e in SessionEnd::ALL {
        let _ = writeln!(out, "| {} | `{}` | `SessionEnd::{e:?}` |", e.close_code(), e.label());
    }
    // The one code no SessionEnd uses.
    let _ = writeln!(out, "| {} | (not sent) | reserved: `close::INTERNAL` |", close::INTERNAL);
    out
}

/// Variants of `ClientMsg` and `ServerMsg` (the matches in `client_msg` and `server_msg`
/// are exhaustive: update these with them). Every variant needs an example.
const CLIENT_VARIANTS: u8 = 10;
const SERVER_VARIANTS: u8 = 13;

fn assert_every_variant(encoded: impl Iterator<Item = Vec<u8>>, count: u8, what: &str) {
    let covered: std::collections::BTreeSet<u8> = encoded.map(|bytes| bytes[0]).collect();
    assert_eq!(covered, (0..count).collect(), "the {what} examples must cover every variant");
}

fn client_messages() -> String {
    let intent = encode_intent(&Intent { turn: -0.5, thrust: true, fire: false });
    let msgs = [
        ClientMsg::Join { room: RoomId(42), resume: None },
        ClientMsg::Join { room: RoomId(42), resume: Some(Resume { epoch: Epoch(3), tick: Tick(1500) }) },
        ClientMsg::Input { seq: InputSeq(17), payload: intent },
        ClientMsg::Command { id: ClientMsgId(1), payload: encode_command(&ArenaCommand::Emote(3)) },
        ClientMsg::Resync,
        ClientMsg::Leave,
        ClientMsg::Ping { client_time_us: 1_000_000 },
        ClientMsg::Queue { mode: "arena".into(), region: "eu".into(), party: vec![] },
        ClientMsg::Queue { mode: "arena-duel".into(), region: "any".into(), party: vec![bob()] },
        ClientMsg::LeaveQueue,
        ClientMsg::JoinByCode { code: "ABCD2345".into() },
        ClientMsg::Watch { room: RoomId(42) },
    ];
    assert_every_variant(msgs.iter().map(encode), CLIENT_VARIANTS, "ClientMsg");
    blocks_of(msgs.iter().map(client_msg).collect())
}

fn server_messages() -> String {
    let msgs = [
        ServerMsg::Welcome { protocol: PROTOCOL_VERSION, player: ada(), limits: Limits::default() },
        ServerMsg::Joined { room: RoomId(42), tick_hz: 30, last_input: None },
        ServerMsg::Joined { room: RoomId(42), tick_hz: 30, last_input: Some(InputSeq(16)) },
        ServerMsg::Frame(Frame {
            room: RoomId(42),
            epoch: Epoch(3),
            tick: Tick(1501),
            kind: FrameKind::Delta { base: Tick(1500) },
            ack: Some(InputSeq(17)),
            payload: vec![0],
        }),
        ServerMsg::Frame(Frame {
            room: RoomId(1234),
            epoch: Epoch(3),
            tick: Tick(90_000),
            kind: FrameKind::Delta { base: Tick(89_999) },
            ack: Some(InputSeq(4000)),
            payload: vec![],
        }),
        ServerMsg::CommandAck { id: ClientMsgId(1), outcome: CommandOutcome::Accepted },
        ServerMsg::CommandAck { id: ClientMsgId(2), outcome: CommandOutcome::Rejected { reason: "no emote 99: there are 16".into() } },
        ServerMsg::Pong { client_time_us: 1_000_000, server_time_ms: 1_700_000_000_000, tick: None },
        ServerMsg::Pong { client_time_us: 1_000_000, server_time_ms: 1_700_000_000_000, tick: Some(Tick(1501)) },
        ServerMsg::Error { code: ErrorCode::NotInRoom, message: "join a room first".into() },
        ServerMsg::GoAway { reason: "gateway is shutting down".into(), reconnect_after_ms: 100 },
        ServerMsg::Queued { ticket: ada().to_string() },
        ServerMsg::Matched { room: RoomId(42) },
        ServerMsg::QueueLeft,
        ServerMsg::RoomClosed { room: RoomId(42) },
        ServerMsg::Kicked { room: RoomId(42) },
        ServerMsg::Watching { room: RoomId(42), tick_hz: 30 },
    ];
    assert_every_variant(msgs.iter().map(encode), SERVER_VARIANTS, "ServerMsg");
    blocks_of(msgs.iter().map(server_msg).collect())
}

fn arena_intents() -> String {
    let mut out = String::from("| Intent | Payload |\n|---|---|\n");
    for i in [
        Intent { turn: 0.0, thrust: false, fire: false },
        Intent { turn: -0.5, thrust: true, fire: false },
        Intent { turn: 1.0, thrust: true, fire: true },
    ] {
        let _ = writeln!(out, "| `{{turn: {:?}, thrust: {}, fire: {}}}` | `{}` |", i.turn, i.thrust, i.fire, hex(&encode_intent(&i)));
    }
    for e in [0u8, 3] {
        let _ = writeln!(out, "| command `Emote({e})` | `{}` |", hex(&encode_command(&ArenaCommand::Emote(e))));
    }
    out
}

fn arena_join(script: &ArenaScript) -> String {
    let frame = ServerMsg::Frame(Frame {
        room: RoomId(42),
        epoch: Epoch(1),
        tick: Tick(script.keyframe_tick),
        kind: FrameKind::Keyframe,
        ack: None,
        payload: script.keyframe_at_join.clone(),
    });
    let envelope = server_msg_titled(
        &frame,
        format!("Frame {{ room: 42, epoch: 1, tick: {}, kind: Keyframe, ack: None, payload: <the keyframe below> }}", script.keyframe_tick),
        "payload: the arena keyframe (below)",
    );
    blocks_of(vec![envelope, keyframe_annotated(&script.keyframe_at_join)])
}

fn arena_deltas(script: &ArenaScript) -> String {
    let mut view = ArenaView::from_keyframe(&script.keyframe_at_join).expect("the keyframe decodes");
    assert!(view.ship_of(ada()).is_none(), "the join reply's keyframe is the world before ada's seat");
    let mut blocks = Vec::new();
    for (n, (what, delta)) in script.deltas.iter().enumerate() {
        view.apply_delta(delta).expect("the delta applies");
        if n == 0 {
            assert!(view.ship_of(ada()).is_some(), "ada's ship arrives in the first delta after her join");
        }
        blocks.push(delta_annotated(&format!("Delta of tick {}: {what}", view.tick()), delta));
    }
    blocks_of(blocks)
}

fn internal_messages() -> String {
    let envelope =
        InputEnvelope { player: ada(), seq: InputSeq(17), payload: encode_intent(&Intent { turn: -0.5, thrust: true, fire: false }) };
    let mut a = Annotated::new(format!("{envelope:?}"));
    uuid_field(&mut a, ada(), "player");
    a.field(pc(&envelope.seq), "seq: u32 = 17");
    bytes_field(&mut a, &envelope.payload, "payload");
    let mut blocks = vec![a.render(&encode(&envelope))];

    let state = StateFrame {
        room: RoomId(42),
        epoch: Epoch(3),
        tick: Tick(1501),
        kind: FrameKind::Delta { base: Tick(1500) },
        acks: vec![(ada(), InputSeq(17))],
        input_waits_us: vec![(ada(), 12_000)],
        payload: vec![0],
        parts: Parts::Shared,
    };
    let mut a = Annotated::new(format!("{state:?}"));
    a.field(pc(&state.room), "room: u64 = 42");
    a.field(pc(&state.epoch), "epoch: u64 = 3");
    a.field(pc(&state.tick), "tick: u64 = 1501");
    a.field(pc(&state.kind), "kind: Delta, base = 1500");
    a.field(varint(1), "acks: 1 pair");
    uuid_field(&mut a, ada(), "  player");
    a.field(pc(&InputSeq(17)), "  seq: u32 = 17");
    a.field(varint(1), "input_waits_us: 1 pair");
    uuid_field(&mut a, ada(), "  player");
    a.field(pc(&12_000u32), "  waited: u32 = 12000 µs");
    bytes_field(&mut a, &state.payload, "payload");
    a.field(varint(0), "parts: Shared");
    blocks.push(a.render(&encode(&state)));

    // A per-viewer game's frame: a shared part, each seated player's own part, and the
    // spectators' part (someone watches).
    let viewed = StateFrame {
        acks: vec![],
        input_waits_us: vec![],
        payload: vec![7],
        parts: Parts::PerViewer(vec![
            ViewPart { viewer: Viewer::Player(ada()), bytes: vec![0xA1] },
            ViewPart { viewer: Viewer::Player(bob()), bytes: vec![0xB1, 0xB2] },
            ViewPart { viewer: Viewer::Spectator, bytes: vec![0x5C] },
        ]),
        ..state.clone()
    };
    let mut a = Annotated::new(
        format!("{viewed:?}").replace(&format!("PlayerId({})", ada()), "ada").replace(&format!("PlayerId({})", bob()), "bob"),
    );
    a.field(pc(&viewed.room), "room: u64 = 42");
    a.field(pc(&viewed.epoch), "epoch: u64 = 3");
    a.field(pc(&viewed.tick), "tick: u64 = 1501");
    a.field(pc(&viewed.kind), "kind: Delta, base = 1500");
    a.field(varint(0), "acks: none");
    a.field(varint(0), "input_waits_us: none");
    bytes_field(&mut a, &viewed.payload, "payload (the shared part)");
    a.field(varint(1), "parts: PerViewer");
    a.field(varint(3), "  3 parts");
    a.field(varint(0), "  viewer: 0 = Player");
    uuid_field(&mut a, ada(), "  player");
    bytes_field(&mut a, &[0xA1], "  bytes (ada's part)");
    a.field(varint(0), "  viewer: 0 = Player");
    uuid_field(&mut a, bob(), "  player");
    bytes_field(&mut a, &[0xB1, 0xB2], "  bytes (bob's part)");
    a.field(varint(1), "  viewer: 1 = Spectator");
    bytes_field(&mut a, &[0x5C], "  bytes (the spectators' part)");
    blocks.push(a.render(&encode(&viewed)));
    let for_ada = viewed.encode_for(Viewer::Player(ada())).expect("ada has a part");
    let Ok(ServerMsg::Frame(frame)) = orrery_common::protocol::decode::<ServerMsg>(&for_ada) else { panic!("a frame") };
    blocks.push(server_msg_titled(&ServerMsg::Frame(frame), "Ada's socket is written the shared part and her part".into(), "payload"));
    let watched = viewed.encode_for(Viewer::Spectator).expect("the spectators have a part");
    let Ok(ServerMsg::Frame(frame)) = orrery_common::protocol::decode::<ServerMsg>(&watched) else { panic!("a frame") };
    blocks.push(server_msg_titled(
        &ServerMsg::Frame(frame),
        "A spectator's socket is written the shared part and the spectators' part, with no ack".into(),
        "payload",
    ));

    let mut rows = String::from("| Message | Bytes |\n|---|---|\n");
    let mut row = |title: String, bytes: Vec<u8>| {
        let _ = writeln!(rows, "| `{title}` | `{}` |", hex(&bytes));
    };
    for req in [
        ControlRequest::Join { player: ada(), name: "ada".into(), session: orrery_common::SocketId(7) },
        ControlRequest::Leave { player: ada(), reason: LeaveReason::Disconnected, session: orrery_common::SocketId(7) },
        ControlRequest::Leave { player: ada(), reason: LeaveReason::Left, session: orrery_common::SocketId(7) },
        ControlRequest::Leave { player: ada(), reason: LeaveReason::Kicked, session: orrery_common::SocketId::ANY },
        ControlRequest::Resync { player: ada() },
        ControlRequest::Command { player: ada(), id: ClientMsgId(5), payload: encode_command(&ArenaCommand::Emote(3)) },
        ControlRequest::Present { players: vec![ada()] },
        ControlRequest::Watch { player: ada(), session: orrery_common::SocketId(8) },
        ControlRequest::Unwatch { player: ada(), session: orrery_common::SocketId(8) },
    ] {
        row(format!("ControlRequest::{req:?}").replace(&format!("PlayerId({})", ada()), "ada"), encode(&req));
    }
    let keyframe =
        StateFrame { kind: FrameKind::Keyframe, tick: Tick(1500), acks: vec![], input_waits_us: vec![], payload: vec![1], ..state };
    for reply in [
        ControlReply::Keyframe { tick_hz: 30, last_input: Some(InputSeq(16)), frame: keyframe },
        ControlReply::Ok,
        ControlReply::Refused { reason: "the room is full".into() },
        ControlReply::CommandAck { outcome: CommandOutcome::Accepted },
        ControlReply::SpectatorsFull { limit: 32 },
    ] {
        row(format!("ControlReply::{reply:?}"), encode(&reply));
    }
    for event in [PlayerEvent::Placed { room: RoomId(42) }, PlayerEvent::Kicked { room: RoomId(42) }] {
        row(format!("PlayerEvent::{event:?}"), encode(&event));
    }
    format!("{}\n{rows}", blocks_of(blocks))
}

fn http_json() -> String {
    use orrery_gateway::api::{CreatedRoom, GuestToken};
    use orrery_gateway::leaderboard::{Entry, PlayerStats};
    use orrery_gateway::matchmaking::party::Party;
    use orrery_gateway::matchmaking::{QueueOutcome, QueueStatus};
    let party = Party { code: "M4KQ7XPN".into(), leader: ada(), members: vec![ada(), bob()] };
    let json = |v: serde_json::Value| v.to_string();
    let lines = [
        (
            "POST /v1/auth/guest → 200",
            serde_json::to_string(&GuestToken { token: "<jwt>".into(), player: ada().to_string(), name: "Ada".into(), expires_in: 3600 })
                .unwrap(),
        ),
        ("POST /v1/rooms → 201", serde_json::to_string(&CreatedRoom { room: 42, invite_code: None }).unwrap()),
        (
            "POST /v1/rooms {\"private\": true} → 201",
            serde_json::to_string(&CreatedRoom { room: 43, invite_code: Some("K7QX4MNP".into()) }).unwrap(),
        ),
        ("POST /v1/matchmaking → 200", serde_json::to_string(&QueueOutcome::Queued { ticket: ada().to_string() }).unwrap()),
        ("POST /v1/matchmaking → 200", serde_json::to_string(&QueueOutcome::InRoom { room: RoomId(42) }).unwrap()),
        ("GET /v1/matchmaking → 200", serde_json::to_string(&QueueStatus::Idle).unwrap()),
        ("GET /v1/matchmaking → 200", serde_json::to_string(&QueueStatus::Queued { ticket: ada().to_string(), waited_ms: 1250 }).unwrap()),
        ("GET /v1/matchmaking → 200", serde_json::to_string(&QueueStatus::Placed { room: RoomId(42) }).unwrap()),
        ("DELETE /v1/matchmaking → 200", json(serde_json::json!({ "cancelled": true }))),
        ("POST /v1/parties → 201 (GET /v1/parties, POST /v1/parties/join → 200)", serde_json::to_string(&party).unwrap()),
        ("DELETE /v1/parties → 200", json(serde_json::json!({ "left": true }))),
        (
            "POST /v1/rooms/42/kick → 200",
            json(serde_json::json!({ "kicked": bob(), "room": RoomId(42), "in_room": true, "seat_removed": true })),
        ),
        (
            "GET /v1/invites/K7QX4MNP → 200",
            serde_json::to_string(&orrery_gateway::invites::Invite { room: 43, mode: "frontier".into() }).unwrap(),
        ),
        (
            "GET /v1/leaderboard?limit=2 → 200",
            serde_json::to_string(&[Entry { rank: 1, player: ada(), score: 1450 }, Entry { rank: 2, player: bob(), score: 1200 }]).unwrap(),
        ),
        (
            "GET /v1/players/<uuid> → 200",
            serde_json::to_string(&PlayerStats { player: ada(), rank: Some(1), score: 1450, games: 12, wins: 5, kills: 31, rating: 1016 })
                .unwrap(),
        ),
        (
            "GET /v1/matches/waiting → 200",
            serde_json::to_string(&orrery_gateway::timeline::WaitingMatches {
                matches: vec![orrery_gateway::timeline::Waiting { room: 42, mode: "turns".into(), since_ms: 1_767_225_600_000 }],
            })
            .unwrap(),
        ),
        (
            "GET /v1/rooms/42/events?after=6 → 200",
            serde_json::to_string(&orrery_gateway::timeline::EventLog {
                room: 42,
                events: vec![orrery_gateway::timeline::LoggedEvent {
                    seq: 7,
                    tick: 5,
                    kind: "resolved".into(),
                    player: None,
                    detail: serde_json::json!({ "turn": 2 }),
                }],
                more_after: None,
            })
            .unwrap(),
        ),
        (
            "any error → 4xx/5xx",
            json(serde_json::json!({ "error": format!("tick_hz must be within {:?}", orrery_gateway::api::TICK_HZ_RANGE) })),
        ),
    ];
    let mut out = String::from("```text\n");
    for (what, body) in lines {
        let _ = writeln!(out, "{what}\n  {body}");
    }
    out.push_str("```\n");
    out
}

fn generated() -> BTreeMap<&'static str, String> {
    let script = arena_script();
    BTreeMap::from([
        ("primer", primer()),
        ("error-codes", error_codes()),
        ("close-codes", close_codes()),
        ("client-messages", client_messages()),
        ("server-messages", server_messages()),
        ("http-json", http_json()),
        ("arena-intents", arena_intents()),
        ("arena-join", arena_join(&script)),
        ("arena-deltas", arena_deltas(&script)),
        ("internal", internal_messages()),
    ])
}

// ---- the document -----------------------------------------------------------------------

/// `doc` with every generated block replaced; the names of the blocks that changed.
fn regenerate(doc: &str, blocks: &BTreeMap<&'static str, String>) -> Result<(String, Vec<String>), String> {
    let mut out = String::new();
    let mut rest = doc;
    let mut seen = Vec::new();
    let mut changed = Vec::new();
    while let Some(start) = rest.find("<!-- generated:") {
        let open_end = rest[start..].find("-->").ok_or("an unterminated generated marker")? + start + 3;
        let name = rest[start + "<!-- generated:".len()..open_end - 3].trim().to_owned();
        let close = format!("<!-- /generated:{name} -->");
        let close_at = rest[open_end..].find(&close).ok_or(format!("no {close}"))? + open_end;
        let body = blocks.get(name.as_str()).ok_or(format!("the document has a block {name:?} that the test does not generate"))?;
        let current = rest[open_end..close_at].trim_start_matches('\n');
        if current != body.as_str() {
            changed.push(name.clone());
        }
        out.push_str(&rest[..open_end]);
        out.push('\n');
        out.push_str(body);
        out.push_str(&close);
        rest = &rest[close_at + close.len()..];
        seen.push(name);
    }
    out.push_str(rest);
    let missing: Vec<&&str> = blocks.keys().filter(|k| !seen.iter().any(|s| s == *k)).collect();
    if !missing.is_empty() {
        return Err(format!("the document lacks the generated blocks {missing:?}"));
    }
    Ok((out, changed))
}

#[test]
fn the_protocol_documents_byte_examples_are_what_the_encoders_produce() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(DOC);
    let doc = std::fs::read_to_string(&path).expect("docs/protocol.md");
    let (fresh, changed) = regenerate(&doc, &generated()).unwrap_or_else(|e| panic!("{DOC}: {e}"));
    if changed.is_empty() {
        return;
    }
    if std::env::var("ORRERY_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, fresh).expect("write docs/protocol.md");
        return;
    }
    panic!("{DOC}: the generated blocks {changed:?} differ from what the encoders produce; {BLESS_HINT}");
}

#[test]
fn a_block_that_drifted_is_found_and_rewritten() {
    let blocks = BTreeMap::from([("x", "```text\n01 02\n```\n".to_owned())]);
    let doc = "before\n<!-- generated:x -->\n```text\n01 03\n```\n<!-- /generated:x -->\nafter\n";
    let (fresh, changed) = regenerate(doc, &blocks).unwrap();
    assert_eq!(changed, vec!["x".to_owned()]);
    assert_eq!(fresh, "before\n<!-- generated:x -->\n```text\n01 02\n```\n<!-- /generated:x -->\nafter\n");
    assert_eq!(regenerate(&fresh, &blocks).unwrap().1, Vec::<String>::new(), "idempotent");
    assert!(regenerate("no blocks", &blocks).is_err(), "a block missing from the document is an error");
}
