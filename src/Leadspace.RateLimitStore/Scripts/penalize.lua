-- A 429 was seen by one process: every process slows down. One atomic step on the store's clock.
-- KEYS[1] state (hash: tat, paused, factor, penalty)
-- ARGV[1] Retry-After in us (0 = none)   ARGV[2] longest pause in us   ARGV[3] key lifetime in ms
-- Returns {factor x 1000, pause left in us, store time us}
local retry = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local tat, paused, factor, penalty = load_state(KEYS[1])
-- One penalty per half second: a burst of 429s from calls already in flight (in any process) is one signal.
if penalty == 0 or now - penalty > 500000 then
  factor = math.max(0.25, factor * 0.7)
  penalty = now
end
if retry > 0 then
  paused = math.max(paused, now + math.min(retry, cap))
end
save_state(KEYS[1], tat, paused, factor, penalty)
redis.call('PEXPIRE', KEYS[1], fmt(math.max(ttl, math.floor((paused - now) / 1000) + ttl)))
return {math.floor(factor * 1000), math.floor(math.max(0, paused - now)), math.floor(now)}
