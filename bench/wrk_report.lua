-- wrk's report as one JSON line: latency percentiles (microseconds), requests, errors, seconds.
-- Loaded with `wrk -s bench/wrk_report.lua`; WRK_COOKIE in the environment, when set, is sent with every request.
local cookie = os.getenv("WRK_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"p50": %d, "p95": %d, "p99": %d, "requests": %d, "seconds": %.3f, ' ..
    '"socket_errors": %d, "bad_status": %d}\n',
    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.requests,
    summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status))
end
