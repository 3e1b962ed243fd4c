//! What happens in Redis when a room closes for good, shared by the worker that closes
//! it and the gateways that hear about it (the script is idempotent, so running it
//! twice is harmless).
//!
//! One Lua script, atomically: count the room's results into the live leaderboard
//! exactly once (guarded by the `leaderboard:applied` set), clear the `room` field of
//! every player placed or seated in it (only where it still names this room), take the
//! room out of its mode's open-room set and delete its matchmaking, member and ban keys.
//! PostgreSQL stays the truth: the leaderboard can always be rebuilt from `player_stats`.

use crate::game::PlayerResult;
use crate::ids::RoomId;
use crate::names::Names;

/// KEYS: room players set, mm room hash, leaderboard, applied set, banned set.
/// ARGV: room, player key prefix, open-set key prefix, n results, (player, score) × n.
const CLOSE_ROOM: &str = r"
local room = ARGV[1]
local n = tonumber(ARGV[4])
if n > 0 and redis.call('SADD', KEYS[4], room) == 1 then
  for i = 0, n - 1 do
    redis.call('ZINCRBY', KEYS[3], ARGV[6 + 2 * i], ARGV[5 + 2 * i])
  end
end
for _, p in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local pk = ARGV[2] .. p
  if redis.call('HGET', pk, 'room') == room then redis.call('HDEL', pk, 'room') end
end
local mode = redis.call('HGET', KEYS[2], 'mode')
if mode then redis.call('ZREM', ARGV[3] .. mode, room) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[5])
return 1
";

/// Forget everything Redis holds about `room` and count `results` (once) into the
/// live leaderboard.
pub async fn forget_room<C: redis::aio::ConnectionLike>(
    conn: &mut C,
    names: &Names,
    room: RoomId,
    results: &[PlayerResult],
) -> redis::RedisResult<()> {
    let script = redis::Script::new(CLOSE_ROOM);
    let mut inv = script.prepare_invoke();
    inv.key(names.room_players(room))
        .key(names.mm_room(room))
        .key(names.leaderboard())
        .key(names.leaderboard_applied())
        .key(names.room_banned(room))
        .arg(room.get())
        .arg(format!("{}:player:", names.prefix()))
        .arg(format!("{}:open:", names.mm_prefix()))
        .arg(results.len());
    for r in results {
        inv.arg(r.player.to_string()).arg(r.score);
    }
    inv.invoke_async::<i64>(conn).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use crate::ids::PlayerId;
    use crate::names::Names;

    #[test]
    fn the_player_key_prefix_matches_names() {
        let n = Names::new("x");
        let p = PlayerId::random();
        assert_eq!(format!("{}:player:{p}", n.prefix()), n.player(p));
        assert_eq!(format!("{}:open:arena", n.mm_prefix()), n.mm_open("arena"));
    }
}
