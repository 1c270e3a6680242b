-- wrk script for bench/soak.sh: the reports of bench/intake.lua, paced. Each connection waits
-- SZ_DELAY_MS after each answer, so N connections send about N × 1000 / (delay + latency)
-- reports a second; the script prints what was reached.
local points = dofile(os.getenv("SZ_POINTS"))
local token = os.getenv("SZ_TOKEN")
local pause = tonumber(os.getenv("SZ_DELAY_MS"))
local categories = { "03", "0201", "0402", "0403", "0501" }
local n = 0

request = function()
  n = n + 1
  local p = points[math.random(#points)]
  local body = string.format(
    '{"category":"%s","title":"长稳上报 %d","description":"长时间运行测试：小区门口垃圾满溢，已两天未清运","lon":%.7f,"lat":%.7f}',
    categories[math.random(#categories)], n, p[1], p[2])
  return wrk.format("POST", "/api/v1/cases", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

delay = function()
  return pause
end
