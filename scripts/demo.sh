#!/usr/bin/env bash
# Starts `ferry server` (SQLite store and local sandboxed runtime in ./.ferry-data) and deploys samples/hello.
# Safe to run again: an already running server is reused and the sample is redeployed as a new revision.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash scripts/setup.sh

port="${FERRY_PORT:-8080}"
data="${FERRY_DATA:-$repo/.ferry-data}"
export FERRY_URL="${FERRY_URL:-http://127.0.0.1:$port}"
mkdir -p "$data"

./ferry --version >/dev/null   # builds the CLI on first use

if curl -fsS "$FERRY_URL/healthz" >/dev/null 2>&1; then
  echo "Ferry is already running at $FERRY_URL"
else
  echo "Starting Ferry at $FERRY_URL (data: $data, log: $data/server.log)"
  nohup ./ferry server --urls "$FERRY_URL" --data "$data" >"$data/server.log" 2>&1 &
  echo $! >"$data/server.pid"
  for _ in $(seq 1 120); do
    curl -fsS "$FERRY_URL/healthz" >/dev/null 2>&1 && break
    if ! kill -0 "$(cat "$data/server.pid")" 2>/dev/null; then
      echo "ferry server exited; last lines of $data/server.log:" >&2
      tail -n 20 "$data/server.log" >&2
      exit 2
    fi
    sleep 0.5
  done
  curl -fsS "$FERRY_URL/healthz" >/dev/null || { echo "ferry server did not become ready; see $data/server.log" >&2; exit 2; }
fi

# The server writes its first admin token to the data folder; the CLI sends FERRY_TOKEN.
if [ -z "${FERRY_TOKEN:-}" ] && [ -f "$data/admin-token" ]; then
  export FERRY_TOKEN="$(cat "$data/admin-token")"
fi

(cd samples/hello && "$repo/ferry" deploy)

echo
echo "Try it:"
echo "  curl '$FERRY_URL/hello/dev/hello?name=you'"
echo "  curl $FERRY_URL/hello/dev/users/42"
echo "  export FERRY_URL=$FERRY_URL FERRY_TOKEN=\$(cat $data/admin-token)"
echo "  (cd samples/hello && ../../ferry logs -f hello --tail)"
if [ -f "$data/server.pid" ]; then
  echo "Stop the server with: kill $(cat "$data/server.pid")"
fi
