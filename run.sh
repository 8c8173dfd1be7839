#!/usr/bin/env bash
# Start the photofind desktop app (sets up .venv on first use). Extra arguments go to photofind.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh app
exec photofind "$@"
