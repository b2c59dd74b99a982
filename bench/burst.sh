#!/usr/bin/env bash
# (3) Burst: 50 requests at once (connections opened beforehand) to a function with no instance, ROUNDS times each;
# every round deploys a new revision first so that it starts from zero instances. The same bursts against a server
# with --insecure-no-sandbox show what the sandbox (bwrap, cgroup, socat bridges) adds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_tools
count="${COUNT:-50}"
rounds="${ROUNDS:-3}"
out="$results/burst.txt"
: >"$out"

# burst LABEL APP PATH
burst() {
  for round in $(seq 1 "$rounds"); do
    deploy "$2"
    echo "$1 $3 round $round: $(/usr/bin/python3 "$bench_dir/burst.py" "$FERRY_URL$3" "$count")" | tee -a "$out"
  done
}

start_server "${FERRY_BENCH_PORT:-18080}"
burst sandboxed bench /bench/dev/py
burst sandboxed bench /bench/dev/node
burst sandboxed benchweb /benchweb/dev/
stop_servers
start_server "$(( ${FERRY_BENCH_PORT:-18080} + 1 ))" --insecure-no-sandbox
burst unsandboxed bench /bench/dev/py
burst unsandboxed bench /bench/dev/node
burst unsandboxed benchweb /benchweb/dev/
echo "machine: $(machine); load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
