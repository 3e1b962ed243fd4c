-- Take a player's ticket (and so their whole party) out of the queue.
-- ARGV: prefix, player. Returns 1 when a ticket was removed, 0 when there was none.
local P = ARGV[1]
local pk = P .. ':player:' .. ARGV[2]
local t = redis.call('HGET', pk, 'ticket')
if not t then return 0 end
redis.call('HDEL', pk, 'ticket')
local tk = P .. ':mm:ticket:' .. t
local h = redis.call('HMGET', tk, 'mode', 'members')
if not h[1] then return 0 end
redis.call('ZREM', P .. ':mm:queue:' .. h[1], t)
redis.call('DEL', tk)
for m in string.gmatch(h[2], '[^,]+') do
  if redis.call('HGET', P .. ':player:' .. m, 'ticket') == t then
    redis.call('HDEL', P .. ':player:' .. m, 'ticket')
  end
end
return 1
