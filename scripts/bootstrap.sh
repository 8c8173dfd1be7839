#!/usr/bin/env bash
# Creates .venv and installs photofind into it; re-runs pip only when the dependencies change.
# Sourced by run.sh and test.sh. Usage: source scripts/bootstrap.sh [app|dev]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kind="${1:-app}"
python="${PYTHON:-python3}"
venv="$root/.venv"

# torch is pinned to a CPU build: an unpinned torch pulls a multi-GB CUDA build.
TORCH_PIN="torch==2.13.0"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
extras=""
[ "$kind" = dev ] && extras="[dev]"
stamp="$venv/.photofind-$kind"
want="$(cat "$root/pyproject.toml" "$root/scripts/bootstrap.sh" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Setting up $venv (first run takes a few minutes)…" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet "$TORCH_PIN"
  "$venv/bin/python" -m pip install --quiet -e "$root$extras" "$TORCH_PIN"
  echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
