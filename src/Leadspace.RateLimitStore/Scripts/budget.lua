-- The program's credit budget (prepended, after state.lua, to budget_*.lua): the current period computed from the
-- store's clock (TIME), and the program's record for one kind of period.
-- KEYS[1] the record (hash): p (current period start, s), limit, spent, reserved, asked (lowest asked this period),
--         pp, pspent, preserved (the previous period, for late settlements), and one field r:<reservation> = the start of
--         the period of each reservation not yet settled. One key per program and kind of period, declared in KEYS, so a
--         script touches only declared keys (Garnet's transaction mode locks them; Redis Cluster keeps them on one slot).
-- ARGV[1] day | week | month (UTC calendar periods), or s<n> for periods of n seconds (tests only)
-- ARGV[2] seconds added to the store's clock (tests only; 0)
local kind = ARGV[1]
local secs = math.floor(now / 1000000) + (tonumber(ARGV[2]) or 0)

-- Days since 1970-01-01 <-> proleptic Gregorian dates (H. Hinnant's algorithms), integer arithmetic only.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

-- [start, end) of the period holding `secs`: a day from 00:00 UTC, an ISO week from Monday 00:00 UTC (1970-01-01 was a
-- Thursday), a calendar month from the 1st 00:00 UTC.
local function bounds()
  local day = math.floor(secs / 86400)
  if kind == 'day' then return day * 86400, (day + 1) * 86400 end
  if kind == 'week' then
    local monday = day - ((day + 3) % 7)
    return monday * 86400, (monday + 7) * 86400
  end
  if kind == 'month' then
    local y, m = civil_from_days(day)
    local ny, nm = y, m + 1
    if nm > 12 then ny, nm = y + 1, 1 end
    return days_from_civil(y, m, 1) * 86400, days_from_civil(ny, nm, 1) * 86400
  end
  local len = tonumber(string.sub(kind, 2))
  if len == nil or len < 1 then error('unknown budget period ' .. tostring(kind)) end
  local s = math.floor(secs / len) * len
  return s, s + len
end

local pstart, pend = bounds()

-- The record as of now: a new period starts from nothing spent or reserved, its limit the lowest asked for in the last
-- period used (so a lower budget holds over the rollover until every process asks for more); the period before
-- becomes the previous one (its reservations still settle there).
local function load_budget()
  local r = redis.call('HMGET', KEYS[1], 'p', 'limit', 'spent', 'reserved', 'asked', 'pp', 'pspent', 'preserved')
  local b = {
    p = tonumber(r[1]), limit = tonumber(r[2]), spent = tonumber(r[3]) or 0, reserved = tonumber(r[4]) or 0,
    asked = tonumber(r[5]), pp = tonumber(r[6]) or 0, pspent = tonumber(r[7]) or 0, preserved = tonumber(r[8]) or 0,
  }
  if b.p ~= pstart then
    if b.p ~= nil then
      -- Reservations older than the period that becomes the previous one can no longer settle anywhere (their process
      -- stopped while calling): forget them, so the record keeps only reservations that may still settle.
      for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
        if string.sub(f, 1, 2) == 'r:' and tonumber(redis.call('HGET', KEYS[1], f)) ~= b.p then redis.call('HDEL', KEYS[1], f) end
      end
      b.pp, b.pspent, b.preserved = b.p, b.spent, b.reserved
    end
    b.p, b.spent, b.reserved = pstart, 0, 0
    b.limit = b.asked
    b.asked = nil
    b.rolled = true
  end
  b.before = b.limit or -1
  return b
end

-- A process's budget: the lowest wins, for this period and the next.
local function ask(b, limit)
  if limit == nil or limit < 0 then return end -- below 0: only reading
  if b.limit == nil or limit < b.limit then b.limit = limit end
  if b.asked == nil or limit < b.asked then b.asked = limit end
end

-- Written back; the record expires one period length after the current period ends (late settlements of the previous
-- period, and the carried limit, need it until then).
local function save_budget(b)
  redis.call('HSET', KEYS[1], 'p', fmt(b.p), 'spent', fmt(b.spent), 'reserved', fmt(b.reserved),
    'pp', fmt(b.pp), 'pspent', fmt(b.pspent), 'preserved', fmt(b.preserved))
  -- A budget of 0 is a budget (nothing may be spent); none asked for yet is no field.
  if b.limit == nil then redis.call('HDEL', KEYS[1], 'limit') else redis.call('HSET', KEYS[1], 'limit', fmt(b.limit)) end
  if b.asked == nil then redis.call('HDEL', KEYS[1], 'asked') else redis.call('HSET', KEYS[1], 'asked', fmt(b.asked)) end
  redis.call('PEXPIRE', KEYS[1], fmt((pend - secs + (pend - pstart)) * 1000))
end

-- {granted/settled 1|0, period start, period end, limit (-1 = none asked for yet), spent, reserved, limit before (-1 = none)}
local function answer(b, flag)
  return {flag, pstart, pend, b.limit or -1, b.spent, b.reserved, b.before}
end
