"""Smoke test of a built bundle: its executable indexes, searches and opens its window.

    python packaging/smoke.py dist/photofind/photofind

packaging/build.sh runs it after every build. Needs numpy and Pillow (to draw the test photos
with tests/shapes.py) and nothing from the bundle's own environment; every run is hermetic: a
fresh home, data folder and Hugging Face cache, offline, with the tiny CLIP fixture model.
Exits 0 when every check passes, else 1 with what failed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from shapes import CLASSES, caption, generate_folder  # noqa: E402

MODEL = ROOT / "tests" / "fixture_model" / "tiny-clip"
PER_CLASS = 3
COMMAND_TIMEOUT_S = 300
GUI_START_TIMEOUT_S = 120
GUI_RUN_S = 5
GUI_EXIT_TIMEOUT_S = 30


class SmokeError(Exception):
    pass


def run(exe: Path, env: dict[str, str], *args: str) -> str:
    """Run the bundle's executable; its stdout, or SmokeError with its stderr."""
    started = time.monotonic()
    result = subprocess.run(
        [str(exe), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    took = time.monotonic() - started
    if result.returncode != 0:
        command = " ".join(args)
        raise SmokeError(f"`photofind {command}` exited {result.returncode}:\n{result.stderr}")
    print(f"ok   photofind {' '.join(args)}  ({took:.1f} s)")
    return result.stdout


def last_json(out: str) -> object:
    return json.loads(out.strip().splitlines()[-1])


def check_bundle(exe: Path) -> None:
    internal = exe.parent / "_internal"
    wanted = [
        internal / "photofind" / "resources" / "icons" / "photofind.svg",
        internal / "photofind" / "resources" / "icons" / "photofind-256.png",
        internal / "resources" / "io.github.photofind.Photofind.desktop",
        internal / "resources" / "io.github.photofind.Photofind.metainfo.xml",
        exe.parent / "install-desktop-entry.sh",
    ]
    missing = [str(p) for p in wanted if not p.exists()]
    platforms = list(internal.glob("PySide6/Qt/plugins/platforms/*qoffscreen*"))
    if not platforms:
        missing.append("the Qt offscreen platform plugin")
    if missing:
        raise SmokeError("the bundle lacks: " + ", ".join(missing))
    cuda = sorted(p.name for p in internal.rglob("libcud*"))
    if cuda:
        raise SmokeError(f"the bundle holds CUDA libraries, which the CPU build never uses: {cuda}")
    print("ok   the bundle holds the icons, desktop files and Qt plugins, and no CUDA libraries")


def check_cli(exe: Path, env: dict[str, str], work: Path) -> None:
    photos = work / "photos"
    generate_folder(photos, PER_CLASS)
    data = work / "data"
    common = ("--data-dir", str(data), "--model", str(MODEL), "--device", "cpu")

    run(exe, env, "--version")
    counts = last_json(run(exe, env, *common, "index", str(photos), "--json"))
    expected = PER_CLASS * len(CLASSES)
    if not isinstance(counts, dict) or counts.get("encoded") != expected:
        raise SmokeError(f"index: expected {expected} photos encoded, got {counts}")

    query = caption("red", "circle")
    hits = last_json(run(exe, env, *common, "search", query, "--top", "5", "--json"))
    if not isinstance(hits, list) or not hits:
        raise SmokeError(f"search {query!r}: no results ({hits})")
    first = Path(hits[0]["path"]).name
    if not first.startswith("red_circle_"):
        raise SmokeError(f"search {query!r}: a red circle should come first, got {first}")
    print(f"ok   {query!r} -> {first} (score {hits[0]['score']:.3f})")

    status = last_json(run(exe, env, *common, "status", "--json"))
    if not isinstance(status, dict) or int(status.get("photos", -1)) != expected:
        raise SmokeError(f"status: expected {expected} photos, got {status}")


def check_gui(exe: Path, env: dict[str, str], work: Path) -> None:
    """The window opens offscreen, its library worker starts, it stays up, and SIGTERM closes it
    with exit status 0, its settings saved."""
    gui_env = {**env, "QT_QPA_PLATFORM": "offscreen"}
    data = work / "gui-data"
    app = subprocess.Popen(
        [str(exe), "--data-dir", str(data), "--model", str(MODEL), "--device", "cpu"],
        env=gui_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    err = ""
    try:
        # The library file appears once the window is up and its worker has started (as in
        # tests/gui/test_library.py).
        deadline = time.monotonic() + GUI_START_TIMEOUT_S
        while not (data / "library.db").exists():
            if app.poll() is not None:
                _, err = app.communicate()
                raise SmokeError(f"the app exited {app.returncode} at start:\n{err}")
            if time.monotonic() > deadline:
                raise SmokeError(f"the app did not start within {GUI_START_TIMEOUT_S} s")
            time.sleep(0.2)
        time.sleep(GUI_RUN_S)
        if app.poll() is not None:
            _, err = app.communicate()
            raise SmokeError(f"the app exited {app.returncode} while running:\n{err}")
        app.send_signal(signal.SIGTERM)
        try:
            _, err = app.communicate(timeout=GUI_EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise SmokeError(
                f"the app was still running {GUI_EXIT_TIMEOUT_S} s after SIGTERM"
            ) from None
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    if app.returncode != 0:
        raise SmokeError(f"the app exited {app.returncode} on SIGTERM:\n{err}")
    if "Traceback" in err:
        raise SmokeError(f"the app printed a traceback:\n{err}")
    if not (data / "settings.ini").exists():
        raise SmokeError("the app did not save its settings on SIGTERM")
    print(f"ok   the app opened offscreen, ran {GUI_RUN_S} s and closed on SIGTERM (exit 0)")


def hermetic_env(work: Path) -> dict[str, str]:
    home = work / "home"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PHOTOFIND_", "HF_", "XDG_", "QT_", "PYTHON"))
    }
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        HF_HOME=str(home / "hf"),
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
    )
    return env


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python packaging/smoke.py PATH/TO/photofind", file=sys.stderr)
        return 2
    exe = Path(argv[0]).resolve()
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        print(f"smoke: {exe} is not an executable", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="photofind-smoke-") as tmp:
        work = Path(tmp)
        env = hermetic_env(work)
        try:
            check_bundle(exe)
            check_cli(exe, env, work)
            check_gui(exe, env, work)
        except (SmokeError, subprocess.TimeoutExpired) as error:
            print(f"FAIL {error}", file=sys.stderr)
            return 1
    print(f"smoke: all checks passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
