#!/usr/bin/env bash
# Memory of a busy event-function runtime (issue 12, section 5 step 12 of bench/README.md): the Node and the Python
# event function of apps/bench, each under `wrk -t1 -c1` (one warm instance serving every request) for --rounds rounds
# of --duration. After each round it prints the resident memory (VmRSS) of the function's runtime processes (those the
# server started running Ferry's bootstrap.mjs / bootstrap.py) and the growth per 100,000 invocations. A runtime that
# keeps something per invocation grows the same amount every round; one that does not settles once its heap has grown
# to its working size (the first rounds grow either way). The baseline is the runtime's own size after the warm-up.
#
#   bash bench/runtime-memory.sh [--duration 30s] [--rounds 4] [--out FILE]
#   env: FERRY_BENCH_PORT (default 18080), FERRY_SERVER_ARGS (extra `ferry server` options), FERRY_CLI,
#        TARGETS (default "node py": the apps/bench functions measured)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

duration=30s
rounds=4
out="$results/runtime-memory.txt"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "runtime-memory.sh: unknown option '$1' (see the comment at the top of bench/runtime-memory.sh)" >&2; exit 2 ;;
  esac
done

ensure_tools
# shellcheck disable=SC2086
start_server "${FERRY_BENCH_PORT:-18080}" ${FERRY_SERVER_ARGS:-}
server_pid="${server_pids[-1]}"
deploy bench

# runtime_rss PATTERN: total VmRSS (kB) of the processes whose command line matches PATTERN and that descend from the server.
runtime_rss() {
  local total=0 pid ancestor
  for pid in $(pgrep -f "$1"); do
    ancestor=$pid
    while [ "$ancestor" -gt 1 ] && [ "$ancestor" != "$server_pid" ]; do
      ancestor=$(awk '/^PPid/ {print $2}' "/proc/$ancestor/status" 2>/dev/null || echo 1)
    done
    [ "$ancestor" = "$server_pid" ] || continue
    total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

declare -A pattern=([node]="bootstrap.mjs" [py]="bootstrap.py")
{
  echo "wrk -t1 -c1 -d$duration per round; machine: $(machine); commit $(git -C "$repo" rev-parse --short HEAD)"
  echo
  echo "| function | round | invocations | runtime RSS before → after | growth per 100k invocations |"
  echo "| --- | ---: | ---: | --- | ---: |"
} | tee "$out"
for target in ${TARGETS:-node py}; do
  url="$FERRY_URL/bench/dev/$target"
  curl -fsS -o /dev/null "$url"
  wrk -t1 -c1 -d3s "$url" >/dev/null # warm-up
  for round in $(seq 1 "$rounds"); do
    before=$(runtime_rss "${pattern[$target]}")
    requests=$(wrk -t1 -c1 -d"$duration" "$url" | awk '/requests in/ {print $1}')
    after=$(runtime_rss "${pattern[$target]}")
    echo "| $target | $round | $requests | $before → $after kB | $(( (after - before) * 100000 / requests )) kB |" | tee -a "$out"
  done
done
echo "written to $out"
