"""`photofind watch` on a 100,000-photo library (issue #15, point 9).

    python -m benchmarks.watch_bench [--photos 100000] [--new 5] [--idle 30] [--runs 3]

On search_bench's library with files on disk (`ensure_library(files=True)`: one-byte photos,
1,000 to a folder, every one indexed), with its database copied to a scratch data dir so the
cached library stays as it is, and the real-shape ViT-B/32 (make_model):

- **new photo searchable**: while `photofind watch` runs, a 12-MP JPEG (make_photos) is
  copied into one of the library's folders; measured from the end of the copy until the
  library holds it with its vector (polled read-only every 20 ms), which is when a search
  finds it (a search command's own start-up aside: the "Instant" rows). The first photo
  also loads the model into the watch, and is reported on its own; `--new` more are timed,
  each once the watch has been quiet for a while. `photofind status --json` counts them all
  at the end.
- **idle CPU**: the watch process's CPU time (utime + stime in /proc/PID/stat) over `--idle`
  seconds in which nothing changes, as a share of one core.
- **no-change index**: a whole `photofind index FOLDER` on the scratch library once the
  watch has stopped, median of `--runs` after one unmeasured run (as benchmarks/instant.py).

Each row says how many cores other processes kept busy meanwhile. The photos copied in are
removed at the end. Writes its rows into RESULTS.md between markers; `--out` elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import commands
from benchmarks.instant import median_of, status, write_section
from benchmarks.machine import CpuMeter, describe, engine_revision, load_average
from benchmarks.make_model import ensure_model
from benchmarks.make_photos import ensure_photos
from benchmarks.search_bench import ensure_library, photo_path
from photofind.core.index.store import DB_NAME
from photofind.core.model.ref import model_key

# The helper that drives `photofind watch` is shared with the tests that cover it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from watch_process import WatchProcess

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- watch: begin -->", "<!-- watch: end -->"
TARGETS = {"new": 3.0, "idle": 0.02, "index": 3.0}
POLL_SECONDS = 0.02
QUIET_SECONDS = 10.0  # nothing printed this long: the watch has nothing left to do
GIVE_UP_SECONDS = 600.0


@dataclass
class Figures:
    photos: int
    first: float = 0.0  # the first new photo, the model's load included
    new: list[float] = field(default_factory=list)
    new_others: float = 0.0  # cores other processes kept busy meanwhile
    idle_share: float = 0.0  # of one core
    idle_seconds: float = 0.0
    idle_others: float = 0.0
    index: float = 0.0
    index_runs: list[float] = field(default_factory=list)
    index_others: float = 0.0
    counted: int = 0  # photos `photofind status` counted at the end


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=5)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    model = ensure_model()
    source = ensure_library(args.photos, model_key(str(model)), files=True)
    root = source.with_name(source.name + "-photos")
    photos = sorted(ensure_photos(240).glob("IMG_*.jpg"))[: args.new + 1]
    load = load_average()
    with tempfile.TemporaryDirectory(prefix="watch-bench-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        shutil.copyfile(source / DB_NAME, data / DB_NAME)
        figures = measure(data, model, root, photos, args)
    rows = table(figures)
    write(args.out, rows, load)
    for r in rows:
        print(" | ".join(r))
    return 0


def measure(
    data: Path, model: Path, root: Path, photos: list[Path], args: argparse.Namespace
) -> Figures:
    figures = Figures(args.photos)
    common = ["--data-dir", str(data), "--model", str(model), "--device", "cpu"]
    env = {**commands.child_env(), "PHOTOFIND_DATA_DIR": str(data), "PHOTOFIND_MODEL": str(model)}
    env["PHOTOFIND_DEVICE"] = "cpu"
    folder = Path(photo_path(args.photos // 2, str(root))).parent
    added = [folder / f"WATCH_BENCH_{i}.jpg" for i in range(len(photos))]
    try:
        watch = WatchProcess(env)
        try:
            _wait(lambda: len(watch.summaries()) >= 1, "the watch's first run")
            with _Database(data / DB_NAME) as db:
                pairs = list(zip(photos, added, strict=True))
                figures.first = _add(watch, db, *pairs[0])
                meter = _Meter(watch.proc.pid)
                figures.new = [_add(watch, db, photo, to) for photo, to in pairs[1:]]
                figures.new_others = meter.others_cores()
            figures.idle_share, figures.idle_others = _idle(watch, args.idle)
            figures.idle_seconds = args.idle
        finally:
            log = watch.stop()
        assert "Traceback" not in log, log
        meter_index = CpuMeter()
        figures.index, figures.index_runs = median_of(args.runs, [*common, "index", str(root)])
        figures.index_others = meter_index.others_cores()
        counts = _status(common)
        figures.counted = counts["photos"] + counts["failed"] + counts["pending"]
    finally:
        for path in added:
            path.unlink(missing_ok=True)
    return figures


def _add(watch: WatchProcess, db: _Database, photo: Path, to: Path) -> float:
    """Seconds from a photo copied into the library until it is searchable."""
    _wait(lambda: time.monotonic() - watch.last_line_at > QUIET_SECONDS, "a quiet watch")
    shutil.copyfile(photo, to)
    written = time.monotonic()
    _wait(lambda: db.has_vector(to), f"{to.name} in the library", POLL_SECONDS)
    return time.monotonic() - written


def _idle(watch: WatchProcess, seconds: float) -> tuple[float, float]:
    """The watch's share of one core, and the cores others kept busy, while nothing changes."""
    _wait(lambda: time.monotonic() - watch.last_line_at > QUIET_SECONDS, "a quiet watch")
    lines = len(watch.lines)
    meter = _Meter(watch.proc.pid)
    time.sleep(seconds)
    share = meter.process_cores()
    assert len(watch.lines) == lines, "the watch did something while idle"
    return share, meter.others_cores()


