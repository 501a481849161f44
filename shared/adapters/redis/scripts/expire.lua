-- expireLeases: ARGV now reclaimLimit -> {'expired', leases, reclaimed}
-- resolve mode, ARGV now reclaimLimit bidId... -> {'resolved', v...} | {'uninitialised'}
--   For each bid id (reservations whose TTL passed on the bidder that made them): its committed
--   amount if some task committed it, else 'void' -- and it is voided now, so a later commit of that
--   bid id is refused. Atomic, so a bid is either committed or handed out again, never both.
local now = clock_now(argint(1, 'now'))
local limit = argint(2, 'reclaimLimit')
local resolve = #ARGV > 2
local s = load_state()
if not s then
  if resolve then
    return { 'uninitialised' }
  end
  return { 'expired', 0, '0' }
end
local count, amount = reclaim(s, now, limit)
if not resolve then
  return { 'expired', count, fmt(amount) }
end
local r = { 'resolved' }
local voided = false
for i = 3, #ARGV do
  local prev = redis.call('HGET', KEYS[4], ARGV[i])
  if not prev then
    redis.call('HSET', KEYS[4], ARGV[i], 'void')
    voided = true
    prev = 'void'
  end
  table.insert(r, prev)
end
if voided then
  touch_ttl(s)
end
return r
