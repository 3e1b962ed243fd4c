-- Put a ticket (a player or a party) in its mode's queue, atomically.
-- ARGV: prefix, mode, region, rating, now ms, ticket id, ticket ttl ms, presence ttl s, members...
-- Returns {'queued', ticket} | {'in_room', room, member} | {'busy', other ticket, member}.
local P = ARGV[1]
local mm = P .. ':mm'
local tid = ARGV[6]
local members = {}
for i = 9, #ARGV do members[#members + 1] = ARGV[i] end
for _, m in ipairs(members) do
  local h = redis.call('HMGET', P .. ':player:' .. m, 'room', 'ticket')
  if h[1] then return {'in_room', h[1], m} end
  if h[2] and redis.call('EXISTS', mm .. ':ticket:' .. h[2]) == 1 then
    if h[2] == tid then return {'queued', tid, m} end
    return {'busy', h[2], m}
  end
end
local tk = mm .. ':ticket:' .. tid
redis.call('HSET', tk, 'mode', ARGV[2], 'region', ARGV[3], 'rating', ARGV[4], 'since', ARGV[5],
  'size', #members, 'members', table.concat(members, ','))
redis.call('PEXPIRE', tk, ARGV[7])
-- Oldest first, strictly: the arrival order breaks ties within a millisecond.
local seq = redis.call('INCR', mm .. ':seq') % 1000
redis.call('ZADD', mm .. ':queue:' .. ARGV[2], tonumber(ARGV[5]) * 1000 + seq, tid)
for _, m in ipairs(members) do
  local pk = P .. ':player:' .. m
  redis.call('HSET', pk, 'ticket', tid)
  if redis.call('TTL', pk) < 0 then redis.call('EXPIRE', pk, ARGV[8]) end
end
return {'queued', tid, members[1]}
