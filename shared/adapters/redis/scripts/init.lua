-- initCampaignDay: ARGV budget committed outstanding holdUntil dayEnd keyExpireAt epoch budgetVersion
-- -> {'initialised', state...} | {'exists', state...}
-- Never overwrites existing state. With outstanding > 0 (re-initialisation after the state was
-- lost) it opens the restart hold: a lease '<epoch>.hold' that counts `outstanding` as granted until
-- holdUntil and takes commits for leases of earlier epochs. A committed above the budget (lowered
-- below the spend already made) is the budget in force.
--
-- amend mode (amendBudget), ARGV 'amend' budget budgetVersion now reclaimLimit
-- -> {'amended', previousBudget, withdrawn, state...} | {'unchanged', state...} | {'stale', state...}
--    | {'uninitialised'}
-- Sets the daily budget of an existing campaign-day (it lives here, next to the only other writer of
-- `budget`). The budget in force is max(budget, committed): spend cannot be undone. Lowered below
-- `granted`, open leases give back uncommitted room (the restart hold first, then the newest leases)
-- until granted fits; commits beyond a shrunk lease are then refused by commit.lua ('over_lease').
-- An amendment older than the stored budgetVersion changes nothing ('stale').

local function with_state(status, s, ...)
  local r = { status, ... }
  for _, v in ipairs(state_reply(s)) do table.insert(r, v) end
  return r
end

local function initialise()
  local budget = argint(1, 'budget')
  local committed = argint(2, 'committed')
  local outstanding = argint(3, 'outstanding')
  local hold_until = argint(4, 'holdUntil')
  local day_end = argint(5, 'dayEnd')
  local key_expire_at = argint(6, 'keyExpireAt')
  local epoch = ARGV[7]
  local version = argint(8, 'budgetVersion')
  if not string.match(epoch, '^[%w]+$') then
    error('BUDGET_BADARG epoch')
  end

  local existing = load_state()
  if existing then
    return with_state('exists', existing)
  end

  budget = math.max(budget, committed)
  outstanding = math.min(outstanding, budget - committed)
  local s = {
    budget = budget, released = committed + outstanding, granted = committed + outstanding, committed = committed,
    epoch = epoch, seq = 0, dayEnd = day_end, refused = 0, refusedAmount = 0, keyExpireAt = key_expire_at,
    budgetVersion = version,
  }
  check(s)
  redis.call('HSET', KEYS[1], 'budget', fmt(budget), 'epoch', epoch, 'dayEnd', fmt(day_end), 'keyExpireAt',
    fmt(key_expire_at), 'budgetVersion', fmt(version))
  save_state(s)
  redis.call('PEXPIREAT', KEYS[1], fmt(key_expire_at))
  if outstanding > 0 then
    local id = epoch .. '.hold'
    put_lease(id, { amount = outstanding, committed = 0, expiresAt = hold_until, reclaimAt = hold_until,
      bidder = 'restart-hold' })
    redis.call('ZADD', KEYS[3], fmt(hold_until), id)
    touch_ttl(s)
  end
  return with_state('initialised', s)
end

-- Which open leases give back how much uncommitted room, `excess` in all: the restart hold first (it
-- covers leases of a lost state, mostly never billed), then the newest (ZREVRANGE: latest reclaimAt
-- first), which have had the least time to be reserved against. Nothing is written here.
local function plan_withdrawal(s, excess)
  local hold = s.epoch .. '.hold'
  local ids = { hold }
  for _, id in ipairs(redis.call('ZREVRANGE', KEYS[3], 0, -1)) do
    if id ~= hold then
      table.insert(ids, id)
    end
  end
  local cuts, taken = {}, 0
  for _, id in ipairs(ids) do
    if taken >= excess then
      break
    end
    local l = get_lease(id)
    if l then
      local take = math.min(l.amount - l.committed, excess - taken)
      if take > 0 then
        l.amount = l.amount - take
        taken = taken + take
        table.insert(cuts, { id = id, lease = l })
      end
    end
  end
  return taken, cuts
end

local function amend()
  local requested = argint(2, 'budget')
  local version = argint(3, 'budgetVersion')
  local now = clock_now(argint(4, 'now'))
  local limit = argint(5, 'reclaimLimit')
  local s = load_state()
  if not s then
    return { 'uninitialised' }
  end
  if version < s.budgetVersion then
    return with_state('stale', s)
  end
  reclaim(s, now, limit)
  local previous = s.budget
  local in_force = math.max(requested, s.committed)
  s.budgetVersion = version
  if in_force == previous then
    redis.call('HSET', KEYS[1], 'budgetVersion', fmt(version))
    return with_state('unchanged', s)
  end
  local withdrawn, cuts = plan_withdrawal(s, math.max(0, s.granted - in_force))
  s.budget = in_force
  s.granted = s.granted - withdrawn
  s.released = math.min(s.released, in_force)
  save_state(s)
  redis.call('HSET', KEYS[1], 'budget', fmt(s.budget), 'budgetVersion', fmt(version))
  for _, cut in ipairs(cuts) do
    put_lease(cut.id, cut.lease)
  end
  return with_state('amended', s, fmt(previous), fmt(withdrawn))
end

if ARGV[1] == 'amend' then
  return amend()
end
return initialise()
