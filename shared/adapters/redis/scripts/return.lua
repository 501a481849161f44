-- returnLease: ARGV leaseId keep now -> {'returned', returned, amount} | {'unknown'}
-- Shrinks the lease to max(committed, min(amount, keep)): idempotent (a retry shrinks to the same
-- size). A lease that is past its expiry and fully committed is closed at once.
local lease_id = ARGV[1]
local keep = argint(2, 'keep')
local now = clock_now(argint(3, 'now'))

local s = load_state()
if not s then
  return { 'unknown' }
end
local l = get_lease(lease_id)
if not l then
  return { 'unknown' }
end
local next_amount = math.max(l.committed, math.min(l.amount, keep))
local returned = l.amount - next_amount
if returned > 0 then
  s.granted = s.granted - returned
  l.amount = next_amount
  save_state(s)
end
if l.amount == l.committed and now >= l.expiresAt then
  delete_lease(lease_id)
elseif returned > 0 then
  put_lease(lease_id, l)
end
return { 'returned', fmt(returned), fmt(l.amount) }
