#!/usr/bin/env bash
# Two Ferry builds side by side, under the same load (issue 12): one server per build, the same web function
# (apps/benchweb) deployed to each, and gateway.py's interleaved wrk rounds over both. On a shared machine whose load
# swings between runs, this compares two builds more fairly than two runs of gateway.sh one after the other.
#
#   bash bench/gateway-ab.sh BEFORE_DLL AFTER_DLL [--rounds 5] [--duration 3s] [--out FILE]
#   BEFORE_DLL / AFTER_DLL: ferry.dll of each build (e.g. a checkout of main built with ./ferry: .build/cli/ferry.dll).
#   env: FERRY_BENCH_PORT (default 18880; the second server on +10), BEFORE_ENV / AFTER_ENV (extra environment of a
#   server, e.g. AFTER_ENV=DOTNET_gcServer=1 to compare a runtime setting with one build given twice).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 2 ] || { echo "usage: bash bench/gateway-ab.sh BEFORE_DLL AFTER_DLL [--rounds N] [--duration D] [--out FILE]" >&2; exit 2; }
before_dll="$(realpath "$1")"
after_dll="$(realpath "$2")"
shift 2
rounds=5
duration=3s
out="$results/gateway-ab.json"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "gateway-ab.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
port="${FERRY_BENCH_PORT:-18880}"

# serve NAME DLL PORT ENV: a server of that build with a fresh data folder, benchweb deployed; sets served_pid.
serve() {
  local data
  data="$(mktemp -d -t "ferry-bench-ab-$1-XXXXXX")"
  data_dirs+=("$data")
  # shellcheck disable=SC2086
  env ${4:-} dotnet "$2" server --urls "http://127.0.0.1:$3" --data "$data" >"$data/server.log" 2>&1 &
  served_pid=$!
  server_pids+=("$served_pid")
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$3/healthz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  (cd "$bench_dir/apps/benchweb" && FERRY_URL="http://127.0.0.1:$3" FERRY_TOKEN="$(cat "$data/admin-token")" dotnet "$2" deploy --force >/dev/null)
  curl -fsS "http://127.0.0.1:$3/benchweb/dev/" >/dev/null
  wrk -t2 -c32 -d3s "http://127.0.0.1:$3/benchweb/dev/" >/dev/null
}

serve before "$before_dll" "$port" "${BEFORE_ENV:-}"
before_pid=$served_pid
serve after "$after_dll" $((port + 10)) "${AFTER_ENV:-}"
after_pid=$served_pid
/usr/bin/python3 "$bench_dir/gateway.py" --duration "$duration" --rounds "$rounds" --connections 1,32 \
  --out "$out" --raw "$results/gateway-ab-wrk.txt" \
  --meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" --meta "machine=$(machine)" \
  --meta "before=$before_dll ${BEFORE_ENV:-}" --meta "after=$after_dll ${AFTER_ENV:-}" \
  --target before-web "http://127.0.0.1:$port/benchweb/dev/" "self:$before_pid" "descendants:$before_pid" \
  --target after-web "http://127.0.0.1:$((port + 10))/benchweb/dev/" "self:$after_pid" "descendants:$after_pid"
