-- grantLease: ARGV bidderId want minAmount ttlMs graceMs releasedNow now reclaimLimit
-- -> {'granted', leaseId, amount, expiresAt, reclaimAt, state...} | {'exhausted', state...}
--    | {'uninitialised'} | {'day_closed', state...}
local bidder = ARGV[1]
local want = argint(2, 'want')
local min_amount = math.max(1, argint(3, 'minAmount'))
local ttl = argint(4, 'ttlMs')
local grace = argint(5, 'graceMs')
local released_now = argint(6, 'releasedNow')
local now = clock_now(argint(7, 'now'))
local limit = argint(8, 'reclaimLimit')
if string.find(bidder, '|', 1, true) then
  error('BUDGET_BADARG bidderId')
end

local s = load_state()
if not s then
  return { 'uninitialised' }
end
reclaim(s, now, limit)
if now >= s.dayEnd then
  local r = { 'day_closed' }
  for _, v in ipairs(state_reply(s)) do table.insert(r, v) end
  return r
end

local released = math.min(s.budget, math.max(s.released, released_now))
local amount = math.min(want, released - s.granted)
if amount <= 0 or amount < min_amount then
  if released ~= s.released then
    s.released = released
    save_state(s)
  end
  local r = { 'exhausted' }
  for _, v in ipairs(state_reply(s)) do table.insert(r, v) end
  return r
end

s.released = released
s.seq = s.seq + 1
s.granted = s.granted + amount
local id = s.epoch .. '.' .. fmt(s.seq)
local expires = math.min(now + ttl, s.dayEnd)
local reclaim_at = expires + grace
save_state(s)
put_lease(id, { amount = amount, committed = 0, expiresAt = expires, reclaimAt = reclaim_at, bidder = bidder })
redis.call('ZADD', KEYS[3], fmt(reclaim_at), id)
touch_ttl(s)
local r = { 'granted', id, fmt(amount), fmt(expires), fmt(reclaim_at) }
for _, v in ipairs(state_reply(s)) do table.insert(r, v) end
return r
