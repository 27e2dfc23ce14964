-- SPDX-License-Identifier: AGPL-3.0-or-later
-- report: the shared done() hook. It prints one line the harness parses:
--   BENCH {"requests":..,"p50_us":..,"p99_us":..,"p999_us":..,...}
-- Latency percentiles come from wrk's own histogram (microseconds).
-- err_status is wrk's count of answers with status >= 400. No response()
-- hook is defined: it would make wrk parse every answer into Lua tables
-- and cap the load generator below the ceiling server.
local M = {}

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
    '"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end

-- Read a whole file (token or body); trailing whitespace is dropped for
-- tokens by the caller.
function M.slurp(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

function M.env(name)
  return assert(os.getenv(name), name .. " not set")
end

return M
