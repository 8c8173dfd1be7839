"""The library worker's indexing: folder changes, and index runs taken one step at a time
so that searches are answered between two steps."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from photofind.core.api import SETTLE_SECONDS, IndexProgress, Library
from photofind.core.errors import LibraryBusyError, PhotofindError, first_line

if TYPE_CHECKING:
    from photofind.gui.worker import LibraryWorker

# Progress signals are throttled: the status bar cannot show more, and a flood of queued
# signals would itself load the GUI thread.
PROGRESS_INTERVAL_SECONDS = 0.1
# How soon indexing is tried again while another process holds the library's index lock.
BUSY_RETRY_SECONDS = 30.0
# How often, at most, the library's photo count is refreshed while indexing adds photos:
# often enough that it keeps up with the progress beside it, and never so often that
# counting takes more than a small share of the worker's time (STATE_COST_SHARE).
STATE_INTERVAL_SECONDS = 0.5
STATE_COST_SHARE = 0.04
MAX_STATE_INTERVAL_SECONDS = 5.0  # one slow count (a cold disk) must not silence it for long

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LibraryState:
    folders: tuple[str, ...]
    excluded: tuple[str, ...]
    photos: int
    failed: int
    pending: int
    # How many photos removing each folder would take out of the library.
    folder_photos: dict[str, int] = field(default_factory=dict)


class Indexing:
    """Part of LibraryWorker, on the worker thread."""

    def _change_folders(
        self: LibraryWorker, change: Callable[[Library], object], index: bool = True
    ) -> None:
        """Make a change, then index (with `index`, or to finish a run it interrupted)."""
        assert self._library is not None
        interrupted = self._run is not None
        # A run in progress may still hold files of a folder just removed or excluded.
        self._end_index()
        try:
            change(self._library)
        finally:
            self._emit_state()
            self._watch()
            self._index_wanted = self._index_wanted or index or interrupted

    def _restart_index(self: LibraryWorker) -> None:
        self._end_index()
        self._index_wanted = True

    def _start_index(self: LibraryWorker) -> None:
        assert self._library is not None
        self._run_only = None if self._index_wanted else self._scopes
        self._index_wanted, self._scopes = False, []
        self._cancel = threading.Event()
        self._run = self._library.index(
            cancel=self._cancel,
            settle_seconds=SETTLE_SECONDS,
            model_in_background=True,
            only=self._run_only,
            text_setting=self.text_setting,
        )

    def _step(self: LibraryWorker) -> None:
        assert self._run is not None
        try:
            progress = next(self._run)
        except StopIteration:
            self._run = None
            return
        except Exception as exc:
            self._run = None
            self._index_failed(exc)
            return
        if progress.phase == "done":
            self._finished(progress)
            return
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_INTERVAL_SECONDS:
            self._last_progress = now
            self.indexProgress.emit(progress)
        if now - self._last_state >= self._state_interval:
            self._emit_state()

    def _index_failed(self: LibraryWorker, exc: Exception) -> None:
        if isinstance(exc, LibraryBusyError):
            # Another process (e.g. `photofind watch`) is indexing: try again later.
            self._look_again(BUSY_RETRY_SECONDS)
        elif not isinstance(exc, PhotofindError):
            log.error("indexing failed", exc_info=exc)
        self.problem.emit(f"indexing stopped: {first_line(exc)}")
        self.indexFinished.emit(IndexProgress("done", 0, 0, 0.0, cancelled=True))
        self._emit_state()

    def _finished(self: LibraryWorker, progress: IndexProgress) -> None:
        if self._run is not None:
            self._run.close()  # type: ignore[attr-defined]
        self._run = None
        self.indexFinished.emit(progress)
        self._emit_state()
        if progress.counts.encoded or progress.counts.removed:
            self._commands.put(self._emit_tags)  # the counts changed (the start page shows them)
        if self._watcher is not None and self._library is not None:
            self._watcher.set_places(self._library.places())
        if progress.counts.deferred:
            # Files still being written: look again once they had time to settle.
            self._look_again(SETTLE_SECONDS)

    def _end_index(self: LibraryWorker, report: bool = True) -> None:
        """Cancel the run in progress; the generator saves what is finished before it ends.
        With `report`, the window hears that indexing finished."""
        if self._run is None:
            return
        self._cancel.set()
        try:
            for progress in self._run:
                if progress.phase == "done":
                    if report:
                        self._finished(progress)
                    break
        except Exception:
            log.exception("indexing failed while stopping")
        self._run = None

    def _pause_index(self: LibraryWorker) -> None:
        """Pausing ends the run, so the library's index lock is free for another process
        (a `photofind index` would otherwise wait as long as the pause lasts); resuming
        starts a new run, which skips everything indexed so far. The window keeps showing
        "Paused · 1,234 of 5,000": its count must be of everything indexed so far."""
        self._end_index(report=False)
        self._index_wanted = True
        self._emit_state()

    def _emit_state(self: LibraryWorker) -> None:
        assert self._library is not None
        started = time.monotonic()
        library = self._library
        counts = library.counts()
        folder_photos = library.folder_photos()
        self._last_state = time.monotonic()
        cost = self._last_state - started
        self._state_interval = min(
            MAX_STATE_INTERVAL_SECONDS, max(STATE_INTERVAL_SECONDS, cost / STATE_COST_SHARE)
        )
        self.stateChanged.emit(
            LibraryState(
                folders=tuple(library.folders()),
                excluded=tuple(library.excluded()),
                photos=counts["photos"],
                failed=counts["failed"],
                pending=counts["pending"],
                folder_photos=folder_photos,
            )
        )
