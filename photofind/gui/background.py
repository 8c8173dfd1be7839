"""Running plain functions on a thread pool and getting their results back on the GUI thread."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from photofind.core.api import lower_this_threads_priority


class _Delivery(QObject):
    # Emitted from pool threads; Qt queues it to the thread this object lives in (the GUI's).
    finished = Signal(object, object)


class Background:
    """A private pool, so thumbnail and preview jobs never wait behind other users of Qt's
    global pool. Results (or the exception raised) go to `on_done` on the GUI thread."""

    def __init__(self, threads: int | None = None) -> None:
        self.pool = QThreadPool()
        # Leave a core for the GUI and the model; decoding JPEGs scales well to a few threads.
        self.pool.setMaxThreadCount(threads or max(2, min(4, (os.cpu_count() or 2) - 1)))
        self._delivery = _Delivery()
        self._delivery.finished.connect(self._deliver)
        self._closed = False

    def submit(
        self, job: Callable[[], Any], on_done: Callable[[Any], None], priority: int = 0
    ) -> None:
        if self._closed:
            return

        def run() -> None:
            lower_this_threads_priority()
            try:
                result = job()
            except Exception as exc:  # handed to on_done, which decides what the user sees
                result = exc
            if not self._closed:
                self._delivery.finished.emit(on_done, result)

        self.pool.start(run, priority)

    def drop_queued(self) -> None:
        """Forget jobs not started yet (running ones finish)."""
        self.pool.clear()

    def shutdown(self, timeout_ms: int = 3000) -> None:
        self._closed = True
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)

    @staticmethod
    def _deliver(on_done: Callable[[Any], None], result: Any) -> None:
        on_done(result)