class _Meter:
    """CPU time of one process, and of everything else on the machine, from now on."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.machine = CpuMeter()
        self.started = time.perf_counter()
        self.cpu = self._cpu()

    def _cpu(self) -> float:
        text = Path(f"/proc/{self.pid}/stat").read_text()
        fields = text[text.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def process_cores(self) -> float:
        return (self._cpu() - self.cpu) / (time.perf_counter() - self.started)

    def others_cores(self) -> float:
        """Cores kept busy by processes other than this one and the measured one."""
        return max(0.0, self.machine.others_cores() - self.process_cores())


class _Database:
    """The library's database, read-only, as a second process sees it."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)

    def __enter__(self) -> _Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.conn.close()

    def has_vector(self, path: Path) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM photos p JOIN vectors v ON v.photo_id = p.id WHERE p.path = ?",
            (str(path),),
        ).fetchone()
        return row is not None


def _wait(ready: Callable[[], bool], what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} after {GIVE_UP_SECONDS:.0f} s")
        time.sleep(every)


def _status(common: list[str]) -> dict[str, int]:
    proc = subprocess.run(
        [*commands.photofind_command(), *common, "status", "--json"],
        capture_output=True,
        text=True,
        env=commands.child_env(),
        check=True,
    )
    return json.loads(proc.stdout)


def table(f: Figures) -> list[tuple[str, str, str, str]]:
    new = statistics.median(f.new)
    n = f"{f.photos:,} photos"
    each = ", ".join(f"{s:.2f} s" for s in f.new)
    index_each = ", ".join(f"{s:.2f} s" for s in f.index_runs)
    return [
        (
            f"New photo searchable under `photofind watch`, {n}",
            f"{new:.2f} s (median; each: {each}); the first, loading the model: {f.first:.2f} s;"
            f" `status` counted {f.counted:,} after; others kept {f.new_others:.2f} cores busy",
            f"≤ {TARGETS['new']:.2f} s",
            status(new, TARGETS["new"]),
        ),
        (
            f"`photofind watch` idle CPU, {n}",
            f"{f.idle_share:.2%} of one core over {f.idle_seconds:.0f} s;"
            f" others kept {f.idle_others:.2f} cores busy",
            f"< {TARGETS['idle']:.0%}",
            status(f.idle_share, TARGETS["idle"]),
        ),
        (
            f"`photofind index FOLDER`, nothing changed, {n}",
            f"{f.index:.2f} s ({index_each}); others kept {f.index_others:.2f} cores busy",
            f"≤ {TARGETS['index']:.2f} s",
            status(f.index, TARGETS["index"]),
        ),
    ]


def write(out: Path, rows: list[tuple[str, str, str, str]], load: float) -> None:
    machine = describe()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Watching a large library (issue #15, point 9)",
        "",
        f"Generated by `python -m benchmarks.watch_bench` on {stamp}, photofind at"
        f" {engine_revision(HERE.parent)}, {machine.cpu} ({machine.cores} cores), load average"
        f" {load:.2f} at the start; the real-shape ViT-B/32 on the CPU, search_bench's library"
        " with its files on disk (how: the module's docstring).",
        "",
        "| What the user does | Measured | Target | Status |",
        "|---|---|---|---|",
        *(f"| {' | '.join(r)} |" for r in rows),
    ]
    write_section(out, BEGIN, END, lines)


if __name__ == "__main__":
    raise SystemExit(main())
