#!/usr/bin/env bash
# (3) Burst: 50 requests at once (connections opened beforehand) to a function with no instance, ROUNDS times each;
# every round deploys a new revision first so that it starts from zero instances. The same bursts against a server
# with --insecure-no-sandbox show what the sandbox (bwrap, cgroup, socat bridges) adds.
# (3b) Burst / one cold start (stem cells on): each round times one request to a fresh revision, then 50 at once to
# another fresh revision, on the same server, and reports the ratio, then the same 50 once more to the instances that
# burst left running (no start at all: the floor of a cold burst here); a first burst (not counted) is the warm-up that
# shows the stem cell pool its demand. PARTS picks parts (default "sandboxed unsandboxed ratio"); RATIO_SERVER_ARGS
# adds `ferry server` options to the ratio part's server; between measurements it waits until the stem cells are
# refilled (read from /metrics; SETTLE seconds on builds without those series). Its baseline, in the same run: the
# same bursts against nginx answering from memory, which is what burst.py itself takes to send and collect them.
# (3c) PARTS=slow: the same bursts to a Node function whose requests wait 200 ms each (GET /bench/dev/wait), the case
# where a pool must scale out rather than queue behind busy instances; its times, not a ratio, are what to compare.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_tools nginx
count="${COUNT:-50}"
rounds="${ROUNDS:-3}"
parts="${PARTS:-sandboxed unsandboxed ratio}"
settle="${SETTLE:-3}"
out="$results/burst.txt"
: >"$out"

# burst LABEL APP PATH
burst() {
  for round in $(seq 1 "$rounds"); do
    deploy "$2"
    echo "$1 $3 round $round: $(/usr/bin/python3 "$bench_dir/burst.py" "$FERRY_URL$3" "$count")" | tee -a "$out"
  done
}

# Waits SETTLE s (the previous revision's instances stop meanwhile: its drain takes about 1 s after a deploy), then
# until no stem cell is starting and every family has its target ready (builds without those metrics: SETTLE s only).
wait_for_cells() {
  local metrics
  sleep "$settle"
  for _ in $(seq 1 120); do
    metrics="$(curl -fsS -H "Authorization: Bearer $FERRY_TOKEN" "$FERRY_URL/metrics")"
    if ! grep -q '^ferry_stem_cells_target' <<<"$metrics"; then
      return
    fi
    if python3 - "$metrics" <<'PY'
import re, sys
values = {}
for name, labels, value in re.findall(r'^(ferry_stem_cells(?:_target)?)\{([^}]*)\} (\S+)$', sys.argv[1], re.M):
    values[(name, labels)] = float(value)
starting = sum(v for (n, l), v in values.items() if n == "ferry_stem_cells" and 'state="starting"' in l)
ready = sum(v for (n, l), v in values.items() if n == "ferry_stem_cells" and 'state="ready"' in l)
target = sum(v for (n, l), v in values.items() if n == "ferry_stem_cells_target")
sys.exit(0 if starting == 0 and ready >= target else 1)
PY
    then
      return
    fi
    sleep 0.5
  done
}

# total_ms LINE: the "all answered after N ms" of a burst.py line
total_ms() { sed -E 's/.*all answered after ([0-9.]+) ms.*/\1/' <<<"$1"; }

# median: of the numbers on stdin, one per line
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# client_floor PORT: the bursts' baseline, 50 requests at once (ROUNDS times) to nginx answering every request from
# memory: what the client takes to open, send and collect them, to read next to Ferry's bursts.
client_floor() {
  local work totals=() line round nginx_pid
  work="$(mktemp -d -t ferry-bench-nginx-XXXXXX)"
  mkdir -p "$work/logs"
  cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/client_body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  server { listen 127.0.0.1:$1; location / { default_type application/json; return 200 '{"ok":true}'; } }
}
EOF
  "$(command -v nginx || echo /usr/sbin/nginx)" -p "$work" -c "$work/nginx.conf" &
  nginx_pid=$!
  for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$1/" >/dev/null 2>&1 && break; sleep 0.1; done
  for round in $(seq 1 "$rounds"); do
    line="$(/usr/bin/python3 "$bench_dir/burst.py" "http://127.0.0.1:$1/" "$count")"
    totals+=("$(total_ms "$line")")
    echo "client floor (nginx, from memory) round $round: $line" | tee -a "$out"
  done
  echo "client floor (nginx, from memory): all answered after $(printf '%s\n' "${totals[@]}" | median) ms, median of $rounds" | tee -a "$out"
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}

