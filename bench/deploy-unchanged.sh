#!/usr/bin/env bash
# Unchanged `ferry deploy` (issue 12 goal: no new revision, no cold start, < 150 ms): the CLI with its deploy cache
# (nothing changed since the last deploy from here: one question to the server, no build, package or upload) vs the
# same CLI with the cache off (FERRY_DEPLOY_CACHE=off: resolve, package and upload; the server answers `unchanged`).
# Both in one hyperfine run against one server; wall time and user+system CPU, and their ratios.
#   RUNS (default 15), APP (a folder under bench/apps, default bench; benchweb is a Node web function; or the path of
#   any app folder, e.g. samples/web-express, whose full deploy runs its framework build).
# The CLI is run as `dotnet .build/cli/ferry.dll` (what `./ferry` execs once built, without the wrapper's source
# check); FERRY_CLI_DLL picks another build.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs="${RUNS:-15}"
app_name="${APP:-bench}"
ensure_tools
cli_dll="${FERRY_CLI_DLL:-$repo/.build/cli/ferry.dll}"
[ -f "$cli_dll" ] || { echo "no CLI at $cli_dll (run ./ferry --version first)" >&2; exit 2; }

start_server "${FERRY_BENCH_PORT:-18080}"
work="$(mktemp -d -t ferry-bench-deploy-XXXXXX)"
data_dirs+=("$work")
if [ -d "$bench_dir/apps/$app_name" ]; then
  cp -r "$bench_dir/apps/$app_name" "$work/app"
else
  cp -r "$(cd "$repo" && realpath "$app_name")" "$work/app"
fi
export XDG_CACHE_HOME="$work/cache"
cd "$work/app"

# The first deploys are full and write the cache record (files written in the 2 s before a record are compared by
# content, and a record is skipped when hundreds were, e.g. right after the copy and `npm ci`); then check that the
# cache answers.
dotnet "$cli_dll" deploy >/dev/null
sleep 3
FERRY_DEPLOY_CACHE=off dotnet "$cli_dll" deploy >/dev/null
dotnet "$cli_dll" deploy --force >/dev/null
dotnet "$cli_dll" deploy 2>"$work/check.err" >/dev/null
grep -q "Deploy cache: nothing changed" "$work/check.err" || { echo "the deploy cache did not answer:" >&2; cat "$work/check.err" >&2; exit 2; }

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
json="$results/deploy-unchanged-$stamp.json"
echo "# $(machine); load $(cut -d' ' -f1-3 /proc/loadavg); app $app_name; $runs runs" >&2
hyperfine -N -w 2 -r "$runs" --export-json "$json" \
  -n "deploy, cache" "env FERRY_DEPLOY_CACHE=on dotnet $cli_dll deploy" \
  -n "deploy, FERRY_DEPLOY_CACHE=off" "env FERRY_DEPLOY_CACHE=off dotnet $cli_dll deploy" \
  -n "ferry --version" "env dotnet $cli_dll --version" >&2

python3 - "$json" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
rows = {r["command"]: r for r in results}
print("| command | wall mean ± σ | wall median | user | system | user+system |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for r in results:
    print(f"| {r['command']} | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms | {r['median']*1000:.0f} ms "
          f"| {r['user']*1000:.0f} ms | {r['system']*1000:.0f} ms | {(r['user']+r['system'])*1000:.0f} ms |")
cache, full = results[0], results[1]
print()
print(f"cache / cache off: wall median {cache['median']/full['median']:.2f}, "
      f"CPU (user+system) {(cache['user']+cache['system'])/(full['user']+full['system']):.2f}")
PY
echo "raw: $json" >&2
