# Sourced by the benchmark scripts: tools, throwaway Ferry servers (stopped on exit), deploy helper.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
# FERRY_CLI overrides the CLI (default: ./ferry, which builds itself from the checkout).
ferry="${FERRY_CLI:-$repo/ferry}"
results="$bench_dir/results"
mkdir -p "$results"

server_pids=()
data_dirs=()

# ensure_tools [PACKAGE…]: installs the benchmark tools (Debian packages) and Ferry's own prerequisites when missing;
# each extra PACKAGE is installed when no command of the same name is on PATH or in /usr/sbin (e.g. nginx).
# FERRY_BENCH_SKIP_SETUP=1 skips scripts/setup.sh (a machine already set up, e.g. while its aws-lambda-ric addon is being
# rebuilt by another checkout).
ensure_tools() {
  [ "${FERRY_BENCH_SKIP_SETUP:-0}" = 1 ] || bash "$repo/scripts/setup.sh"
  local need=() package
  command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  for package in "$@"; do
    command -v "$package" >/dev/null 2>&1 || [ -x "/usr/sbin/$package" ] || need+=("$package")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
  "$ferry" --version >/dev/null # builds the CLI on first use
}

# start_server PORT [server options…]: a Ferry server with a fresh data folder; exports FERRY_URL and FERRY_TOKEN.
start_server() {
  local port=$1
  shift
  local data
  data="$(mktemp -d -t ferry-bench-XXXXXX)"
  data_dirs+=("$data")
  "$ferry" server --urls "http://127.0.0.1:$port" --data "$data" "$@" >"$data/server.log" 2>&1 &
  server_pids+=("$!")
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "server on $port did not start; see $data/server.log" >&2; exit 2; }
  export FERRY_URL="http://127.0.0.1:$port"
  export FERRY_TOKEN
  FERRY_TOKEN="$(cat "$data/admin-token")"
}

# deploy APP: deploys bench/apps/APP to the server in FERRY_URL (a new revision; its functions start cold on a server
# started with --cold-redeploys, else warmed up to as many instances as the live revision runs).
deploy() {
  (cd "$bench_dir/apps/$1" && "$ferry" deploy --force >/dev/null)
}

stop_servers() {
  local pid
  for pid in "${server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
  rm -rf "${data_dirs[@]}"
  data_dirs=()
}
trap stop_servers EXIT

# Notes the machine a result came from.
machine() {
  echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(bwrap --version), socat $(socat -V | awk '/socat version/ {print $3}')"
}
