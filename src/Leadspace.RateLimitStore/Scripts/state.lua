-- Shared by every script (prepended to each when it is loaded): the store's clock and the program's state.
-- The state (hash: tat, paused, factor, penalty): after a 429 the rate recovers by 10 % of the limit per second,
-- starting one second after it (the fleet's own steps: a 429 here is any process's, so they are larger than the local
-- gate's twentieth and half millisecond, see RateGate.cs).
if redis.replicate_commands then pcall(redis.replicate_commands) end
local function fmt(x) return string.format('%d', math.floor(x)) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local function load_state(key)
  local st = redis.call('HMGET', key, 'tat', 'paused', 'factor', 'penalty')
  local tat = tonumber(st[1]) or 0
  local paused = tonumber(st[2]) or 0
  local factor = tonumber(st[3]) or 1
  local penalty = tonumber(st[4]) or 0
  if factor < 1 and penalty > 0 then
    local since = (now - penalty) / 1000000 - 1
    if since > 0 then
      factor = math.min(1, factor + 0.1 * since)
      penalty = now - 1000000
      if factor >= 1 then penalty = 0 end
    end
  end
  return tat, paused, factor, penalty
end

local function save_state(key, tat, paused, factor, penalty)
  redis.call('HSET', key, 'tat', fmt(tat), 'paused', fmt(paused), 'factor', string.format('%.4f', factor), 'penalty', fmt(penalty))
end
