-- The program's state, read only, on the store's clock.
-- KEYS[1] grants, KEYS[2] state, KEYS[3] processes   ARGV[1] window in us
-- Returns {grants in the last window (reservations ahead included), processes in the last minute, factor x 1000, pause left in us}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local grants = redis.call('ZCOUNT', KEYS[1], string.format('(%d', math.floor(now - window)), '+inf')
local processes = redis.call('ZCOUNT', KEYS[3], string.format('(%d', math.floor(now - 60000000)), '+inf')
local st = redis.call('HMGET', KEYS[2], 'paused', 'factor', 'penalty')
local paused = tonumber(st[1]) or 0
local factor = tonumber(st[2]) or 1
local penalty = tonumber(st[3]) or 0
if factor < 1 and penalty > 0 then
  local since = (now - penalty) / 1000000 - 1
  if since > 0 then factor = math.min(1, factor + 0.1 * since) end
end
return {grants, processes, math.floor(factor * 1000), math.floor(math.max(0, paused - now))}
