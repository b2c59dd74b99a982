#!/usr/bin/env bash
# (8) What Ferry's Next.js launcher costs a warm request: samples/web-next built twice in one run, (a) plain `next build`
# served by plain `next start` (the baseline, what the app costs without Ferry), and (b) built with Ferry's adapter
# (placeholder base path) served by Ferry's launcher (the placeholder routing and the streaming rewrite), requested
# with X-Forwarded-Prefix: /nextapp/dev as the gateway sends it. Both bare on host ports, no Ferry server and no sandbox,
# so only the launcher differs. wrk (-t1 -c$CONNECTIONS -d$DURATION, default 8 and 5s) on the server-rendered page and on
# the largest JavaScript chunk of the page, each without and with Accept-Encoding: gzip (Next's own compression on the
# plain side, the launcher's gzip on the other), after a 2 s warm-up of each, ROUNDS rounds (default 3) alternating the
# two servers. Prints the
# median req/s of each and launcher ÷ plain.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_tools
rounds="${ROUNDS:-3}" duration="${DURATION:-5s}" connections="${CONNECTIONS:-8}"
work="$(mktemp -d -t ferry-bench-next-launcher-XXXXXX)"
data_dirs+=("$work")
node_dir="$repo/src/Ferry.Runtime/Bootstrap/node"
log="$results/next-launcher.txt"
: >"$log"

for variant in plain launcher; do
  mkdir "$work/$variant"
  cp -r "$repo/samples/web-next/app" "$repo/samples/web-next/public" "$repo/samples/web-next/package.json" \
    "$repo/samples/web-next/package-lock.json" "$work/$variant/"
  (cd "$work/$variant" && npm ci --no-audit --no-fund >/dev/null 2>&1)
done
export NEXT_TELEMETRY_DISABLED=1 NODE_ENV=production
(cd "$work/plain" && node node_modules/next/dist/bin/next build >"$work/plain.build" 2>&1) || { cat "$work/plain.build" >&2; exit 1; }
(cd "$work/launcher" && NEXT_ADAPTER_PATH="$node_dir/next-adapter.mjs" node node_modules/next/dist/bin/next build >"$work/launcher.build" 2>&1) \
  || { cat "$work/launcher.build" >&2; exit 1; }

plain_port=18191 launcher_port=18192
(cd "$work/plain" && exec node node_modules/next/dist/bin/next start -H 127.0.0.1 -p "$plain_port" >"$work/plain.log" 2>&1) &
server_pids+=($!)
(cd "$work/launcher" && exec node "$node_dir/next-launcher.cjs" -H 127.0.0.1 -p "$launcher_port" >"$work/launcher.log" 2>&1) &
server_pids+=($!)
for port in "$plain_port" "$launcher_port"; do
  for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/" -H 'X-Forwarded-Prefix: /nextapp/dev' && break; sleep 0.1; done
done

# The page's largest script, as each server names it (the two builds hash their chunks differently).
largest_chunk() {
  local port=$1 best="" size=0 path bytes
  for path in $(curl -sf "http://127.0.0.1:$port/" -H 'X-Forwarded-Prefix: /nextapp/dev' | grep -o 'src="[^"]*\.js"' | cut -d'"' -f2); do
    path="${path#/nextapp/dev}"
    bytes=$(curl -sf -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port$path")
    if [ "$bytes" -gt "$size" ]; then best="$path" size="$bytes"; fi
  done
  echo "$best"
}
plain_chunk="$(largest_chunk "$plain_port")"
launcher_chunk="$(largest_chunk "$launcher_port")"
echo "$(machine); node $(node --version); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)" | tee -a "$log"
echo "chunks: plain $plain_chunk, launcher $launcher_chunk" | tee -a "$log"

# run TARGET PORT PATH ENCODING: one wrk run; prints req/s.
run() {
  local headers=(-H 'X-Forwarded-Prefix: /nextapp/dev')
  [ "$4" = gzip ] && headers+=(-H 'Accept-Encoding: gzip')
  wrk -t1 -c"$connections" -d"$duration" "${headers[@]}" "http://127.0.0.1:$2$3" | tee -a "$log" | awk '/Requests\/sec/ {print $2}'
}
# Warm-up (not counted): each server's JIT and file caches see every request once under load first.
for port_path in "$plain_port /" "$plain_port $plain_chunk" "$launcher_port /" "$launcher_port $launcher_chunk"; do
  read -r port path <<<"$port_path"
  wrk -t1 -c"$connections" -d2s -H 'X-Forwarded-Prefix: /nextapp/dev' "http://127.0.0.1:$port$path" >/dev/null
done
declare -A rps
for round in $(seq "$rounds"); do
  for what in page chunk; do
    for encoding in identity gzip; do
      for variant in plain launcher; do
        if [ "$variant" = plain ]; then port=$plain_port chunk=$plain_chunk; else port=$launcher_port chunk=$launcher_chunk; fi
        path=/; [ "$what" = chunk ] && path="$chunk"
        echo "== round $round $what $encoding $variant (load $(cut -d' ' -f1 /proc/loadavg))" >>"$log"
        rps[$what,$encoding,$variant]+="$(run "$variant" "$port" "$path" "$encoding") "
      done
    done
  done
done

python3 - "$rounds" <<PY | tee -a "$log" | tee "$results/next-launcher.md"
import statistics, sys
rows = {
$(for key in "${!rps[@]}"; do echo "  '$key': [${rps[$key]// /, }],"; done)
}
print("| request | Accept-Encoding | plain next start req/s | launcher req/s | launcher ÷ plain |")
print("| --- | --- | ---: | ---: | ---: |")
for what in ("page", "chunk"):
    for encoding in ("identity", "gzip"):
        plain = statistics.median(rows[f"{what},{encoding},plain"])
        launcher = statistics.median(rows[f"{what},{encoding},launcher"])
        print(f"| {what} | {encoding} | {plain:,.0f} | {launcher:,.0f} | {launcher / plain:.2f} |")
PY
