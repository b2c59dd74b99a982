#!/usr/bin/env bash
# Installs what Ferry needs on Debian 12 (idempotent): bubblewrap and socat for the sandbox, curl, Flask for the web sample.
set -euo pipefail

need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v curl >/dev/null 2>&1 || need+=(curl)
/usr/bin/python3 -c 'import flask' >/dev/null 2>&1 || need+=(python3-flask)
command -v node >/dev/null 2>&1 || need+=(nodejs)
# Web console end-to-end tests: headless Chromium, and the font the console's screenshots are taken with.
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)

if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# Lambda API integration tests: boto3, and the AWS SDK for JavaScript in test/Ferry.IntegrationTests/lambda-client.
if ! /usr/bin/python3 -c 'import boto3' >/dev/null 2>&1; then
  echo "setup: installing python3-boto3" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-boto3 >&2
fi
lambda_client="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test/Ferry.IntegrationTests/lambda-client"
if [ ! -d "$lambda_client/node_modules" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: npm install in test/Ferry.IntegrationTests/lambda-client" >&2
    (cd "$lambda_client" && npm install --no-audit --no-fund --silent) >&2
  else
    echo "setup: npm is missing; the Lambda API tests install their client when they first run and need it" >&2
  fi
fi

# Web console end-to-end tests: playwright-core (drives /usr/bin/chromium) in test/Ferry.IntegrationTests/console-e2e.
console_e2e="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test/Ferry.IntegrationTests/console-e2e"
if [ ! -d "$console_e2e/node_modules" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: npm install in test/Ferry.IntegrationTests/console-e2e" >&2
    (cd "$console_e2e" && npm install --no-audit --no-fund --silent) >&2
  else
    echo "setup: npm is missing; the console tests install playwright-core when they first run and need it" >&2
  fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH" >&2
  exit 1
fi
