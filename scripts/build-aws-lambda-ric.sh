#!/usr/bin/env bash
# Builds samples/aws-lambda-ric/node_modules (idempotent; a fast no-op once built). The aws-lambda-ric package compiles
# its bundled curl and aws-lambda-cpp and then a native addon with node-gyp. node-gyp would download Node's headers,
# which this machine cannot reach, so it is pointed at the headers installed with Node itself (/usr/include/node).
set -euo pipefail

log() { printf 'build-aws-lambda-ric: %s\n' "$*" >&2; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
app="$root/samples/aws-lambda-ric"
addon="$app/node_modules/aws-lambda-ric/rapid-client.node"
stamp="$app/node_modules/.ferry-build-stamp"

command -v node >/dev/null 2>&1 || { log "node is missing: run scripts/setup.sh first"; exit 1; }
node_version="$(node --version)"

# What the build depends on: the manifest, the lockfile and the Node whose headers the addon is compiled against.
build_inputs() { printf '%s %s' "$(cat "$app/package.json" "$app/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)" "$node_version"; }
if [ -f "$addon" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(build_inputs)" ]; then
  log "already built ($app/node_modules)"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    $sudo apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The toolchain aws-lambda-ric's README lists for building on a plain Linux distribution (autotools are used only when
# curl's configure script has to be regenerated; xz unpacks the bundled sources).
need=()
for package in cmake make g++ python3 xz-utils autoconf automake libtool; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || need+=("$package")
done
[ "${#need[@]}" -eq 0 ] || apt_install "${need[@]}"

# Node's C headers: NodeSource's nodejs package ships them in /usr/include/node; Debian's own nodejs keeps them in
# libnode-dev. Either way they must be those of the node that will load the addon.
nodedir=/usr
headers="$nodedir/include/node/node_version.h"
[ -f "$headers" ] || apt_install libnode-dev
header_version="$(awk '/#define NODE_(MAJOR|MINOR|PATCH)_VERSION /{v=v (v?".":"") $3} END{print "v" v}' "$headers" 2>/dev/null || true)"
if [ "${header_version%%.*}" != "${node_version%%.*}" ]; then
  log "the Node headers in $nodedir/include/node are $header_version but node is $node_version; install the headers of this node"
  exit 1
fi

build_log="$(mktemp -t build-aws-lambda-ric.XXXXXX.log)"
log "compiling aws-lambda-ric's native addon against Node $header_version headers (a few minutes; log: $build_log)"
started=$SECONDS
rm -f "$stamp"
# npm passes npm_config_* to the install scripts, and node-gyp reads npm_config_nodedir from there.
if [ -f "$app/package-lock.json" ]; then
  install=(ci)
else
  install=(install)
fi
if ! (cd "$app" && npm_config_nodedir="$nodedir" npm "${install[@]}" --foreground-scripts --no-audit --no-fund) >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  log "npm ${install[*]} failed in $app; full log: $build_log"
  exit 1
fi
if [ ! -f "$addon" ]; then
  log "npm finished but $addon is missing; see $build_log"
  exit 1
fi

build_inputs >"$stamp" # after the install, which writes package-lock.json when there was none
rm -f "$build_log"
log "built in $((SECONDS - started)) s"
