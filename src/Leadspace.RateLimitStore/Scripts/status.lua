-- The program's state, read only, on the store's clock.
-- KEYS[1] grants, KEYS[2] state, KEYS[3] processes   ARGV[1] window in us
-- Returns {grants in the last window (reservations ahead included), processes in the last minute, factor x 1000, pause left in us,
--          the program's stored limit x 1000 (0 = none stored yet)}
local window = tonumber(ARGV[1])
local grants = redis.call('ZCOUNT', KEYS[1], string.format('(%d', math.floor(now - window)), '+inf')
local processes = redis.call('ZCOUNT', KEYS[3], string.format('(%d', math.floor(now - 60000000)), '+inf')
local _, paused, factor = load_state(KEYS[2]) -- the factor as recovered now (state.lua); nothing is written
local limit = tonumber(redis.call('HGET', KEYS[2], 'limit')) or 0
return {grants, processes, math.floor(factor * 1000), math.floor(math.max(0, paused - now)), math.floor(limit * 1000)}
