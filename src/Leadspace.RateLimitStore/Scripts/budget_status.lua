-- The budget of the current period; ARGV[3] above 0 records a process's budget (a connect: the lowest wins).
local b = load_budget()
local limit = tonumber(ARGV[3]) or 0
if limit > 0 then
  ask(b, limit)
  save_budget(b)
end
return answer(b, 1)
