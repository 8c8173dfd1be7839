"""Child process: launch the desktop app as `python -m photofind ARGS` would, and report
when its main window is shown and first painted, then quit.

    python benchmarks/_gui_probe.py --data-dir D --model M

The app has no start-up hook, so this wraps `QApplication.exec` before the app runs: the
wrapper watches for the first top-level QMainWindow that is visible and has painted. Times
are `time.monotonic()` (system-wide on Linux), so the parent can subtract its launch time.
Prints `PROBE {json}`.
"""

from __future__ import annotations

import json
import runpy
import sys
import time
from typing import Any


def _report(payload: dict[str, Any]) -> None:
    print("PROBE " + json.dumps(payload), flush=True)


def main() -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    times: dict[str, float] = {}
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

        def check() -> None:
            windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow)]
            if "shown" not in times and any(w.isVisible() for w in windows):
                times["shown"] = time.monotonic()
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
