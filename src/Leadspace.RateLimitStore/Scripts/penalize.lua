-- A 429 was seen by one process: every process slows down. One atomic step on the store's clock.
-- KEYS[1] state (hash: tat, paused, factor, penalty)
-- ARGV[1] Retry-After in us (0 = none)   ARGV[2] longest pause in us   ARGV[3] key lifetime in ms
-- Returns {factor x 1000, pause left in us, store time us}
if redis.replicate_commands then pcall(redis.replicate_commands) end
local function fmt(x) return string.format('%d', math.floor(x)) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local retry = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local st = redis.call('HMGET', KEYS[1], 'tat', 'paused', 'factor', 'penalty')
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
-- One penalty per half second: a burst of 429s from calls already in flight (in any process) is one signal.
if penalty == 0 or now - penalty > 500000 then
  factor = math.max(0.25, factor * 0.7)
  penalty = now
end
if retry > 0 then
  paused = math.max(paused, now + math.min(retry, cap))
end
redis.call('HSET', KEYS[1], 'tat', fmt(tat), 'paused', fmt(paused), 'factor', string.format('%.4f', factor), 'penalty', fmt(penalty))
redis.call('PEXPIRE', KEYS[1], fmt(math.max(ttl, math.floor((paused - now) / 1000) + ttl)))
return {math.floor(factor * 1000), math.floor(math.max(0, paused - now)), math.floor(now)}
