-- wrk -s wrk-summary.lua: after wrk's own report, one line "wrk-summary {json}" with the exact counts and latency
-- percentiles (µs), so that bench/gateway.py does not have to parse wrk's rounded human-readable output.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'wrk-summary {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
