#!/usr/bin/env bash
# The request path against nginx (issue 12): the same plain Node HTTP server (apps/benchweb/server.js) reached
#   direct       wrk → node on a loopback port, no proxy, no sandbox
#   nginx        wrk → nginx (reverse proxy, keepalive upstream) → that same bare node
#   yarp         wrk → a bare Kestrel + YARP forwarder (bench/BareProxy, Release) → that same bare node: the .NET
#                stack Ferry's gateway is built on, with nothing of Ferry's (skipped when it cannot be built)
#   ferry-web    wrk → Ferry gateway → sandboxed web function running server.js (warm)
#   ferry-event  wrk → Ferry gateway → sandboxed Node event function (apps/bench/handler.js, returns {"ok":true}) (warm)
# with wrk at 1 connection (-t1) and at 32 (-t2), in interleaved rounds (every target once per round and connection
# count, the order rotated each round) so the noise of a shared machine spreads over all targets alike. Each run
# also reads the CPU (utime+stime, /proc/PID/stat) of the proxy (nginx master + workers, or the Ferry server process)
# and of the app side (the bare node, or everything the Ferry server started: sandboxes, socat, node) before and
# after, and divides by the requests completed. Prints the medians, the ratios issue 12 tracks, and writes JSON.
#
#   bash bench/gateway.sh [--out FILE] [--duration 5s] [--rounds 3] [--warmup 3s] [--connections 1,32]
#   env: NGINX_WORKERS (default 1), FERRY_BENCH_PORT (default 18080; direct node on +10, nginx on +11, yarp on +12),
#        FERRY_SERVER_ARGS (extra `ferry server` options), FERRY_CLI, DURATION, ROUNDS, WARMUP
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

duration="${DURATION:-5s}"
rounds="${ROUNDS:-3}"
warmup="${WARMUP:-3s}"
connections="1,32"
out="$results/gateway.json"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    *) echo "gateway.sh: unknown option '$1' (see the comment at the top of bench/gateway.sh)" >&2; exit 2 ;;
  esac
done
# One nginx worker: the upstream is one single-threaded node, which saturates long before one nginx worker does
# (≈ 20–25 µs of CPU per request is > 40k req/s per core), and a second worker would only compete with wrk and
# node for the machine's cores. NGINX_WORKERS=2 (or auto) to compare.
nginx_workers="${NGINX_WORKERS:-1}"
port="${FERRY_BENCH_PORT:-18080}"
direct_port=$((port + 10))
nginx_port=$((port + 11))
yarp_port=$((port + 12))
nginx="$(command -v nginx || echo /usr/sbin/nginx)"

