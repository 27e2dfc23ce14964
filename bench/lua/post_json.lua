-- SPDX-License-Identifier: AGPL-3.0-or-later
-- post_json: POST a JSON body read from the file BENCH_BODY_FILE to wrk's
-- URL path, with a Bearer token from BENCH_TOKEN_FILE if that is set.
-- Bodies come from files because they may hold passwords (login).
local report = dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.body = report.slurp(report.env("BENCH_BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"
local tf = os.getenv("BENCH_TOKEN_FILE")
if tf and tf ~= "" then
  wrk.headers["Authorization"] = "Bearer " ..
      report.slurp(tf):gsub("%s+$", "")
end
done = report.done
