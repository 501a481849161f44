-- state: no ARGV -> {'state', state...} | {'missing'}
local s = load_state()
if not s then
  return { 'missing' }
end
local r = { 'state' }
for _, v in ipairs(state_reply(s)) do table.insert(r, v) end
return r