# ratio LABEL APP PATH
ratio() {
  local cold burst_line warm_line ratios=() warm_ratios=()
  deploy "$2"
  wait_for_cells
  echo "$1 $3 warm-up burst: $(/usr/bin/python3 "$bench_dir/burst.py" "$FERRY_URL$3" "$count")" | tee -a "$out"
  for round in $(seq 1 "$rounds"); do
    deploy "$2"
    wait_for_cells
    cold="$(/usr/bin/python3 "$bench_dir/burst.py" "$FERRY_URL$3" 1)"
    deploy "$2"
    wait_for_cells
    burst_line="$(/usr/bin/python3 "$bench_dir/burst.py" "$FERRY_URL$3" "$count")"
    # The same burst once more, to the instances the cold one left running: what 50 invocations cost with no start
    # at all, the floor a cold burst cannot go below on this machine.
    warm_line="$(/usr/bin/python3 "$bench_dir/burst.py" "$FERRY_URL$3" "$count")"
    ratios+=("$(python3 -c "print(f'{$(total_ms "$burst_line") / $(total_ms "$cold"):.1f}')")")
    warm_ratios+=("$(python3 -c "print(f'{$(total_ms "$warm_line") / $(total_ms "$cold"):.1f}')")")
    echo "$1 $3 round $round: one cold request $(total_ms "$cold") ms; $burst_line; burst / cold = ${ratios[-1]}×;" \
      "again, warm: $(total_ms "$warm_line") ms, warm burst / cold = ${warm_ratios[-1]}×" | tee -a "$out"
  done
  echo "$1 $3 burst / cold, median of $rounds: $(printf '%s\n' "${ratios[@]}" | median)×;" \
    "warm burst / cold: $(printf '%s\n' "${warm_ratios[@]}" | median)×" | tee -a "$out"
}

port="${FERRY_BENCH_PORT:-18080}"
if [[ " $parts " == *" sandboxed "* ]]; then
  start_server "$port" --cold-redeploys
  burst sandboxed bench /bench/dev/py
  burst sandboxed bench /bench/dev/node
  burst sandboxed benchweb /benchweb/dev/
  stop_servers
fi
if [[ " $parts " == *" unsandboxed "* ]]; then
  start_server "$(( port + 1 ))" --insecure-no-sandbox --cold-redeploys
  burst unsandboxed bench /bench/dev/py
  burst unsandboxed bench /bench/dev/node
  burst unsandboxed benchweb /benchweb/dev/
  stop_servers
fi
if [[ " $parts " == *" slow "* ]]; then
  start_server "$(( port + 3 ))" --cold-redeploys
  deploy bench
  wait_for_cells
  /usr/bin/python3 "$bench_dir/burst.py" "$FERRY_URL/bench/dev/wait" 1 >/dev/null # the function's first start, not counted
  burst slow bench /bench/dev/wait
  stop_servers
fi
if [[ " $parts " == *" ratio "* ]]; then
  client_floor "$(( port + 12 ))"
  # shellcheck disable=SC2086 # RATIO_SERVER_ARGS is a list of options
  start_server "$(( port + 2 ))" --stem-cells 1 --cold-redeploys ${RATIO_SERVER_ARGS:-}
  ratio stem-cells bench /bench/dev/py
  ratio stem-cells bench /bench/dev/node
  stop_servers
fi
echo "machine: $(machine); build: ${FERRY_CLI:-./ferry (Release, .build/cli)}; load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
