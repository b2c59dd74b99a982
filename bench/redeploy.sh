#!/usr/bin/env bash
# Redeploy under load (issue 12): a warm web function (apps/benchweb) and a warm Node event function (apps/bench,
# GET /node) each under `wrk -t2 -c64`, once "steady" (no deploys) and once while a loop runs `ferry deploy --force`
# of the same app (a new revision each time, so every deploy switches traffic to new pools and drains the old ones).
# wrk-failures.lua counts every non-2xx response exactly; socket errors come from wrk. Prints, per target and mode,
# requests, failed requests, req/s, p50/p99 and the deploys made, then p99(redeploy)/p99(steady), and writes JSON.
# Every run is preceded by a short warm-up of the same target (so a steady run after a redeploy run starts warm).
#
# --deploy-interval S waits S seconds after each deploy (default 0: back to back). On a small machine back-to-back
# deploys (the CLI packaging, the server unpacking, new instances warming up) take as much CPU as the load itself, so
# the redeploy run then measures the deploy loop's CPU as much as the switch; a pause shows the switch alone.
#
#   bash bench/redeploy.sh [--duration 20s] [--rounds 1] [--connections 64] [--deploy-interval 0] [--out FILE]
#   env: FERRY_BENCH_PORT (default 18080), FERRY_SERVER_ARGS (extra `ferry server` options), FERRY_CLI,
#        TARGETS (default "web event": which of the two functions are measured)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

duration="${DURATION:-20s}"
rounds="${ROUNDS:-1}"
connections=64
deploy_interval="${DEPLOY_INTERVAL:-0}"
out="$results/redeploy.json"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --deploy-interval) deploy_interval="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "redeploy.sh: unknown option '$1' (see the comment at the top of bench/redeploy.sh)" >&2; exit 2 ;;
  esac
done

