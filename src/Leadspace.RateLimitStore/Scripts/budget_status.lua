-- The budget of the current period; ARGV[3] of 0 or more records a process's budget (a connect: the lowest wins),
-- below 0 only reads.
local b = load_budget()
local limit = tonumber(ARGV[3]) or -1
if limit >= 0 then
  ask(b, limit)
  save_budget(b)
end
return answer(b, 1)
