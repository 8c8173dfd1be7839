#!/usr/bin/env bash
# Build the Linux app: a one-folder PyInstaller bundle in dist/photofind/, then smoke-test it.
#
#   packaging/build.sh            # build and smoke-test
#   packaging/build.sh --no-smoke # build only
#
# Needs only what a clean clone has and Python >= 3.10 (PYTHON picks the interpreter). Builds in
# its own virtual environment, build/venv (not the development .venv), with the same pinned CPU
# build of PyTorch as scripts/bootstrap.sh, photofind installed from this checkout, and a pinned
# PyInstaller. The run then starts on the desktop with packaging/install-desktop-entry.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

smoke=1
case "${1:-}" in
  --no-smoke) smoke=0 ;;
  "") ;;
  *)
    echo "usage: packaging/build.sh [--no-smoke]" >&2
    exit 2
    ;;
esac

python="${PYTHON:-python3}"
venv="$root/build/venv"
# torch is pinned to a CPU build (as in scripts/bootstrap.sh): an unpinned torch pulls a
# multi-GB CUDA build, which would also land in the bundle.
TORCH_PIN="torch==2.13.0"
PYINSTALLER_PINS=("pyinstaller==6.22.3" "pyinstaller-hooks-contrib==2026.9")

start=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
  echo "== creating $venv" >&2
  "$python" -m venv "$venv"
fi
# Dependencies are (re)installed when their declaration changes; photofind itself every build,
# so the bundle always holds this checkout's code.
stamp="$venv/.photofind-build"
want="$(cat pyproject.toml packaging/build.sh | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== installing build dependencies (first run takes a few minutes)" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip "setuptools>=69" wheel
  "$venv/bin/python" -m pip install --quiet "$TORCH_PIN"
  "$venv/bin/python" -m pip install --quiet "$root" "$TORCH_PIN" "${PYINSTALLER_PINS[@]}"
  echo "$want" >"$stamp"
fi
echo "== installing photofind from $root" >&2
"$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation --force-reinstall "$root"
# pip builds the wheel in build/ when it is free; leave nothing there for PyInstaller to trip on.
rm -rf "$root/build/lib" "$root/build/bdist."*

echo "== PyInstaller" >&2
rm -rf "$root/dist/photofind"
"$venv/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$root/dist" --workpath "$root/build/pyinstaller" packaging/photofind.spec
# The desktop-entry installer travels with the bundle: it finds the .desktop file, metainfo and
# icons inside it (the spec puts them there) and points the entry at the bundle's executable.
install -m 755 packaging/install-desktop-entry.sh "$root/dist/photofind/install-desktop-entry.sh"
built=$(date +%s)

size="$(du -sh "$root/dist/photofind" | cut -f1)"
echo "== built $root/dist/photofind ($size) in $((built - start)) s" >&2

if [ "$smoke" = 1 ]; then
  echo "== smoke test" >&2
  "$venv/bin/python" packaging/smoke.py "$root/dist/photofind/photofind"
fi
