-- Anonymous letters POSTed to the web form, each with a title and body of its own (the duplicate check would refuse
-- a repeat). WRK_FORM: the form's fixed fields, URL-encoded, CSRF token included; WRK_COOKIE: the CSRF cookie;
-- WRK_TITLE: the URL-encoded start of every title. Reports one JSON line like wrk_report.lua, plus "ok": the
-- answers that were a receipt page (200).
local form = os.getenv("WRK_FORM")
local title = os.getenv("WRK_TITLE")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("WRK_COOKIE")

local threads = {}
local next_id = 0

setup = function(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

local n = 0
ok = 0

request = function()
  n = n + 1
  local mark = tid .. "-" .. n
  local body = form .. "&title=" .. title .. mark .. "&body=" .. title .. mark .. "%0A" .. mark
  return wrk.format(nil, nil, nil, body)
end

response = function(status, headers, body)
  if status == 200 then
    ok = ok + 1
  end
end

done = function(summary, latency, requests)
  local received = 0
  for _, thread in ipairs(threads) do
    received = received + thread:get("ok")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"p50": %d, "p95": %d, "p99": %d, "requests": %d, "seconds": %.3f, ' ..
    '"socket_errors": %d, "bad_status": %d, "ok": %d}\n',
    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.requests,
    summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status, received))
end
