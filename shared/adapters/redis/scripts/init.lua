-- initCampaignDay: ARGV budget committed outstanding holdUntil dayEnd keyExpireAt epoch
-- -> {'initialised', state...} | {'exists', state...}
-- Never overwrites existing state. With outstanding > 0 (re-initialisation after the state was
-- lost) it opens the restart hold: a lease '<epoch>.hold' that counts `outstanding` as granted until
-- holdUntil and takes commits for leases of earlier epochs.
local budget = argint(1, 'budget')
local committed = argint(2, 'committed')
local outstanding = argint(3, 'outstanding')
local hold_until = argint(4, 'holdUntil')
local day_end = argint(5, 'dayEnd')
local key_expire_at = argint(6, 'keyExpireAt')
local epoch = ARGV[7]
if not string.match(epoch, '^[%w]+$') then
  error('BUDGET_BADARG epoch')
end

local existing = load_state()
if existing then
  local r = { 'exists' }
  for _, v in ipairs(state_reply(existing)) do table.insert(r, v) end
  return r
end

committed = math.min(committed, budget)
outstanding = math.min(outstanding, budget - committed)
local s = {
  budget = budget, released = committed + outstanding, granted = committed + outstanding, committed = committed,
  epoch = epoch, seq = 0, dayEnd = day_end, refused = 0, refusedAmount = 0, keyExpireAt = key_expire_at,
}
check(s)
redis.call('HSET', KEYS[1], 'budget', fmt(budget), 'epoch', epoch, 'dayEnd', fmt(day_end), 'keyExpireAt',
  fmt(key_expire_at))
save_state(s)
redis.call('PEXPIREAT', KEYS[1], fmt(key_expire_at))
if outstanding > 0 then
  local id = epoch .. '.hold'
  put_lease(id, { amount = outstanding, committed = 0, expiresAt = hold_until, reclaimAt = hold_until,
    bidder = 'restart-hold' })
  redis.call('ZADD', KEYS[3], fmt(hold_until), id)
  touch_ttl(s)
end
local r = { 'initialised' }
for _, v in ipairs(state_reply(s)) do table.insert(r, v) end
return r
