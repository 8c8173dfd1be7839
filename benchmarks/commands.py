"""Whole `photofind` commands, timed from outside as a user would experience them."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def photofind_command() -> list[str]:
    """The installed console script beside this interpreter, else `python -m photofind`."""
    script = Path(sys.executable).parent / "photofind"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "photofind"]


def child_env(home: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    # A local model folder needs no hub; offline mode also rules out a stray network wait.
    env["HF_HUB_OFFLINE"] = "1"
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("PHOTOFIND_DATA_DIR", None)
    # A user's Python caches compiled modules (and the packaged app ships them); without
    # the cache every command would compile photofind anew, which no user waits for.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if home is not None:
        # Keep anything the app writes (settings, caches) out of the real user folders.
        for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):
            env[var] = str(home / sub)
    return env


def warm_page_cache(paths: list[Path]) -> None:
    """Read every file once so each timed run finds them in memory, as the runs it is
    compared with do; reading from a cold disk is a different benchmark."""
    for p in paths:
        with p.open("rb") as f:
            while f.read(1 << 22):
                pass


@dataclass
class IndexRun:
    photos: int
    seconds: float
    counts: dict[str, int]


def time_index(
    folder: Path, model: Path, work: Path, device: str = "cpu", env: dict[str, str] | None = None
) -> IndexRun:
    """One whole `photofind index FOLDER --json` on a fresh data dir (`env`: added to the
    child's environment)."""
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=work))
    cmd = [
        *photofind_command(),
        "--data-dir",
        str(data_dir),
        "--model",
        str(model),
        "--device",
        device,
        "index",
        str(folder),
        "--json",
    ]
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**child_env(), **(env or {})}, check=False
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"photofind index failed ({proc.returncode}): {proc.stderr[-2000:]}")
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    shutil.rmtree(data_dir, ignore_errors=True)
    return IndexRun(counts.get("encoded", 0), seconds, counts)


@dataclass
class ColdSearch:
    python_startup: float  # `python -c pass`, the floor under any command
    phases: dict[str, float] = field(default_factory=dict)  # from the breakdown child
    top_imports: list[tuple[str, float]] = field(default_factory=list)  # -X importtime


def _run_json(cmd: list[str], env: dict[str, str]) -> tuple[dict[str, object], str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def search_command(data_dir: Path, model: Path, query: str) -> list[str]:
    return [
        *photofind_command(),
        "--data-dir",
        str(data_dir),
        "--model",
        str(model),
        "--device",
        "cpu",
        "search",
        query,
        "--top",
        "20",
        "--json",
    ]


def time_cold_search(data_dir: Path, model: Path, query: str) -> float:
    """Wall seconds of one whole `photofind search` command in a new process."""
    start = time.perf_counter()
    proc = subprocess.run(
        search_command(data_dir, model, query),
        capture_output=True,
        text=True,
        env=child_env(),
        check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"photofind search failed: {proc.stderr[-2000:]}")
    return seconds


def cold_search_breakdown(data_dir: Path, model: Path, query: str) -> ColdSearch:
    """Where a cold search's time goes: phases from `_cold_search.py`, the slowest imports
    from `-X importtime` of the same script, and the bare interpreter's start-up."""
    env = child_env()
    floor = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        floor.append(time.perf_counter() - start)
    probe = [sys.executable, str(HERE / "_cold_search.py"), str(data_dir), str(model), query]
    phases, _ = _run_json(probe, env)
    _, stderr = _run_json([sys.executable, "-X", "importtime", *probe[1:]], env)
    return ColdSearch(
        statistics.median(floor),
        {k: float(v) for k, v in phases.items()},  # type: ignore[arg-type]
        top_level_imports(stderr),
    )


def top_level_imports(importtime: str, count: int = 8) -> list[tuple[str, float]]:
    """The slowest top-level packages from `-X importtime` (cumulative seconds each)."""
    totals: dict[str, float] = {}
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        name = name[1:]  # one space follows the bar; two more per level of nesting
        if name.startswith("  ") or not cumulative.strip().isdigit():
            continue  # nested: already inside its parent's cumulative time
        top = name.strip().split(".")[0]
        totals[top] = totals.get(top, 0.0) + int(cumulative) / 1e6
    return sorted(totals.items(), key=lambda kv: -kv[1])[:count]


def gui_available() -> str | None:
    """None when the desktop app can be started here, else why not."""
    import importlib.util

    try:
        if importlib.util.find_spec("photofind.gui.app") is None:
            return "GUI not available: photofind.gui.app does not exist yet"
        if importlib.util.find_spec("PySide6") is None:
            return "GUI not available: PySide6 is not installed"
    except (ImportError, ValueError) as exc:
        return f"GUI not available: {exc}"
    return None


def measure_window(data_dir: Path, model: Path, work: Path) -> tuple[float, float]:
    """Seconds from launching the app until its main window was (shown, painted)."""
    times = probe_window(data_dir, model, work)
    return times["shown"], times["painted"]


def probe_window(
    data_dir: Path, model: Path, work: Path, query: str | None = None, home: Path | None = None
) -> dict[str, Any]:
    """Launch `python -m photofind --data-dir D --model M` (via a probe that hooks
    QApplication.exec) on the offscreen platform; the probe's times (see _gui_probe.py) as
    seconds from launch. With `query`, it is typed as soon as the window shows, and
    "results" is when the grid first shows photos. The app's settings and caches go in
    `home` (default: a new folder in `work`, as on a first launch). Raises RuntimeError
    with the reason if the window (or the results) never showed."""
    home = home or Path(tempfile.mkdtemp(prefix="gui-home-", dir=work))
    cmd = [sys.executable, str(HERE / "_gui_probe.py")]
    cmd += ["--probe-query", query] if query else []
    cmd += ["--data-dir", str(data_dir), "--model", str(model)]
    launched = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(home)
    )
    # The app keeps loading the model after its window is up; once the times are out there
    # is nothing left to wait for, so the child is ended rather than awaited.
    guard = threading.Timer(90, proc.kill)
    guard.start()
    result = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("PROBE "):
            result = json.loads(line[len("PROBE ") :])
            break
    guard.cancel()
    proc.kill()
    _, err = proc.communicate()
    if not result or "painted" not in result or (query and "results" not in result):
        tail = err.strip().splitlines()
        why = (result or {}).get("error") or (tail[-1] if tail else "no output")
        raise RuntimeError(f"the app did not show a window or results ({why})")
    for key in ("shown", "painted", "typed", "results"):
        if key in result:
            result[key] -= launched
    return result


def measure_stalls(photos: int) -> dict[str, Any]:
    """Run benchmarks/gui_stall.py in a child (it needs its own QApplication)."""
    cmd = [sys.executable, "-m", "benchmarks.gui_stall", "--json", "--photos", str(photos)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=child_env(), cwd=HERE.parent, timeout=900
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()
        raise RuntimeError(tail[-1] if tail else f"exit status {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
