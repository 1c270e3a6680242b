-- wrk script for bench/survey.sh: each request is one resident's full answer to a device
-- survey, from a device never seen before (thread id and counter make the token unique).
local path = os.getenv("SZ_PATH")
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"device":"bench-%d-%09d-device","answers":[%d,[%d,2],%d,"希望尽快开工"]}',
    tid, n, n % 3, n % 2, 1 + n % 5)
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
end

local bad = 0
response = function(status, headers, body)
  if status ~= 201 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
  end
end
