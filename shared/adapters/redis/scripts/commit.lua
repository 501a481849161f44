-- commitSpend: ARGV leaseId bidId amount now reclaimLimit
-- -> {'committed', amount} | {'duplicate', amount} | {'refused', reason}
-- Idempotent per bid id; a bid id voided by the resolve mode of expire.lua is refused ('voided'). Charged to the lease only if it is open and has room; a lease id from an
-- earlier epoch (state lost and re-initialised) is charged to this epoch's restart hold.
local lease_id = ARGV[1]
local bid_id = ARGV[2]
local amount = argint(3, 'amount')
local now = clock_now(argint(4, 'now'))
local limit = argint(5, 'reclaimLimit')

local s = load_state()
if not s then
  return { 'refused', 'uninitialised' }
end
local prev = redis.call('HGET', KEYS[4], bid_id)
if prev == 'void' then
  -- The reserving bidder let this reservation expire uncommitted (expire.lua, resolve mode).
  s.refused = s.refused + 1
  s.refusedAmount = s.refusedAmount + amount
  save_state(s)
  return { 'refused', 'voided' }
end
if prev then
  return { 'duplicate', prev }
end
reclaim(s, now, limit)

local target = lease_id
local l = get_lease(target)
local epoch = string.match(lease_id, '^([^.]*)%.')
local foreign = epoch ~= s.epoch
if not l and foreign then
  target = s.epoch .. '.hold'
  l = get_lease(target)
end

local function refuse(reason)
  s.refused = s.refused + 1
  s.refusedAmount = s.refusedAmount + amount
  save_state(s)
  return { 'refused', reason }
end

if not l then
  if foreign then
    return refuse('unknown_lease')
  end
  return refuse('lease_closed')
end
if l.committed + amount > l.amount then
  return refuse('over_lease')
end

l.committed = l.committed + amount
s.committed = s.committed + amount
save_state(s)
put_lease(target, l)
redis.call('HSET', KEYS[4], bid_id, fmt(amount))
touch_ttl(s)
return { 'committed', fmt(amount) }
