#!/usr/bin/env bash
# (2) Warm latency and throughput of a web function: wrk straight to the app (node on a host port, no Ferry), through
# the gateway to a sandboxed instance (Kestrel → YARP → UNIX socket → socat in the sandbox → app), and through the
# gateway of a server with --insecure-no-sandbox (Kestrel → YARP → TCP → app, no socat): the last two differ only
# by the sandbox and its network bridge.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_tools
duration="${DURATION:-10s}"
out="$results/warm-latency.txt"
: >"$out"

direct_port=18090
PORT=$direct_port node "$bench_dir/apps/benchweb/server.js" &
direct_pid=$!
trap 'kill $direct_pid 2>/dev/null || true; stop_servers' EXIT

start_server "${FERRY_BENCH_PORT:-18080}"
deploy benchweb
sandboxed="$FERRY_URL/benchweb/dev/"
start_server "$(( ${FERRY_BENCH_PORT:-18080} + 1 ))" --insecure-no-sandbox
deploy benchweb
unsandboxed="$FERRY_URL/benchweb/dev/"
direct="http://127.0.0.1:$direct_port/"
for url in "$direct" "$sandboxed" "$unsandboxed"; do
  curl -fsS "$url" >/dev/null # starts the instance
done

# run NAME CONNECTIONS URL
run() {
  local threads=$(( $2 < 2 ? 1 : 2 ))
  echo "### $1, $2 connection(s): wrk -t$threads -c$2 -d$duration --latency $3" | tee -a "$out"
  wrk -t"$threads" -c"$2" -d"$duration" --latency "$3" | tee -a "$out"
}
for connections in 1 32; do
  run "direct to node" "$connections" "$direct"
  run "gateway, sandboxed (unix socket + socat)" "$connections" "$sandboxed"
  run "gateway, --insecure-no-sandbox (tcp)" "$connections" "$unsandboxed"
done
echo "machine: $(machine); load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
