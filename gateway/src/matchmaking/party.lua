-- Parties, formed with every member's consent: a player creates one (and is its leader),
-- others join it with its code, anyone leaves (the leader's leaving disbands it).
-- ARGV: prefix, op, player, ttl s, then per op: create: code | join: code, max members.
-- KEYS are built from the prefix: <P>:mm:party:<code> (HASH leader, members "a,b,..") and
-- <P>:mm:party_of:<player> (the code).
-- Returns {'ok', code} | {'busy', code} (already in another party) | {'taken'} (code in use)
--       | {'none'} (no such party / in no party) | {'full'} | {'left', code} | {'disbanded', code}.
local P, op, player, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local function party_key(code) return P .. ':mm:party:' .. code end
local of_key = P .. ':mm:party_of:' .. player
local current = redis.call('GET', of_key)
if current and redis.call('EXISTS', party_key(current)) == 0 then
  redis.call('DEL', of_key)
  current = false
end
local function touch(code, members)
  redis.call('EXPIRE', party_key(code), ttl)
  for m in string.gmatch(members, '[^,]+') do
    redis.call('EXPIRE', P .. ':mm:party_of:' .. m, ttl)
  end
end

if op == 'create' then
  if current then return {'busy', current} end
  local code = ARGV[5]
  if redis.call('EXISTS', party_key(code)) == 1 then return {'taken'} end
  redis.call('HSET', party_key(code), 'leader', player, 'members', player)
  redis.call('SET', of_key, code, 'EX', ttl)
  touch(code, player)
  return {'ok', code}
elseif op == 'join' then
  local code = ARGV[5]
  if current == code then
    touch(code, redis.call('HGET', party_key(code), 'members'))
    return {'ok', code}
  end
  if current then return {'busy', current} end
  local members = redis.call('HGET', party_key(code), 'members')
  if not members then return {'none'} end
  local n = 0
  for _ in string.gmatch(members, '[^,]+') do n = n + 1 end
  if n >= tonumber(ARGV[6]) then return {'full'} end
  members = members .. ',' .. player
  redis.call('HSET', party_key(code), 'members', members)
  redis.call('SET', of_key, code, 'EX', ttl)
  touch(code, members)
  return {'ok', code}
elseif op == 'leave' then
  if not current then return {'none'} end
  local key = party_key(current)
  local h = redis.call('HMGET', key, 'leader', 'members')
  if h[1] == player then
    for m in string.gmatch(h[2], '[^,]+') do
      local k = P .. ':mm:party_of:' .. m
      if redis.call('GET', k) == current then redis.call('DEL', k) end
    end
    redis.call('DEL', key)
    return {'disbanded', current}
  end
  local kept = {}
  for m in string.gmatch(h[2], '[^,]+') do
    if m ~= player then kept[#kept + 1] = m end
  end
  redis.call('HSET', key, 'members', table.concat(kept, ','))
  redis.call('DEL', of_key)
  return {'left', current}
end
return redis.error_reply('unknown party op ' .. tostring(op))
