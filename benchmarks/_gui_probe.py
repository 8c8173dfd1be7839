"""Child process: launch the desktop app as `python -m photofind ARGS` would, and report
when its main window is shown and first painted, then quit.

    python benchmarks/_gui_probe.py [--probe-query TEXT] --data-dir D --model M

The app has no start-up hook, so this wraps `QApplication.exec` before the app runs: the
wrapper watches for the first top-level QMainWindow that is visible and has painted. With
`--probe-query`, it then types TEXT into the search bar and presses Return at once, as a
person would, and also waits for the first results in the grid; a 10 ms heartbeat timer on
the GUI thread measures the longest gap until then (time the window could not answer).
Times are `time.monotonic()` (system-wide on Linux), so the parent can subtract its launch
time. Prints `PROBE {json}`.
"""

from __future__ import annotations

import itertools
import json
import runpy
import sys
import time
from typing import Any


def _report(payload: dict[str, Any]) -> None:
    print("PROBE " + json.dumps(payload), flush=True)


def main() -> None:
    from PySide6.QtCore import QEvent, QObject, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMainWindow

    query = None
    if sys.argv[1:2] == ["--probe-query"]:
        query = sys.argv[2]
        del sys.argv[1:3]
    times: dict[str, Any] = {}
    beats: list[float] = []
    original_exec = QApplication.exec

    class PaintWatch(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if (
                "painted" not in times
                and event.type() == QEvent.Type.Paint
                and isinstance(obj, QMainWindow)
            ):
                times["painted"] = time.monotonic()
            return False

    watch = PaintWatch()

    def probing_exec(app: QApplication | None = None) -> int:
        app = app or QApplication.instance()  # type: ignore[assignment]
        assert app is not None
        app.installEventFilter(watch)

        heartbeat = QTimer()
        heartbeat.setInterval(10)
        heartbeat.timeout.connect(lambda: beats.append(time.monotonic()))
        heartbeat.start()

        def typed_and_answered(window: Any) -> bool:
            if "typed" not in times:
                QTest.keyClicks(window.search, query)
                QTest.keyClick(window.search, Qt.Key.Key_Return)
                times["typed"] = time.monotonic()
            if window.results.rowCount() == 0:
                return False
            times["results"] = time.monotonic()
            times["imported"] = sorted({"torch", "transformers"} & set(sys.modules))
            until = [t for t in beats if t <= times["results"]]
            gaps = [b - a for a, b in itertools.pairwise(until)]
            times["longest_gap"] = max(gaps, default=0.0)
            return True

        def check() -> None:
            windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow)]
            if "shown" not in times and any(w.isVisible() for w in windows):
                times["shown"] = time.monotonic()
            if query and windows and "shown" in times and not typed_and_answered(windows[0]):
                QTimer.singleShot(2, check)
                return
            if "painted" in times:
                times.setdefault("shown", times["painted"])
                _report(times)
                for w in windows:
                    w.close()
                # Closing lets the app stop its workers; if a model load keeps it busy,
                # the parent kills the process, the times are already out.
                QTimer.singleShot(3000, app.quit)
                return
            QTimer.singleShot(2, check)

        QTimer.singleShot(0, check)
        return original_exec()

    QApplication.exec = probing_exec  # type: ignore[method-assign]
    sys.argv = ["photofind", *sys.argv[1:]]
    try:
        runpy.run_module("photofind", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if "painted" not in times:
            _report({"error": f"app exited with status {exc.code} before showing a window"})


if __name__ == "__main__":
    main()
