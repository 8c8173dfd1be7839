#!/usr/bin/env bash
# Lint, check the architecture contract and run the test suite (sets up .venv on first use).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh dev
export QT_QPA_PLATFORM=offscreen
echo "== ruff check" && ruff check .
echo "== ruff format --check" && ruff format --check .
echo "== import contracts" && lint-imports
echo "== pytest" && python -m pytest "$@"
