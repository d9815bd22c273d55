-- Anonymous letters POSTed to the web form, each with a title and body of its own (the duplicate check would refuse
-- a repeat). WRK_FORM: the form's fixed fields, URL-encoded, CSRF token included; WRK_COOKIE: the CSRF cookie;
-- WRK_TITLE: the URL-encoded start of every title; WRK_POW: a file of solved proof-of-work challenges, one
-- "challenge nonce" a line, each used once (thread k takes the lines k, k + threads, ...). Reports one JSON line like
-- wrk_report.lua, plus "ok": the answers that were a receipt page (200).
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
  thread:set("next_id_total", tonumber(os.getenv("WRK_THREADS")))
  table.insert(threads, thread)
end

local n = 0
local solved = {}
ok = 0

init = function(args)
  local line_no = 0
  for line in io.lines(os.getenv("WRK_POW")) do
    if line_no % next_id_total == tid - 1 then
      table.insert(solved, line)
    end
    line_no = line_no + 1
  end
end

request = function()
  n = n + 1
  local mark = tid .. "-" .. n
  local body = form .. "&title=" .. title .. mark .. "&body=" .. title .. mark .. "%0A" .. mark
  local work = solved[n]
  if work then
    local challenge, nonce = work:match("(%S+) (%S+)")
    body = body .. "&pow_challenge=" .. challenge .. "&pow_nonce=" .. nonce
  end
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
