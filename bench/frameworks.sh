#!/usr/bin/env bash
# (6) Framework presets: cold start of each preset's sample app through Ferry (first request after a deploy, which
# starts the app in a sandbox with the preset's command) against starting the same app (for nuxt the same build) bare
# on the host until it answers (node / gunicorn / php -S); prints the ratio Ferry ÷ bare per framework (goal ≤ 1.3).
# Both sides are timed by one long-lived client, bench/first_answer.py (see there why not hyperfine + curl), runs
# alternating bare / Ferry. FRAMEWORKS="php laravel" times only those pairs (all are still deployed once).
# Builds are cached by ferry deploy, so --prepare only uploads a new revision (--force: the code is unchanged, and an
# unchanged deploy makes no revision, so without it the "cold" request would find a warm instance).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_tools
start_server "${FERRY_BENCH_PORT:-18080}" --cold-redeploys
samples="$repo/samples"
port=18099
# Each sample is copied with memorySize 1769 (one full vCPU through the cgroup CPU quota, as the bare app has).
# samples/web-flask starts itself with a command; the flask preset serves the same app.py with gunicorn.
apps="$(mktemp -d -t ferry-bench-frameworks-XXXXXX)"
data_dirs+=("$apps")
for app in web-express web-koa web-django web-php web-laravel web-egg web-nest web-next; do
  cp -r "$samples/$app" "$apps/$app"
  sed -i 's/^  memorySize: .*/  memorySize: 1769/' "$apps/$app/serverless.yml"
done
# samples/web-nuxt without what a checkout may have built (node_modules, .nuxt, .output): its deploy runs npm ci and
# nuxt build in the copy, and the bare run starts the .output/ that build made.
mkdir "$apps/web-nuxt"
tar -C "$samples/web-nuxt" --exclude=node_modules --exclude=.nuxt --exclude=.output --exclude=.ferry -cf - . | tar -C "$apps/web-nuxt" -xf -
sed -i 's/^  memorySize: .*/  memorySize: 1769/' "$apps/web-nuxt/serverless.yml"
mkdir "$apps/web-flask"
cp "$samples/web-flask/app.py" "$apps/web-flask/"
printf 'service: flaskapp\nprovider:\n  name: ferry\n  memorySize: 1769\nfunctions:\n  web:\n    framework: flask\n    events:\n      - httpApi: "*"\n' >"$apps/web-flask/serverless.yml"
for app in "$apps"/*; do
  (cd "$app" && "$ferry" deploy >/dev/null)
done

json="$results/frameworks.json"
rm -f "$json"
# pair NAME DIR SERVICE BARE_COMMAND [BARE_PATH]: the bare start of the app (polled at BARE_PATH, default /) against its
# cold start through Ferry. SETTLE=S waits S
# seconds after each deploy, so that the previous revision's teardown and the stem cell refill after the last cold
# start are over before the request (default 0: the request follows the deploy at once).
pair() {
  if [ -n "${FRAMEWORKS:-}" ] && [[ " $FRAMEWORKS " != *" $1 "* ]]; then return; fi
  python3 "$bench_dir/first_answer.py" --name "$1" --runs "${RUNS:-10}" --warmup 1 --json "$json" \
    --bare-dir "$2" --bare-port "$port" --bare-command "$4" --bare-path "${5:-/}" \
    --ferry-prepare "cd '$2' && '$ferry' deploy --force && sleep ${SETTLE:-0}" --ferry-url "$FERRY_URL/$3/dev/"
}
gunicorn="/usr/bin/python3 -m gunicorn --bind 127.0.0.1:$port --worker-class gthread --threads 8"
pair express "$apps/web-express" expressapp 'node -e "require(\"./app.js\").listen('$port', \"127.0.0.1\")"'
pair koa "$apps/web-koa" koaapp "env PORT=$port node server.js"
# Bare: the dist/ and .next/ that the deploys' builds (tsc, next build) made in the copies.
pair nest "$apps/web-nest" nestapp "env PORT=$port node dist/main.js"
# Bare next: `next start` of that same build with the same adapter (it was built under Ferry's placeholder base path, so
# its page is polled there); through Ferry, Ferry's launcher starts it and routes / under the placeholder.
pair next "$apps/web-next" nextapp "env NODE_ENV=production NEXT_ADAPTER_PATH=$repo/src/Ferry.Runtime/Bootstrap/node/next-adapter.mjs node node_modules/next/dist/bin/next start -H 127.0.0.1 -p $port" /__ferry_base_path__
# Bare: Nitro's server as `nuxt build` made it (base URL /); through Ferry the launcher sets it to /nuxtapp/dev/.
pair nuxt "$apps/web-nuxt" nuxtapp "env PORT=$port HOST=127.0.0.1 NODE_ENV=production node .output/server/index.mjs"
pair flask "$apps/web-flask" flaskapp "$gunicorn app:app"
pair django "$apps/web-django" djangoapp "env DJANGO_SETTINGS_MODULE=mysite.settings $gunicorn mysite.wsgi:application"
pair php "$apps/web-php" phpapp "php -S 127.0.0.1:$port -t public"
# The deploy above wrote vendor/autoload.php (composer, or Debian's Laravel) and the app's key into the copy.
pair laravel "$apps/web-laravel" laravelapp "env APP_KEY=$(cat "$apps/web-laravel/.ferry/laravel-app-key") php -S 127.0.0.1:$port -t public"
# Bare egg in egg's own single-process mode (what Ferry's egg launcher runs), not egg-scripts' daemonized cluster.
pair egg "$apps/web-egg" eggapp 'env EGG_SERVER_ENV=prod EGG_HOME='"$apps/egg-home"' node -e "require(\"egg\").start({ baseDir: process.cwd() }).then((app) => app.listen('$port', \"127.0.0.1\"))"'
python3 - "$json" <<'PY' | tee "$results/frameworks.md"
import json, statistics, sys
print("| framework | bare median | Ferry cold median | ratio |\n| --- | ---: | ---: | ---: |")
for pair in json.load(open(sys.argv[1])):
    bare, ferry = statistics.median(pair["bare"]), statistics.median(pair["ferry"])
    print(f"| {pair['name']} | {bare:.1f} ms | {ferry:.1f} ms | {ferry / bare:.2f}× |")
PY
echo "machine: $(machine)" >>"$results/frameworks.md"
