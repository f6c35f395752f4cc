-- wrk script: POST /api/validate with a right password and a wrong code, the request a
-- service (SSH, ThinLinc) makes at every login. The password hash is the cost by design.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench","password":"bench password 1","otp":"000000"}'

done = function(summary, latency, requests)
  io.write(string.format("p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("requests=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
end
