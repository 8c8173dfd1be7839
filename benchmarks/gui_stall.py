"""GUI responsiveness: how long the window's thread goes without handling events while the
app loads its model, indexes, and searches (issue #3: no stall over 100 ms).

    python -m benchmarks.gui_stall                 # ViT-B/32 shape, 2 × 48 12-MP JPEGs
    python -m benchmarks.gui_stall --quick         # fixture model, small shapes photos
    python -m benchmarks.gui_stall --json          # one JSON object on stdout (for run.py)

A 10 ms heartbeat `QTimer` runs on the GUI thread of the real `MainWindow` (offscreen unless
a display is set). Every interval between two heartbeats over 10 ms is time the GUI thread
could not answer the user: a slot that ran long, or the GIL held by the worker threads. The
benchmark drives the window as a person would, with the real worker, model and photos:

1. start-up: the window is shown, and the worker loads what searching needs (the text
   tower; the whole model loads in a child process once something needs encoding);
2. indexing: a folder is added while a query is shown and the grid is scrolled;
3. searching: queries typed key by key and run with Enter, then Find Similar on results;
4. searching while indexing: the same, while a second folder is being indexed.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

HEARTBEAT_MS = 10
STALL_MS = 100
DIAGNOSE_MS = 80
QUERIES = [
    "a dog running on a beach",
    "red circle",
    "mountains at sunset",
    "a birthday cake with candles",
    "two people hiking in the snow",
    "a blue car parked outside",
]


@dataclass
class PhaseStalls:
    phase: str
    seconds: float
    beats: int
    longest_ms: float
    p99_ms: float
    over_50: int
    over_100: int


class Heartbeat:
    """Records the intervals between ticks of a timer on the GUI thread, per phase.

    With `diagnose` (an open file), every thread's Python stack is written there whenever a
    beat is more than DIAGNOSE_MS late: faulthandler's watchdog runs in C, without the GIL,
    so it catches whoever holds the GUI thread or the GIL at that moment."""

    def __init__(self, diagnose: TextIO | None = None) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.diagnose = diagnose
        self.phase = ""
        self.intervals: dict[str, list[float]] = {}
        self.spans: dict[str, float] = {}
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        if self.diagnose is not None:
            faulthandler.dump_traceback_later(DIAGNOSE_MS / 1000, file=self.diagnose)
        now = time.perf_counter()
        if self.phase:
            self.intervals[self.phase].append((now - self._last) * 1000)
        self._last = now

    @contextmanager
    def measuring(self, phase: str) -> Iterator[None]:
        self.intervals[phase] = []
        self.phase = phase
        self._last = time.perf_counter()
        self._timer.start()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.spans[phase] = time.perf_counter() - started
            self._timer.stop()
            self.phase = ""
            if self.diagnose is not None:
                faulthandler.cancel_dump_traceback_later()

    def summary(self) -> list[PhaseStalls]:
        out = []
        for phase, gaps in self.intervals.items():
            ordered = sorted(gaps) or [0.0]
            out.append(
                PhaseStalls(
                    phase=phase,
                    seconds=round(self.spans.get(phase, 0.0), 1),
                    beats=len(gaps),
                    longest_ms=round(ordered[-1], 1),
                    p99_ms=round(ordered[int(0.99 * (len(ordered) - 1))], 1),
                    over_50=sum(g > 50 for g in gaps),
                    over_100=sum(g > STALL_MS for g in gaps),
                )
            )
        return out


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Run the event loop (never sleep on the GUI thread) until `condition` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(20)
    check.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
    check.start()
    if not condition():
        loop.exec()
    check.stop()
    if not condition():
        raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")


def pause(seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def linked_folder(photos: list[Path], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for photo in photos:
        target = folder / photo.name
        if not target.exists():
            os.link(photo, target)
    return folder


def inputs(quick: bool, photos: int, work: Path) -> tuple[Path, list[Path], list[Path]]:
    """The model and two disjoint photo sets (the second must need encoding too)."""
    here = Path(__file__).resolve().parent
    if quick:
        sys.path.insert(0, str(here.parent / "tests"))
        from shapes import CLASSES, generate_folder

        per_class = max(1, photos // len(CLASSES))
        paths = sorted(generate_folder(work / "shapes", per_class))
        model = here.parent / "tests" / "fixture_model" / "tiny-clip"
    else:
        from benchmarks.make_model import ensure_model
        from benchmarks.make_photos import ensure_photos

        model = ensure_model()
        paths = sorted(ensure_photos(photos).glob("IMG_*.jpg"))
    half = len(paths) // 2
    return model, paths[:half], paths[half:]


def type_query(window: object, text: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    search = window.search  # type: ignore[attr-defined]
    search.clear()
    for ch in text:
        QTest.keyClick(search, ch)
        pause(0.04)  # a fast typist
    QTest.keyClick(search, Qt.Key.Key_Return)


def scroll_a_little(window: object) -> None:
    bar = window.grid.verticalScrollBar()  # type: ignore[attr-defined]
    bar.setValue(bar.value() + 40 if bar.value() < bar.maximum() else 0)


def search_session(window: object, rounds: int) -> int:
    """Type queries, wait for their results, and Find Similar on the top result."""
    worker = window.worker  # type: ignore[attr-defined]
    answered: list[int] = []
    worker.resultsReady.connect(lambda request, _hits: answered.append(request))
    done = 0
    for i in range(rounds):
        before = len(answered)
        type_query(window, QUERIES[i % len(QUERIES)])
        wait_until(lambda before=before: len(answered) > before, 120, "search results")
        done += 1
        model = window.results  # type: ignore[attr-defined]
        if model.rowCount():
            path = model.hit(0).path
            before = len(answered)
            window.find_similar(path)  # type: ignore[attr-defined]
            wait_until(lambda before=before: len(answered) > before, 120, "similar photos")
            done += 1
        for _ in range(5):
            scroll_a_little(window)
            pause(0.05)
    return done


def run(quick: bool, photos: int, diagnose: TextIO | None = None) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from photofind.core.model.text_tower import load_early
    from photofind.gui.main_window import MainWindow
    from photofind.gui.results_page import READY_PLACEHOLDER
    from photofind.gui.settings import AppSettings, Preferences

    with tempfile.TemporaryDirectory(prefix="photofind-stall-") as tmp:
        work = Path(tmp)
        model, first, second = inputs(quick, photos, work)
        data = work / "data"
        data.mkdir()
        beat = Heartbeat(diagnose)
        prefs = Preferences(model=str(model), index_on_start=False)
        load_early(prefs.model)  # as run_app does before it builds the window
        window = MainWindow(data, AppSettings(data), prefs)
        window.resize(1100, 750)
        indexing = {"running": False}
        window.worker.indexProgress.connect(lambda _p: indexing.update(running=True))
        window.worker.indexFinished.connect(lambda _p: indexing.update(running=False))
        try:
            with beat.measuring("start-up: model loading"):
                window.show()
                wait_until(
                    lambda: window.search.placeholderText() == READY_PLACEHOLDER, 300, "model"
                )
            type_query(window, "photos of people")
            with beat.measuring("indexing (grid shown and scrolled)"):
                indexing["running"] = True
                window.add_folder(str(linked_folder(first, work / "first")))
                while indexing["running"]:
                    scroll_a_little(window)
                    pause(0.2)
            with beat.measuring("searching"):
                searches = search_session(window, 6)
            with beat.measuring("searching while indexing"):
                indexing["running"] = True
                window.add_folder(str(linked_folder(second, work / "second")))
                during = 0
                while indexing["running"]:
                    during += search_session(window, 1)
        finally:
            window.close()
            wait_until(window.worker.isFinished, 30, "the worker to stop")
        app.processEvents()
    return {
        "model": "fixture tiny CLIP" if quick else "CLIP ViT-B/32 shape (random weights)",
        "photos": len(first) + len(second),
        "searches": searches,
        "searches_while_indexing": during,
        "heartbeat_ms": HEARTBEAT_MS,
        "phases": [asdict(p) for p in beat.summary()],
    }


def render(result: dict[str, object]) -> str:
    lines = [
        "| phase | seconds | longest gap | p99 gap | gaps > 50 ms | gaps > 100 ms | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in result["phases"]:  # type: ignore[union-attr]
        startup = p["phase"].startswith("start-up")
        target = "reported" if startup else ("met" if p["over_100"] == 0 else "NOT met")
        lines.append(
            f"| {p['phase']} | {p['seconds']} | {p['longest_ms']} ms | {p['p99_ms']} ms "
            f"| {p['over_50']} | {p['over_100']} | {target} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fixture model, shapes photos")
    parser.add_argument("--photos", type=int, default=0, help="photos in both folders together")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--diagnose",
        type=Path,
        metavar="FILE",
        help=f"write every thread's stack to FILE whenever a beat is over {DIAGNOSE_MS} ms late",
    )
    args = parser.parse_args(argv)
    photos = args.photos or (48 if args.quick else 96)
    if args.diagnose:
        with open(args.diagnose, "w") as diagnose:
            result = run(args.quick, photos, diagnose)
    else:
        result = run(args.quick, photos)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['photos']} photos, {result['model']}; {result['searches']} searches, "
            f"{result['searches_while_indexing']} of them while indexing"
        )
        print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