ensure_tools
work="$(mktemp -d -t ferry-bench-redeploy-XXXXXX)"
cleanup() {
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck disable=SC2086
start_server "${FERRY_BENCH_PORT:-18080}" ${FERRY_SERVER_ARGS:-}
server_log="${data_dirs[-1]}/server.log"
deploy benchweb
deploy bench

wait_for() {
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "redeploy.sh: $1 did not answer" >&2
  return 1
}

declare -A url=([web]="$FERRY_URL/benchweb/dev/" [event]="$FERRY_URL/bench/dev/node")
declare -A app=([web]=benchweb [event]=bench)
for target in ${TARGETS:-web event}; do
  wait_for "${url[$target]}"
done

runs="$work/runs.jsonl"
: >"$runs"
raw="$results/redeploy-wrk.txt"
: >"$raw"

# run TARGET MODE ROUND: one wrk run; in mode "redeploy" a loop deploys the target's app with --force meanwhile.
run() {
  local target=$1 mode=$2 round=$3 wrk_out="$work/wrk.txt" deploys=0 deploy_failures=0 started_before load_before
  wrk -t2 -c"$connections" -d3s "${url[$target]}" >/dev/null # warm-up (instances of a new revision, JIT)
  started_before="$(grep -c 'Started instance' "$server_log" || true)"
  load_before="$(cut -d' ' -f1 /proc/loadavg)"
  wrk -t2 -c"$connections" -d"$duration" --latency -s "$bench_dir/wrk-failures.lua" "${url[$target]}" >"$wrk_out" &
  local wrk_pid=$!
  if [ "$mode" = redeploy ]; then
    sleep 1
    while kill -0 "$wrk_pid" 2>/dev/null; do
      if (cd "$bench_dir/apps/${app[$target]}" && "$ferry" deploy --force >"$work/deploy.log" 2>&1); then
        deploys=$((deploys + 1))
      else
        deploy_failures=$((deploy_failures + 1))
        cat "$work/deploy.log" >&2
      fi
      [ "$deploy_interval" = 0 ] || sleep "$deploy_interval"
    done
  fi
  wait "$wrk_pid"
  local started_after load_after
  started_after="$(grep -c 'Started instance' "$server_log" || true)"
  load_after="$(cut -d' ' -f1 /proc/loadavg)"
  { echo "== $target $mode round $round"; cat "$wrk_out"; } >>"$raw"
  /usr/bin/python3 - "$wrk_out" "$target" "$mode" "$round" "$deploys" "$deploy_failures" \
    "$((started_after - started_before))" "$load_before" "$load_after" >>"$runs" <<'PY'
import json, sys
path, target, mode, round_, deploys, deploy_failures, started, load_before, load_after = sys.argv[1:]
summary = next(json.loads(line.split(" ", 1)[1]) for line in open(path) if line.startswith("wrk-summary "))
summary.update(target=target, mode=mode, round=int(round_), deploys=int(deploys), deploy_failures=int(deploy_failures),
               instances_started=int(started), load=[float(load_before), float(load_after)])
print(json.dumps(summary))
PY
  tail -n 1 "$runs" >&2
}

for round in $(seq 1 "$rounds"); do
  # Alternate which mode goes first, so a drift in the machine's load does not favour one of them.
  if [ $((round % 2)) -eq 1 ]; then modes="steady redeploy"; else modes="redeploy steady"; fi
  for target in ${TARGETS:-web event}; do
    for mode in $modes; do
      run "$target" "$mode" "$round"
    done
  done
done

commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
/usr/bin/python3 - "$runs" "$out" "$duration" "$connections" "$(machine)" "$commit" "$deploy_interval" <<'PY' | tee "$results/redeploy.md"
import json, statistics, sys
runs_path, out, duration, connections, machine, commit, deploy_interval = sys.argv[1:]
runs = [json.loads(line) for line in open(runs_path)]
def failed(r):
    e = r["errors"]
    return r["non2xx"] + e["connect"] + e["read"] + e["write"] + e["timeout"]
pause = f"{deploy_interval} s between deploys" if deploy_interval != "0" else "deploys back to back"
print(f"wrk -t2 -c{connections} -d{duration} per run, {pause}; machine: {machine}; commit {commit}")
print()
print("| target | mode | round | requests | failed (non-2xx + socket errors) | req/s | p50 ms | p99 ms | max ms | deploys | instances started | load avg |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in runs:
    rps = r["requests"] / (r["duration_us"] / 1e6)
    statuses = f' ({r["non2xx_statuses"].strip()})' if r["non2xx"] else ""
    print(f'| {r["target"]} | {r["mode"]} | {r["round"]} | {r["requests"]:,} | {failed(r)}{statuses} | {rps:,.0f} | '
          f'{r["p50_us"]/1000:.2f} | {r["p99_us"]/1000:.2f} | {r["max_us"]/1000:.1f} | {r["deploys"]}'
          f'{" (+" + str(r["deploy_failures"]) + " failed)" if r["deploy_failures"] else ""} | {r["instances_started"]} | '
          f'{r["load"][0]:.1f}–{r["load"][1]:.1f} |')
print()
ratios = {}
print("| target | failed requests during redeploys | p99 redeploy / steady (goal ≤ 2) | req/s redeploy / steady |")
print("| --- | ---: | ---: | ---: |")
for target in ("web", "event"):
    steady = [r for r in runs if r["target"] == target and r["mode"] == "steady"]
    redeploy = [r for r in runs if r["target"] == target and r["mode"] == "redeploy"]
    if not steady or not redeploy:
        continue
    p99 = statistics.median(r["p99_us"] for r in redeploy) / statistics.median(r["p99_us"] for r in steady)
    rps = (statistics.median(r["requests"] / r["duration_us"] for r in redeploy)
           / statistics.median(r["requests"] / r["duration_us"] for r in steady))
    fails = sum(failed(r) for r in redeploy)
    ratios[target] = {"failed": fails, "p99_ratio": p99, "rps_ratio": rps}
    print(f"| {target} | {fails} in {sum(r['deploys'] for r in redeploy)} deploys | {p99:.2f} | {rps:.2f} |")
json.dump({"duration": duration, "connections": int(connections), "deploy_interval": float(deploy_interval), "machine": machine, "commit": commit,
           "runs": runs, "ratios": ratios}, open(out, "w"), indent=2)
PY
echo "JSON: $out; wrk output: $raw" >&2
