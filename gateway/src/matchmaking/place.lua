-- One placement step for one mode: the whole decision, atomically.
--
-- ARGV: prefix, mode, now ms, min, max, region relax ms, rating window, rating widen
--       per second, tickets scanned, fill window ms, presence ttl s, room key ttl s,
--       then the ids of the rooms new groups may take (already confirmed by PostgreSQL as
--       rooms of this mode: the gateway took them out of the pool; see mod.rs).
-- Returns {pool length, rooms wanted (0, or at least 1 when the given ids ran out), then
--          per room: room, new (1|0), comma-separated players placed in it by this step}.
--
-- Tickets are taken oldest first (queue score: enqueue ms * 1000 + arrival sequence). A ticket's rating window is
-- `window + widen * seconds waited`; its region preference relaxes after `relax` ms
-- (region 'any' never constrains). A ticket that fits nowhere is skipped, never blocks.
-- A: each ticket goes to the fullest compatible open room with enough free seats.
-- B: the rest are grouped, each group anchored on its oldest ticket and filled with
--    compatible tickets in age order up to `max`; a group of at least `min` players
--    takes one of the given room ids, otherwise its tickets keep waiting.
-- Compatible: every non-relaxed member wants the room's region, and the spread of
-- ratings is within every member's window. A party is one ticket: all or nothing.
local P, mode = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])
local minp, maxp = tonumber(ARGV[4]), tonumber(ARGV[5])
local relax = tonumber(ARGV[6])
local rbase, rgrow = tonumber(ARGV[7]), tonumber(ARGV[8])
local scan, fill = tonumber(ARGV[9]), tonumber(ARGV[10])
local presence_ttl, room_ttl = tonumber(ARGV[11]), tonumber(ARGV[12])
local FIRST_ROOM = 13
local next_room = FIRST_ROOM
local mm = P .. ':mm'
local qk = mm .. ':queue:' .. mode
local ok = mm .. ':open:' .. mode
local pool = mm .. ':pool:' .. mode

local tickets = {}
for _, id in ipairs(redis.call('ZRANGE', qk, 0, scan - 1)) do
  local h = redis.call('HMGET', mm .. ':ticket:' .. id, 'region', 'rating', 'since', 'size', 'members')
  if not h[1] then
    redis.call('ZREM', qk, id) -- expired
  else
    local since = tonumber(h[3])
    local waited = math.max(0, now - since)
    tickets[#tickets + 1] = {
      id = id, region = h[1], rating = tonumber(h[2]), size = tonumber(h[4]), members = h[5],
      relaxed = (h[1] == 'any') or (waited >= relax),
      window = rbase + rgrow * waited / 1000,
    }
  end
end
if #tickets == 0 then return {redis.call('LLEN', pool), 0} end

local out = {0, 0}
local function commit(room, t)
  redis.call('ZREM', qk, t.id)
  redis.call('DEL', mm .. ':ticket:' .. t.id)
  local rp = P .. ':room:' .. room .. ':players'
  for m in string.gmatch(t.members, '[^,]+') do
    local pk = P .. ':player:' .. m
    redis.call('HSET', pk, 'room', room)
    redis.call('HDEL', pk, 'ticket')
    if redis.call('TTL', pk) < 0 then redis.call('EXPIRE', pk, presence_ttl) end
    redis.call('SADD', rp, m)
  end
  redis.call('EXPIRE', rp, room_ttl)
end

-- A: open rooms, fullest first.
local open = {}
for _, r in ipairs(redis.call('ZREVRANGE', ok, 0, 199)) do
  local h = redis.call('HMGET', mm .. ':room:' .. r, 'region', 'lo', 'hi', 'count', 'max', 'until')
  if not h[1] or tonumber(h[6]) <= now or tonumber(h[4]) >= tonumber(h[5]) then
    redis.call('ZREM', ok, r)
  else
    open[#open + 1] = { id = r, region = h[1], lo = tonumber(h[2]), hi = tonumber(h[3]),
      count = tonumber(h[4]), max = tonumber(h[5]), placed = {} }
  end
end
local rest = {}
for _, t in ipairs(tickets) do
  local best = nil
  for _, r in ipairs(open) do
    if r.count + t.size <= r.max
      and (best == nil or r.count > best.count)
      and (t.relaxed or r.region == t.region or r.region == 'any')
      and math.max(r.hi, t.rating) - math.min(r.lo, t.rating) <= t.window then
      best = r
    end
  end
  if best then
    best.count = best.count + t.size
    best.lo, best.hi = math.min(best.lo, t.rating), math.max(best.hi, t.rating)
    commit(best.id, t)
    best.placed[#best.placed + 1] = t.members
  else
    rest[#rest + 1] = t
  end
end
for _, r in ipairs(open) do
  if #r.placed > 0 then
    redis.call('HSET', mm .. ':room:' .. r.id, 'count', r.count, 'lo', r.lo, 'hi', r.hi)
    if r.count >= r.max then redis.call('ZREM', ok, r.id) else redis.call('ZADD', ok, r.count, r.id) end
    out[#out + 1] = r.id
    out[#out + 1] = 0
    out[#out + 1] = table.concat(r.placed, ',')
  end
end

-- B: new rooms from the tickets left, each anchored on its oldest ticket.
local used = {}
for i, a in ipairs(rest) do
  if not used[i] then
    local group, size = { i }, a.size
    local lo, hi, win = a.rating, a.rating, a.window
    local region = nil
    if not a.relaxed then region = a.region end
    for j = i + 1, #rest do
      if size >= maxp then break end
      local c = rest[j]
      if not used[j] and size + c.size <= maxp and (c.relaxed or region == nil or region == c.region) then
        local nlo, nhi = math.min(lo, c.rating), math.max(hi, c.rating)
        local w = math.min(win, c.window)
        if nhi - nlo <= w then
          group[#group + 1] = j
          size, lo, hi, win = size + c.size, nlo, nhi, w
          if region == nil and not c.relaxed then region = c.region end
        end
      end
    end
    if size >= minp then
      local room = ARGV[next_room]
      if not room then
        -- Out of rooms: say how many the tickets left could use at most.
        local left = 0
        for j = i, #rest do
          if not used[j] then left = left + rest[j].size end
        end
        out[2] = math.max(1, math.floor(left / minp))
        break
      end
      next_room = next_room + 1
      local placed = {}
      for _, j in ipairs(group) do
        used[j] = true
        commit(room, rest[j])
        placed[#placed + 1] = rest[j].members
      end
      local rk = mm .. ':room:' .. room
      redis.call('HSET', rk, 'mode', mode, 'region', region or a.region, 'lo', lo, 'hi', hi,
        'count', size, 'max', maxp, 'until', now + fill, 'created', now)
      redis.call('EXPIRE', rk, room_ttl)
      if size < maxp then redis.call('ZADD', ok, size, room) end
      redis.call('SADD', P .. ':rooms:unowned', room)
      out[#out + 1] = room
      out[#out + 1] = 1
      out[#out + 1] = table.concat(placed, ',')
    end
  end
end
out[1] = redis.call('LLEN', pool)
return out
