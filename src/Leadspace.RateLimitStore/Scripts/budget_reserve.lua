-- Reserves one credit of the current period: one atomic step on the store's clock.
-- ARGV[3] this process's budget (the lowest asked for wins)   ARGV[4] the reservation's unique name
local b = load_budget()
ask(b, tonumber(ARGV[3]))
local granted = 0
if b.limit ~= nil and b.spent + b.reserved < b.limit then
  b.reserved = b.reserved + 1
  redis.call('HSET', KEYS[1], 'r:' .. ARGV[4], fmt(b.p))
  granted = 1
end
save_budget(b)
return answer(b, granted)
