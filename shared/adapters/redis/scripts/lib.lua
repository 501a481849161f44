-- Shared prelude, prepended to every budget script by redis-allocator.ts.
-- KEYS[1] state hash   budget:{<campaignId>/<day>}         budget released granted committed epoch seq dayEnd refused refusedAmount keyExpireAt budgetVersion
-- KEYS[2] lease hash   budget:{<campaignId>/<day>}:leases  leaseId -> "amount|committed|expiresAt|reclaimAt|bidderId"
-- KEYS[3] reclaim zset budget:{<campaignId>/<day>}:reclaim leaseId scored by reclaimAt
-- KEYS[4] bid hash     budget:{<campaignId>/<day>}:bids    bidId -> committed amount (commit idempotency)
-- Amounts are integer nanos < 2^53. Lua numbers are doubles, exact in that range; they are written
-- back with string.format('%d') because Redis 7.0 may render a Lua number like 1e9 as "1e9".
-- Every script computes its new values, checks the invariant, and only then writes (a Lua error
-- does not roll back writes already made).

local MAX_SAFE = 9007199254740991

local function fmt(n)
  return string.format('%d', n)
end

local function argint(i, name)
  local v = tonumber(ARGV[i])
  if v == nil or v ~= math.floor(v) or v < 0 or v > MAX_SAFE then
    error('BUDGET_BADARG ' .. name .. '=' .. tostring(ARGV[i]))
  end
  return v
end

-- The allocator's clock: the Redis server's. A caller's `now` is used only when it is earlier: a task
-- whose clock runs fast must never reclaim leases that are still live, or close a day early. An
-- earlier caller clock only delays reclaims and shortens the caller's own new leases (tests replay
-- past days this way).
local function clock_now(caller_now)
  local t = redis.call('TIME')
  local server_now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  return math.min(caller_now, server_now)
end

local function load_state()
  local v = redis.call('HMGET', KEYS[1], 'budget', 'released', 'granted', 'committed', 'epoch', 'seq', 'dayEnd',
    'refused', 'refusedAmount', 'keyExpireAt', 'budgetVersion')
  if not v[1] then
    return nil
  end
  return {
    budget = tonumber(v[1]), released = tonumber(v[2]), granted = tonumber(v[3]), committed = tonumber(v[4]),
    epoch = v[5], seq = tonumber(v[6]), dayEnd = tonumber(v[7]), refused = tonumber(v[8]),
    refusedAmount = tonumber(v[9]), keyExpireAt = tonumber(v[10]), budgetVersion = tonumber(v[11]) or 0,
  }
end

local function check(s)
  if not (0 <= s.committed and s.committed <= s.granted and s.granted <= s.released and s.released <= s.budget) then
    error('BUDGET_INVARIANT committed=' .. fmt(s.committed) .. ' granted=' .. fmt(s.granted) .. ' released='
      .. fmt(s.released) .. ' budget=' .. fmt(s.budget))
  end
end

local function save_state(s)
  check(s)
  redis.call('HSET', KEYS[1], 'released', fmt(s.released), 'granted', fmt(s.granted), 'committed', fmt(s.committed),
    'seq', fmt(s.seq), 'refused', fmt(s.refused), 'refusedAmount', fmt(s.refusedAmount))
end

local function touch_ttl(s)
  for i = 2, 4 do
    redis.call('PEXPIREAT', KEYS[i], fmt(s.keyExpireAt))
  end
end

local function get_lease(id)
  local raw = redis.call('HGET', KEYS[2], id)
  if not raw then
    return nil
  end
  local a, c, e, r, b = string.match(raw, '^(%d+)|(%d+)|(%d+)|(%d+)|(.*)$')
  return { amount = tonumber(a), committed = tonumber(c), expiresAt = tonumber(e), reclaimAt = tonumber(r), bidder = b }
end

local function put_lease(id, l)
  redis.call('HSET', KEYS[2], id,
    fmt(l.amount) .. '|' .. fmt(l.committed) .. '|' .. fmt(l.expiresAt) .. '|' .. fmt(l.reclaimAt) .. '|' .. l.bidder)
end

local function delete_lease(id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end

-- Reclaims up to `limit` leases whose reclaimAt <= now: their uncommitted part leaves `granted`.
-- Each step keeps the invariant on its own (granted drops by amount - committed >= 0 of a lease
-- whose committed is inside `committed`), so it is applied immediately. Returns count, amount.
local function reclaim(s, now, limit)
  local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', fmt(now), 'LIMIT', 0, limit)
  local count, amount = 0, 0
  for _, id in ipairs(ids) do
    local l = get_lease(id)
    if l then
      local free = l.amount - l.committed
      s.granted = s.granted - free
      amount = amount + free
      count = count + 1
    end
    delete_lease(id)
  end
  if count > 0 then
    save_state(s)
  end
  return count, amount
end

local function state_reply(s)
  return { fmt(s.budget), fmt(s.released), fmt(s.granted), fmt(s.committed), s.epoch, fmt(s.refused),
    fmt(s.refusedAmount), fmt(redis.call('HLEN', KEYS[2])), fmt(s.budgetVersion) }
end
