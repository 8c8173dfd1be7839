#!/usr/bin/env bash
# Lint, check the architecture contract and run the test suite (sets up .venv on first use).
# Tests run on every core (pytest-xdist; `-n 0` runs them in this process). `./test.sh --quick`
# runs only the core and command-line tests not marked slow; any other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${1:-}" == "--quick" ]]; then
    shift
    set -- -m "not slow" tests/core tests/test_cli*.py tests/test_test_hygiene.py \
        tests/test_code_shape.py "$@"
fi
source scripts/bootstrap.sh dev
export QT_QPA_PLATFORM=offscreen
echo "== ruff check" && ruff check .
echo "== ruff format --check" && ruff format --check .
echo "== import contracts" && lint-imports
echo "== pytest" && python -m pytest -n auto "$@"
