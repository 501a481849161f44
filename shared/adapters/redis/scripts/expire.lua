-- expireLeases: ARGV now reclaimLimit -> {'expired', leases, reclaimed}
local now = argint(1, 'now')
local limit = argint(2, 'reclaimLimit')
local s = load_state()
if not s then
  return { 'expired', 0, '0' }
end
local count, amount = reclaim(s, now, limit)
return { 'expired', count, fmt(amount) }
