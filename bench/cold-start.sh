#!/usr/bin/env bash
# (1) Cold start: time from request to first response for a function with no instance (each run first deploys a new
# revision, which starts with zero instances exactly like a scaled-to-zero function), against a bare interpreter
# running the same handler once on the host, against a warm request (curl's own share), and against the same cold
# start on a server with --insecure-no-sandbox (what bwrap, seccomp and the socat bridges add).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_tools
start_server "$(( ${FERRY_BENCH_PORT:-18080} + 1 ))" --insecure-no-sandbox --cold-redeploys
deploy bench
deploy benchweb
unsandboxed="$FERRY_URL"
unsandboxed_env="FERRY_URL=$FERRY_URL FERRY_TOKEN=$FERRY_TOKEN"
start_server "${FERRY_BENCH_PORT:-18080}" --cold-redeploys
deploy bench
deploy benchweb
app="$bench_dir/apps/bench"
web="$bench_dir/apps/benchweb"

args=(--warmup 1 --runs "${RUNS:-15}" --export-markdown "$results/cold-start.md")
# add NAME PREPARE COMMAND
add() { args+=(--command-name "$1" --prepare "$2" "$3"); }
add "curl, warm python event function" "true" "curl -fsS $FERRY_URL/bench/dev/py"
add "python3 -c, bare handler" "true" "/usr/bin/python3 -c \"import sys; sys.path.insert(0, '$app'); import handler; handler.handle({}, None)\""
add "curl, cold python event function" "cd '$app' && '$ferry' deploy --force >/dev/null" "curl -fsS $FERRY_URL/bench/dev/py"
add "curl, cold python event function, no sandbox" "cd '$app' && $unsandboxed_env '$ferry' deploy --force >/dev/null" "curl -fsS $unsandboxed/bench/dev/py"
add "node -e, bare handler" "true" "node -e \"require('$app/handler.js').handle({}).then(() => {})\""
add "curl, cold node event function" "cd '$app' && '$ferry' deploy --force >/dev/null" "curl -fsS $FERRY_URL/bench/dev/node"
add "curl, cold node event function, no sandbox" "cd '$app' && $unsandboxed_env '$ferry' deploy --force >/dev/null" "curl -fsS $unsandboxed/bench/dev/node"
add "node server.js, bare, until it answers" "true" \
  "bash -c 'PORT=18099 node $web/server.js & pid=\$!; until curl -fsS 127.0.0.1:18099/ >/dev/null 2>&1; do sleep 0.005; done; kill \$pid'"
add "curl, cold node web function" "cd '$web' && '$ferry' deploy --force >/dev/null" "curl -fsS $FERRY_URL/benchweb/dev/"
add "curl, cold node web function, no sandbox" "cd '$web' && $unsandboxed_env '$ferry' deploy --force >/dev/null" "curl -fsS $unsandboxed/benchweb/dev/"
hyperfine "${args[@]}"
echo "machine: $(machine)" >>"$results/cold-start.md"
