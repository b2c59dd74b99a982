-- wrk -s wrk-failures.lua: like wrk-summary.lua, plus an exact count of every response that is not 2xx (wrk's own
-- "status" errors count only >= 400) and the first few such statuses, summed over wrk's threads. One line
-- "wrk-summary {json}" after wrk's report (latencies in µs).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  statuses = ""
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 5 then
      statuses = statuses .. status .. " "
    end
  end
end

function done(summary, latency, requests)
  local failed, seen = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("non2xx")
    seen = seen .. thread:get("statuses")
  end
  local errors = summary.errors
  io.write(string.format(
    'wrk-summary {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"non2xx": %d, "non2xx_statuses": "%s", "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, failed, seen, errors.connect, errors.read, errors.write, errors.timeout))
end
