#!/usr/bin/env bash
# Installs what Ferry needs on Debian 12 (idempotent): bubblewrap and socat for the sandbox, curl, Flask, Django, gunicorn, PHP, composer and Debian's Laravel for the web samples.
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
# Functions shipped as OCI image archives: umoci unpacks them; the tests build a small image around busybox.
command -v umoci >/dev/null 2>&1 || need+=(umoci)
[ -x /bin/busybox ] || need+=(busybox-static)
# Framework presets: gunicorn serves Flask/Django apps, Django for samples/web-django, PHP's CLI server for PHP/Laravel.
/usr/bin/python3 -c 'import gunicorn' >/dev/null 2>&1 || need+=(python3-gunicorn)
/usr/bin/python3 -c 'import django' >/dev/null 2>&1 || need+=(python3-django)
command -v php >/dev/null 2>&1 || need+=(php-cli)
# Laravel: composer installs an app's packages when Packagist is reachable; otherwise the laravel preset loads
# Debian's Laravel 8 (Illuminate and its dependencies under /usr/share/php; samples/web-laravel runs on it).
command -v composer >/dev/null 2>&1 || need+=(composer)
[ -e /usr/share/php/Illuminate/autoload.php ] || need+=(php-laravel-framework)

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

# The AWS SDKs functions get without bundling them, as on Lambda: v3 (@aws-sdk/*) and v2 (aws-sdk) for Node.js in
# /usr/local/lib/ferry/aws-sdk/node_modules, which every sandbox sees as /node_modules (an app's own node_modules
# wins); Python functions use Debian's python3-boto3 (installed above). Reinstalled when scripts/aws-sdk changes.
aws_sdk_source="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/aws-sdk"
aws_sdk_target=/usr/local/lib/ferry/aws-sdk
if ! cmp -s "$aws_sdk_source/package-lock.json" "$aws_sdk_target/package-lock.json" || [ ! -d "$aws_sdk_target/node_modules" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: installing the AWS SDKs for Node.js functions into $aws_sdk_target" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo mkdir -p "$aws_sdk_target"
    $sudo cp "$aws_sdk_source/package.json" "$aws_sdk_source/package-lock.json" "$aws_sdk_target/"
    (cd "$aws_sdk_target" && $sudo npm ci --omit=dev --ignore-scripts --no-audit --no-fund --silent) >&2
    $sudo chmod -R a+rX "$aws_sdk_target"
  else
    echo "setup: npm is missing; Node.js functions get no AWS SDK unless they bundle one" >&2
  fi
fi

# Bucket endpoint tests: the AWS SDK for JavaScript v3 S3 client in test/Ferry.Resources.Tests/s3-client.
s3_client="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test/Ferry.Resources.Tests/s3-client"
if [ ! -d "$s3_client/node_modules" ] && command -v npm >/dev/null 2>&1; then
  echo "setup: npm install in test/Ferry.Resources.Tests/s3-client" >&2
  (cd "$s3_client" && npm install --no-audit --no-fund --silent) >&2
fi

# SQS tests: the AWS SDK for JavaScript v3 SQS client in test/Ferry.Resources.Tests/sqs-client.
sqs_client="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test/Ferry.Resources.Tests/sqs-client"
if [ ! -d "$sqs_client/node_modules" ] && command -v npm >/dev/null 2>&1; then
  echo "setup: npm install in test/Ferry.Resources.Tests/sqs-client" >&2
  (cd "$sqs_client" && npm install --no-audit --no-fund --silent) >&2
fi

# Table endpoint tests: the AWS SDK for JavaScript v3 DynamoDB clients in test/Ferry.Resources.Tests/dynamodb-client.
dynamodb_client="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test/Ferry.Resources.Tests/dynamodb-client"
if [ ! -d "$dynamodb_client/node_modules" ] && command -v npm >/dev/null 2>&1; then
  echo "setup: npm install in test/Ferry.Resources.Tests/dynamodb-client" >&2
  (cd "$dynamodb_client" && npm install --no-audit --no-fund --silent) >&2
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

# TypeScript apps: the CLI bundles them with esbuild; Ferry's copy lives in the tools folder (FERRY_TOOLS, default
# ~/.ferry/tools) for apps that don't have their own node_modules/.bin/esbuild.
ferry_tools="${FERRY_TOOLS:-$HOME/.ferry/tools}"
if [ ! -x "$ferry_tools/node_modules/.bin/esbuild" ] && command -v npm >/dev/null 2>&1; then
  echo "setup: npm install esbuild in $ferry_tools" >&2
  mkdir -p "$ferry_tools"
  (cd "$ferry_tools" && npm install --no-audit --no-fund --silent --no-save esbuild@0.28.2) >&2
fi

# PostgreSQL (databases of apps, and the control-plane store on PostgreSQL): a local cluster with a superuser role the
# tests use (FERRY_TEST_POSTGRES). Debian's package creates cluster 15/main; it is started here if it is down.
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "setup: installing postgresql" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
fi
if [ "$(id -u)" -eq 0 ]; then
  read -r pg_version pg_cluster pg_port pg_status _ < <(pg_lsclusters --no-header | head -n 1) || true
  if [ -z "${pg_version:-}" ]; then
    pg_createcluster 15 main >&2
    read -r pg_version pg_cluster pg_port pg_status _ < <(pg_lsclusters --no-header | head -n 1)
  fi
  if [ "$pg_status" != online ]; then
    echo "setup: starting PostgreSQL $pg_version/$pg_cluster" >&2
    pg_ctlcluster "$pg_version" "$pg_cluster" start >&2
  fi
  # A superuser for tests, password-authenticated over loopback TCP (Debian's pg_hba allows scram on 127.0.0.1).
  su postgres -c "psql -q -p $pg_port -tc \"SELECT 1 FROM pg_roles WHERE rolname = 'ferry_test'\" | grep -q 1 || psql -q -p $pg_port -c \"CREATE ROLE ferry_test SUPERUSER LOGIN PASSWORD 'ferry_test'\"" >&2
  echo "setup: PostgreSQL on 127.0.0.1:$pg_port (role ferry_test)" >&2
else
  echo "setup: not root; start PostgreSQL and create a superuser yourself, then set FERRY_TEST_POSTGRES" >&2
fi

# A Node function on the official aws-lambda-ric (native addon, compiled here; about 1.5 min on a fresh machine).
bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/build-aws-lambda-ric.sh"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH" >&2
  exit 1
fi
