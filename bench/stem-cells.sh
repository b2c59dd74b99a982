#!/usr/bin/env bash
# Stem cells: time to the first response of a function with no instance (a new revision starts with zero instances,
# exactly like a function that scaled to zero) on a server that keeps stem cells ready (--stem-cells 1) and on one that
# does not (--stem-cells 0), against a bare `python3 -c` / `node -e` running the same handler once on the host. All in
# one hyperfine run; reports medians and ratios. Every cold row's --prepare deploys a new revision and then waits 1.5 s
# (on both servers alike) so that the cell taken by the previous run has been replaced.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_tools
start_server "$(( ${FERRY_BENCH_PORT:-18080} + 1 ))" --stem-cells 0 --cold-redeploys
deploy bench
plain="$FERRY_URL"
plain_env="FERRY_URL=$FERRY_URL FERRY_TOKEN=$FERRY_TOKEN"
start_server "${FERRY_BENCH_PORT:-18080}" --stem-cells 1 --cold-redeploys
deploy bench
stem_env="FERRY_URL=$FERRY_URL FERRY_TOKEN=$FERRY_TOKEN"
app="$bench_dir/apps/bench"
settle="${SETTLE:-1.5}"

json="$results/stem-cells.json"
args=(--warmup 1 --runs "${RUNS:-15}" --export-json "$json" --export-markdown "$results/stem-cells.md")
# add NAME PREPARE COMMAND
add() { args+=(--command-name "$1" --prepare "$2" "$3"); }
add "python3 -c, bare handler" "true" "/usr/bin/python3 -c \"import sys; sys.path.insert(0, '$app'); import handler; handler.handle({}, None)\""
add "cold python, stem cells" "cd '$app' && $stem_env '$ferry' deploy --force >/dev/null && sleep $settle" "curl -fsS $FERRY_URL/bench/dev/py"
add "cold python, no stem cells" "cd '$app' && $plain_env '$ferry' deploy --force >/dev/null && sleep $settle" "curl -fsS $plain/bench/dev/py"
add "node -e, bare handler" "true" "node -e \"require('$app/handler.js').handle({}).then(() => {})\""
add "cold node, stem cells" "cd '$app' && $stem_env '$ferry' deploy --force >/dev/null && sleep $settle" "curl -fsS $FERRY_URL/bench/dev/node"
add "cold node, no stem cells" "cd '$app' && $plain_env '$ferry' deploy --force >/dev/null && sleep $settle" "curl -fsS $plain/bench/dev/node"
hyperfine "${args[@]}"

# Medians and ratios from hyperfine's raw times.
python3 - "$json" <<'PY' | tee "$results/stem-cells-summary.md"
import json, statistics, sys
runs = {r["command"]: statistics.median(r["times"]) * 1000 for r in json.load(open(sys.argv[1]))["results"]}
print("| runtime | bare interpreter | cold, stem cells | cold, no stem cells | no cells / cells | cells / bare | no cells / bare |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, bare in (("python", "python3 -c, bare handler"), ("node", "node -e, bare handler")):
    b, s, p = runs[bare], runs[f"cold {name}, stem cells"], runs[f"cold {name}, no stem cells"]
    print(f"| {name} | {b:.1f} ms | {s:.1f} ms | {p:.1f} ms | {p / s:.2f}× | {s / b:.2f}× | {p / b:.2f}× |")
PY
echo "machine: $(machine), load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results/stem-cells-summary.md"
