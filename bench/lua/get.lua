-- SPDX-License-Identifier: AGPL-3.0-or-later
-- get: unauthenticated GET of wrk's URL path over keep-alive (the ceiling
-- and GET /health). wrk reuses one pre-built request: no request() hook.
local report = dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
done = report.done