ensure_tools nginx
work="$(mktemp -d -t ferry-bench-gateway-XXXXXX)"
direct_pid=""
nginx_pid=""
yarp_pid=""
cleanup() {
  [ -z "$yarp_pid" ] || { kill "$yarp_pid" 2>/dev/null || true; wait "$yarp_pid" 2>/dev/null || true; }
  [ -z "$nginx_pid" ] || { kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; }
  [ -z "$direct_pid" ] || { kill "$direct_pid" 2>/dev/null || true; wait "$direct_pid" 2>/dev/null || true; }
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for URL: until it answers 2xx (30 s).
wait_for() {
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "gateway.sh: $1 did not answer" >&2
  return 1
}

# Baseline 1: the bare node server.
PORT=$direct_port node "$bench_dir/apps/benchweb/server.js" &
direct_pid=$!

# Baseline 2: nginx in the foreground with its own prefix, proxying to the bare node over kept-alive connections.
mkdir -p "$work/nginx/logs"
user_line=""
[ "$(id -u)" -ne 0 ] || user_line="user nobody nogroup;"
cat >"$work/nginx/nginx.conf" <<EOF
$user_line
worker_processes $nginx_workers;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/client_body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream app {
    server 127.0.0.1:$direct_port;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" &
nginx_pid=$!

# Baseline 3: Kestrel + YARP's forwarder alone, proxying to the bare node (the runtime settings of Ferry's gateway).
yarp_targets=()
if dotnet build "$bench_dir/BareProxy" -c Release -o "$work/bareproxy" -nologo -v q >"$work/bareproxy-build.log" 2>&1; then
  dotnet "$work/bareproxy/BareProxy.dll" --urls "http://127.0.0.1:$yarp_port" --upstream "http://127.0.0.1:$direct_port" &
  yarp_pid=$!
  yarp_targets=(--target yarp "http://127.0.0.1:$yarp_port/" "tree:$yarp_pid" "tree:$direct_pid")
else
  echo "gateway.sh: bench/BareProxy did not build (see below); the yarp baseline is skipped" >&2
  tail -n 20 "$work/bareproxy-build.log" >&2
fi

# Ferry: ./ferry builds the CLI (which hosts the server) in Release; the check below reads which build is running.
# shellcheck disable=SC2086
start_server "$port" ${FERRY_SERVER_ARGS:-}
ferry_pid="${server_pids[-1]}"
# A FERRY_CLI that is a script may run the server as its child: charge the process that really serves.
while [ "$(cat "/proc/$ferry_pid/comm")" = bash ] && pgrep -P "$ferry_pid" >/dev/null; do
  ferry_pid="$(pgrep -P "$ferry_pid" | head -n 1)"
done
server_dll="$(grep -m 1 -o '/[^ ]*/Ferry\.Server\.dll' "/proc/$ferry_pid/maps" || true)"
build="unknown"
if [ -n "$server_dll" ]; then
  build="$(/usr/bin/python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print("Release" if b"\x07Release" in d else "Debug" if b"\x05Debug" in d else "unknown")' "$server_dll")"
fi
[ "$build" = Release ] || echo "gateway.sh: WARNING: the server runs a $build build ($server_dll); issue 12 compares Release builds" >&2

deploy benchweb
deploy bench
direct="http://127.0.0.1:$direct_port/"
via_nginx="http://127.0.0.1:$nginx_port/"
web="$FERRY_URL/benchweb/dev/"
event="$FERRY_URL/bench/dev/node"
urls=("$direct" "$via_nginx" "$web" "$event")
[ -z "$yarp_pid" ] || urls+=("http://127.0.0.1:$yarp_port/")
for url in "${urls[@]}"; do
  wait_for "$url"
done
echo "warming up ($warmup at 32 connections each)…" >&2
for url in "${urls[@]}"; do
  wrk -t2 -c32 -d"$warmup" "$url" >/dev/null
done

table="$results/gateway.md"
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
/usr/bin/python3 "$bench_dir/gateway.py" --duration "$duration" --rounds "$rounds" --connections "$connections" \
  --out "$out" --raw "$results/gateway-wrk.txt" \
  --meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" --meta "machine=$(machine)" --meta "commit=$commit" \
  --meta "ferry_build=$build" --meta "dotnet=$(dotnet --version)" --meta "nginx=$("$nginx" -v 2>&1)" \
  --meta "nginx_workers=$nginx_workers" --meta "node=$(node --version)" --meta "wrk=$(wrk -v 2>&1 | head -n 1 || true)" \
  --target direct "$direct" none "tree:$direct_pid" \
  --target nginx "$via_nginx" "tree:$nginx_pid" "tree:$direct_pid" \
  "${yarp_targets[@]}" \
  --target ferry-web "$web" "self:$ferry_pid" "descendants:$ferry_pid" \
  --target ferry-event "$event" "self:$ferry_pid" "descendants:$ferry_pid" | tee "$table"
{
  echo
  echo "machine: $(machine); Ferry $build build (commit $commit); nginx workers: $nginx_workers"
  echo "proxy CPU: nginx master+workers / the bare YARP proxy / the Ferry server process; app CPU: the bare node / all processes the Ferry"
  echo "server started (sandboxes, socat, node; node alone in parentheses). JSON: $out"
} | tee -a "$table"
