#!/usr/bin/env bash
# (7) `next build` of samples/web-next, the slowest step of any preset's deploy: the sample as it is (Next.js 16,
# Turbopack) against the same app on Next.js 15.5.7 (webpack, what the sample used before) and on Next.js 16 with
# `next build --webpack`, in one run, interleaved, each a clean build (no .next/) with the environment ferry deploy
# gives it (NEXT_TELEMETRY_DISABLED=1, CI=1). Prints wall time and CPU time (user+sys) medians and the ratios against
# the 15.5.7 baseline. `npm ci`/`npm install` run once per variant before the measured builds. RUNS (default 3).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${RUNS:-3}"
work="$(mktemp -d -t ferry-bench-next-XXXXXX)"
data_dirs+=("$work")
log="$results/next-build.txt"
: >"$log"

for variant in next16 next16-webpack next15; do
  mkdir "$work/$variant"
  cp -r "$repo/samples/web-next/app" "$repo/samples/web-next/public" "$repo/samples/web-next/package.json" "$work/$variant/"
done
cp "$repo/samples/web-next/package-lock.json" "$work/next16/"
cp "$repo/samples/web-next/package-lock.json" "$work/next16-webpack/"
(cd "$work/next16" && npm ci --no-audit --no-fund >/dev/null 2>&1)
(cd "$work/next16-webpack" && npm ci --no-audit --no-fund >/dev/null 2>&1)
(cd "$work/next15" && npm install --no-audit --no-fund --save-exact next@15.5.7 react@19.1.1 react-dom@19.1.1 >/dev/null 2>&1)

export NEXT_TELEMETRY_DISABLED=1 CI=1
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
for run in $(seq "$runs"); do
  for variant in next15 next16 next16-webpack; do
    flags=()
    [ "$variant" = next16-webpack ] && flags=(--webpack)
    rm -rf "$work/$variant/.next"
    start=$(date +%s.%N)
    (cd "$work/$variant" && /usr/bin/time -f '%U %S' -o "$work/time" node node_modules/next/dist/bin/next build "${flags[@]}" >"$work/$variant.out" 2>&1) \
      || { cat "$work/$variant.out" >&2; exit 1; }
    end=$(date +%s.%N)
    read -r user sys <"$work/time"
    echo "$variant run $run: wall $(echo "$end - $start" | bc) s, cpu $(echo "$user + $sys" | bc) s, load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$log"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"

# Medians per variant and the ratios against next15 (the baseline of this run).
awk '
  / run [0-9]+: / { v = $1; wall[v] = wall[v] " " $5; cpu[v] = cpu[v] " " $8 }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    bw = median(wall["next15"]); bc = median(cpu["next15"])
    printf "\n| build | wall median | CPU median | wall ÷ 15.5.7 | CPU ÷ 15.5.7 |\n| --- | ---: | ---: | ---: | ---: |\n"
    split("next15 next16 next16-webpack", order, " ")
    for (k = 1; k <= 3; k++) {
      v = order[k]; w = median(wall[v]); c = median(cpu[v])
      printf "| %s | %.1f s | %.1f s | %.2f | %.2f |\n", v, w, c, w / bw, c / bc
    }
  }' "$log" | tee -a "$log"
echo "$(machine); $(node --version); raw output in $log"
