#!/usr/bin/env bash
# Runs the whole test suite: unit tests and integration tests that start real servers and sandboxed functions, then
# the integration tests once more with the control-plane store on PostgreSQL (the store and queue unit tests already
# run on both stores).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash scripts/setup.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet test Ferry.slnx --nologo --blame-hang-timeout 10m "$@"
echo "test: integration tests again, with the control-plane store on PostgreSQL" >&2
FERRY_TEST_STORE=postgres dotnet test test/Ferry.IntegrationTests --nologo --no-build --blame-hang-timeout 10m "$@"
