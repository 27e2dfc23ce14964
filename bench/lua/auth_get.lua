-- SPDX-License-Identifier: AGPL-3.0-or-later
-- auth_get: GET wrk's URL path with a Bearer token over keep-alive.
-- The token is read from the file named by BENCH_TOKEN_FILE, never from
-- argv, which every local user can read in /proc. wrk reuses one pre-built
-- request because no request() hook is defined.
local report = dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local token = report.slurp(report.env("BENCH_TOKEN_FILE")):gsub("%s+$", "")
wrk.headers["Authorization"] = "Bearer " .. token
done = report.done
