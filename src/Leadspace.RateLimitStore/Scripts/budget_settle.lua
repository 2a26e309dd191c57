-- Ends a reservation, once: charged (1) spends its credit in the period it was reserved in, not charged (0) gives it
-- back. A reservation already settled, or older than the previous period, changes nothing.
-- ARGV[3] the reservation's unique name   ARGV[4] 1 charged (or ambiguous), 0 not charged
local b = load_budget()
local field = 'r:' .. ARGV[3]
local at = tonumber(redis.call('HGET', KEYS[1], field))
local settled = 0
if at ~= nil then
  redis.call('HDEL', KEYS[1], field)
  local charged = ARGV[4] == '1'
  if at == b.p then
    b.reserved = math.max(0, b.reserved - 1)
    if charged then b.spent = b.spent + 1 end
    settled = 1
  elseif at == b.pp then
    b.preserved = math.max(0, b.preserved - 1)
    if charged then b.pspent = b.pspent + 1 end
    settled = 1
  end
end
if settled == 1 or b.rolled then save_budget(b) end
return answer(b, settled)
