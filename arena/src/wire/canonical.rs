//! The canonical text of an [`ArenaView`]: a deterministic JSON document with every
//! field of the quantised world, integers only, keys in a fixed order, no whitespace.
//! Two clients (this crate, the TypeScript SDK's `canonicalView`) hold the same view
//! exactly when their canonical texts are equal; the replay fixture and the browser test
//! compare views this way. [`fnv1a64`] hashes it for fixtures that check every frame.
//!
//! ```text
//! {"tick":N,"phase":"lobby|countdown|running|over|closable","phase_ticks_left":N,
//!  "next_bullet_id":N,"seats":N,"physics":{<every Physics field in declaration order>},
//!  "ships":[{"slot","player","name","colour","turn","thrust","fire","pos":[x,y],"vel":[x,y],
//!            "angle","thrust_cooldown","fire_cooldown","health","score","kills","alive","connected"}],
//!  "bullets":[{"id","owner","pos","vel","ttl"}],"pickups":[{"id","kind":"health|score","pos"}],
//!  "black_holes":[{"pos","core_radius"}]}
//! ```
//!
//! Only seated ships are listed (by slot); `player` is the lowercase hyphenated UUID;
//! strings are escaped as `serde_json` (and `JSON.stringify`) escape them.

use super::ArenaView;
use crate::fixed::Vec2;
use crate::world::{PickupKind, World};
use std::fmt::Write;

impl ArenaView {
    /// The canonical JSON text of this view (see the [module docs](self)).
    pub fn canonical_json(&self) -> String {
        canonical_json(self.world())
    }
}

/// The canonical JSON text of a world.
pub fn canonical_json(w: &World) -> String {
    let mut s = String::with_capacity(1024);
    let p = &w.physics;
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "{{\"tick\":{},\"phase\":\"{}\",\"phase_ticks_left\":{},\"next_bullet_id\":{},\"seats\":{},",
        w.tick,
        w.phase.as_str(),
        w.phase_ticks_left,
        w.next_bullet_id,
        w.ships.len()
    );
    let _ = write!(
        s,
        "\"physics\":{{\"tick_hz\":{},\"width\":{},\"height\":{},\"ship_radius\":{},\"ship_max_speed\":{},\
         \"thrust_impulse\":{},\"drag_q10\":{},\"turn_step\":{},\"thrust_cooldown\":{},\"fire_cooldown\":{},\
         \"bullet_speed\":{},\"bullet_max_speed\":{},\"bullet_lifetime\":{},\"bullet_radius\":{},\"max_health\":{},\
         \"gravity\":{},\"gravity_min_distance\":{},\"gravity_max_accel\":{},\"pickup_radius\":{}}},",
        p.tick_hz,
        p.width,
        p.height,
        p.ship_radius,
        p.ship_max_speed,
        p.thrust_impulse,
        p.drag_q10,
        p.turn_step,
        p.thrust_cooldown,
        p.fire_cooldown,
        p.bullet_speed,
        p.bullet_max_speed,
        p.bullet_lifetime,
        p.bullet_radius,
        p.max_health,
        p.gravity,
        p.gravity_min_distance,
        p.gravity_max_accel,
        p.pickup_radius
    );
    s.push_str("\"ships\":[");
    for (n, (slot, ship)) in w.seated().enumerate() {
        if n > 0 {
            s.push(',');
        }
        let name = serde_json::to_string(&ship.name).unwrap_or_default();
        let _ = write!(
            s,
            "{{\"slot\":{slot},\"player\":\"{}\",\"name\":{name},\"colour\":{},\"turn\":{},\"thrust\":{},\"fire\":{},\
             \"pos\":{},\"vel\":{},\"angle\":{},\"thrust_cooldown\":{},\"fire_cooldown\":{},\"health\":{},\"score\":{},\
             \"kills\":{},\"alive\":{},\"connected\":{}}}",
            ship.player.0.hyphenated(),
            ship.colour,
            ship.turn,
            ship.thrust,
            ship.fire,
            pair(ship.pos),
            pair(ship.vel),
            ship.angle,
            ship.thrust_cooldown,
            ship.fire_cooldown,
            ship.health,
            ship.score,
            ship.kills,
            ship.alive,
            ship.connected
        );
    }
    s.push_str("],\"bullets\":[");
    for (n, b) in w.bullets.iter().enumerate() {
        if n > 0 {
            s.push(',');
        }
        let _ = write!(s, "{{\"id\":{},\"owner\":{},\"pos\":{},\"vel\":{},\"ttl\":{}}}", b.id, b.owner, pair(b.pos), pair(b.vel), b.ttl);
    }
    s.push_str("],\"pickups\":[");
    for (n, pk) in w.pickups.iter().enumerate() {
        if n > 0 {
            s.push(',');
        }
        let kind = match pk.kind {
            PickupKind::Health => "health",
            PickupKind::Score => "score",
        };
        let _ = write!(s, "{{\"id\":{},\"kind\":\"{kind}\",\"pos\":{}}}", pk.id, pair(pk.pos));
    }
    s.push_str("],\"black_holes\":[");
    for (n, h) in w.black_holes.iter().enumerate() {
        if n > 0 {
            s.push(',');
        }
        let _ = write!(s, "{{\"pos\":{},\"core_radius\":{}}}", pair(h.pos), h.core_radius);
    }
    s.push_str("]}");
    s
}

fn pair(v: Vec2) -> String {
    format!("[{},{}]", v.x, v.y)
}

/// 64-bit FNV-1a of `bytes`, as 16 lowercase hex digits (fixtures hash canonical texts).
pub fn fnv1a64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArenaConfig;
    use crate::world::{BlackHole, Ship};
    use orrery_common::PlayerId;

    #[test]
    fn canonical_text_is_valid_json_with_every_field() {
        let mut w = World::new(ArenaConfig::default().physics, 3, vec![BlackHole { pos: Vec2::new(5, 6), core_radius: 7 }]);
        let mut ship = Ship::seated(PlayerId(uuid::Uuid::from_u128(0xAB)), "a \"q\"\n".into(), 0xFF);
        ship.vel = Vec2::new(-3, 4);
        w.ships[1] = Some(ship);
        let text = canonical_json(&w);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["ships"][0]["slot"], 1);
        assert_eq!(v["ships"][0]["name"], "a \"q\"\n");
        assert_eq!(v["ships"][0]["vel"], serde_json::json!([-3, 4]));
        assert_eq!(v["ships"][0]["player"], "00000000-0000-0000-0000-0000000000ab");
        assert_eq!(v["physics"].as_object().unwrap().len(), 19);
        assert_eq!(v["black_holes"][0]["core_radius"], 7);
    }

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), "cbf29ce484222325");
        assert_eq!(fnv1a64(b"a"), "af63dc4c8601ec8c");
    }
}
