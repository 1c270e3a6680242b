-- wrk script for bench/intake.sh: each request is a full staff report with a location, so the
-- server locates the grid, files the case with its timeline, search terms and outbox row, and
-- commits durably before answering. Points come from bench/intake-points.lua (generated).
-- With SZ_DELAY_MS (bench/soak.sh) each connection waits that long after each answer, so N
-- connections send about N × 1000 / (delay + latency) reports a second.
local points = dofile(os.getenv("SZ_POINTS"))
local token = os.getenv("SZ_TOKEN")
local categories = { "03", "0201", "0402", "0403", "0501" }
local n = 0

request = function()
  n = n + 1
  local p = points[math.random(#points)]
  local body = string.format(
    '{"category":"%s","title":"压测上报 %d","description":"压力测试：小区门口垃圾满溢，已两天未清运","lon":%.7f,"lat":%.7f}',
    categories[math.random(#categories)], n, p[1], p[2])
  return wrk.format("POST", "/api/v1/cases", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

local pause = tonumber(os.getenv("SZ_DELAY_MS") or "")
if pause then
  delay = function()
    return pause
  end
end

local bad = 0
response = function(status, headers, body)
  if status ~= 201 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
  end
end
