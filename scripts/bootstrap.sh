#!/usr/bin/env bash
# Creates .venv and installs photofind into it; re-runs pip only when the dependencies change.
# Sourced by run.sh and test.sh. Usage: source scripts/bootstrap.sh [app|dev]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kind="${1:-app}"
python="${PYTHON:-python3}"
venv="$root/.venv"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi

# torch is pinned to a CPU build: an unpinned torch pulls a multi-GB CUDA build. That build
# is what an NVIDIA GPU needs: PHOTOFIND_GPU=1 asks for it once, with the torchvision made
# for it (JPEG decoding on the GPU, photofind[gpu]); the venv remembers the choice until
# PHOTOFIND_GPU=0.
TORCH_PIN="torch==2.13.0"
gpu=""
upgrade=""
leaving_gpu=""
case "${PHOTOFIND_GPU:-}" in
  1) touch "$venv/.photofind-gpu" ;;
  0) [ -f "$venv/.photofind-gpu" ] && leaving_gpu=1
     rm -f "$venv/.photofind-gpu" ;;
esac
if [ -f "$venv/.photofind-gpu" ]; then
  TORCH_PIN="torch"
  gpu="gpu"
  upgrade="--upgrade"  # past the CPU build a first set-up may have installed
fi
wanted_extras="$gpu"
[ "$kind" = dev ] && wanted_extras="${wanted_extras:+$wanted_extras,}dev"
extras="${wanted_extras:+[$wanted_extras]}"
stamp="$venv/.photofind-$kind"
want="$( (cat "$root/pyproject.toml" "$root/scripts/bootstrap.sh"; echo "$TORCH_PIN$extras") | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Setting up $venv (first run takes a few minutes)…" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet $upgrade "$TORCH_PIN"
  "$venv/bin/python" -m pip install --quiet -e "$root$extras" "$TORCH_PIN"
  if [ -n "$leaving_gpu" ]; then
    # A torchvision built for the CUDA torch breaks on import beside the CPU one, and
    # transformers imports it whenever it is installed.
    "$venv/bin/python" -m pip uninstall --quiet --yes torchvision
  fi
  echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
