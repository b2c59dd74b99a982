#!/usr/bin/env bash
# Runs the whole test suite: unit tests and integration tests that start real servers and sandboxed functions.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash scripts/setup.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet test Ferry.slnx --nologo --blame-hang-timeout 10m "$@"
