-- Reserves the program's next grant: one atomic step, timed by the store's own clock (TIME).
-- Works on Redis 6.2+ (Lua 5.1) and Garnet (Lua 5.4, --lua --lua-transaction-mode). Times are integer microseconds,
-- written with string.format('%d') so neither Lua version rounds them.
-- KEYS[1] grants (sorted set: member -> recorded time), KEYS[2] state (hash: tat, paused, factor, penalty),
-- KEYS[3] processes (sorted set: process id -> last use)
-- ARGV[1] calls per second (this process's configured limit)   ARGV[2] window in us (1 s + guard)
-- ARGV[3] cold delay in us (0 for a warm call)                 ARGV[4] member (unique name of this grant)
-- ARGV[5] process id    ARGV[6] longest reservation lead in us    ARGV[7] key lifetime in ms
-- ARGV[8] send window in us: the caller sends within it after the reserved time or gives the grant back, so the grant
--         is recorded at its latest possible send time (reserved + send window + cold delay)
-- Returns {granted 1|0, wait us, reserved time us, processes in the last minute, factor x 1000, program limit x 1000}
-- The program's limit is stored once (state field 'limit') and the lowest value any process asks for wins: a process
-- with a higher -RequestsPerSecond cannot raise it for the others. It lives as long as the program's keys do.
local asked = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cold = tonumber(ARGV[3])
local maxLead = tonumber(ARGV[6])
local ttl = tonumber(ARGV[7])
local sendWindow = tonumber(ARGV[8]) or 0

local tat, paused, factor, penalty = load_state(KEYS[2]) -- with the recovery after a 429 (state.lua)
local life = math.max(ttl, math.floor((paused - now) / 1000) + ttl)
local rate = tonumber(redis.call('HGET', KEYS[2], 'limit'))
if rate == nil or asked < rate then
  rate = asked
  redis.call('HSET', KEYS[2], 'limit', string.format('%.6f', rate))
end
redis.call('PEXPIRE', KEYS[2], fmt(life))
local size = math.max(1, math.floor(rate))

-- Pacing (GCRA at the effective rate, a small burst allowance at high rates, as the local gate).
local eff = rate * factor
local interval = math.floor(1000000 / eff)
local burst = math.max(1, math.floor(eff * 0.05))
local tolerance = math.max(interval * (burst - 1), math.min(16000, math.floor(interval / 2)))
local at = math.max(now, tat - tolerance, paused)

-- The window: at most `size` grants recorded after (at - window); recorded times are the latest moments the grants
-- can be sent, so no two sends `size` grants apart are ever closer than one window. Grants at or before now - window can no longer
-- share a window with any later grant. Reserved grants (recorded ahead of now) count too.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - window))
local n = redis.call('ZCARD', KEYS[1])
if n >= size then
  local e = redis.call('ZRANGE', KEYS[1], fmt(n - size), fmt(n - size), 'WITHSCORES')
  at = math.max(at, tonumber(e[2]) + window)
end

redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', fmt(now - 60000000))
redis.call('ZADD', KEYS[3], fmt(now), ARGV[5])
local processes = redis.call('ZCARD', KEYS[3])
redis.call('PEXPIRE', KEYS[3], fmt(life))

if at - now > maxLead then
  -- Too far ahead: reserve nothing, ask again later (a waiter never holds a slot for long).
  return {0, math.floor(at - now), 0, processes, math.floor(factor * 1000), math.floor(rate * 1000)}
end

redis.call('ZADD', KEYS[1], fmt(at + sendWindow + cold), ARGV[4])
tat = math.max(tat, at) + interval
save_state(KEYS[2], tat, paused, factor, penalty)
redis.call('PEXPIRE', KEYS[1], fmt(life))
redis.call('PEXPIRE', KEYS[2], fmt(life))
return {1, math.floor(at - now), math.floor(at), processes, math.floor(factor * 1000), math.floor(rate * 1000)}
