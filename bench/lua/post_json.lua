-- SPDX-License-Identifier: AGPL-3.0-or-later
-- post_json: POST a JSON body read from the file BENCH_BODY_FILE to wrk's
-- URL path, with a Bearer token from BENCH_TOKEN_FILE if that is set.
-- Bodies come from files because they may hold passwords (login).
-- A request() hook is defined only for BENCH_PATHS_FILE (below): it costs
-- wrk a Lua call per request.
local report = dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.body = report.slurp(report.env("BENCH_BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"
local tf = os.getenv("BENCH_TOKEN_FILE")
if tf and tf ~= "" then
  wrk.headers["Authorization"] = "Bearer " ..
      report.slurp(tf):gsub("%s+$", "")
end
-- With BENCH_PATHS_FILE (one URL path per line), requests cycle through
-- those paths instead: contact writes spread over several cases, since a
-- case holds at most MAX_CONTACTS_PER_CASE entries.
local pf = os.getenv("BENCH_PATHS_FILE")
if pf and pf ~= "" then
  local paths = {}
  for line in io.lines(pf) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  local i = 0
  request = function()
    i = i % #paths + 1
    return wrk.format(nil, paths[i])
  end
end
done = report.done
