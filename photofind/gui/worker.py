"""The library's own thread. It alone holds the model and the database: it runs searches,
folder changes and indexing, one step at a time, so a search typed during a long indexing
run is answered between two batches. The GUI queues commands and hears back via signals."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from photofind.core.encoder import PhotoEncoder
from photofind.core.errors import (
    DownloadCancelled,
    LibraryBusyError,
    ModelLoadError,
    PhotofindError,
    QueryError,
)
from photofind.core.filters import Filters
from photofind.core.indexer import IndexProgress
from photofind.core.library import Library
from photofind.core.watcher import FolderWatcher
from photofind.gui.photo_images import locate_in_photo

# A file modified more recently than this is probably still being copied; it is indexed on a
# later pass, once it has stopped changing.
SETTLE_SECONDS = 2.0
WATCH_DEBOUNCE_SECONDS = 1.0
# Past a few thousand, the ranking of a CLIP search says little; the grid copes with more.
RESULT_LIMIT = 10_000
# Progress signals are throttled: the status bar cannot show more, and a flood of queued
# signals would itself load the GUI thread.
PROGRESS_INTERVAL_SECONDS = 0.1
# How soon indexing is tried again while another process holds the library's index lock.
BUSY_RETRY_SECONDS = 30.0
# How often, at most, the library's photo count is refreshed while indexing adds photos:
# often enough that it keeps up with the progress beside it, and never so often that
# counting (tens of milliseconds at 100,000 photos) takes more than ~4 % of the worker.
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


@dataclass(frozen=True)
class ModelProblem:
    """Why the model is not loaded, for the window to explain in its own words."""

    model: str
    message: str  # one readable line, as the core words it
    offline: bool = False  # not downloaded yet, and the hub cannot be reached
    cancelled: bool = False  # the user stopped its download; Retry resumes


@dataclass(frozen=True)
class _Search:
    request_id: int
    text: str | None = None
    photo: str | None = None
    tag: str | None = None  # only photos carrying this tag
    filters: Filters | None = None


_Command = Callable[[], None] | _Search


class LibraryWorker(QThread):
    """Signals are emitted from the worker thread and arrive queued on the GUI thread."""

    libraryFailed = Signal(str)
    modelLoading = Signal(str)
    modelReady = Signal(str)  # searching works: queries can be answered
    encoderReady = Signal(str)  # the whole model has loaded (photos can be encoded), its device
    modelDownloading = Signal(object)  # DownloadProgress, on a first run
    modelFailed = Signal(object)  # ModelProblem
    stateChanged = Signal(object)  # LibraryState
    indexProgress = Signal(object)  # IndexProgress, phase "scanning" or "indexing"
    indexFinished = Signal(object)  # IndexProgress, phase "done"
    resultsReady = Signal(int, object)  # request id, list[Hit] best first
    searchFailed = Signal(int, str)
    problem = Signal(str)  # a command failed; one readable line
    tagsChanged = Signal(list)  # the vocabulary's tag names
    described = Signal(str, object)  # photo, list[TagScore] best first
    locateReady = Signal(str, str, object)  # photo, query, QImage of the heatmap over it
    locateFailed = Signal(str, str, str)  # photo, query, why

    def __init__(
        self,
        data_dir: Path,
        model: str,
        device: str,
        index_on_start: bool,
        search_index: str = "exact",
    ) -> None:
        super().__init__()
        self.setObjectName("photofind-library")
        self._data_dir = data_dir
        self._model = model
        self._device = device
        self._search_index = search_index
        self._commands: queue.SimpleQueue[_Command] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._paused = threading.Event()
        # Everything below belongs to the worker thread.
        self._library: Library | None = None
        self._model_ok = False
        self._index_wanted = index_on_start
        self._run: Iterator[IndexProgress] | None = None
        self._cancel = threading.Event()
        self._download_cancel = threading.Event()
        self._last_progress = 0.0
        self._last_state = 0.0
        self._state_interval = STATE_INTERVAL_SECONDS
        self._state_is_current = False  # nothing was written since the last state
        self._poke_at: float | None = None
        self._watcher: FolderWatcher | None = None
        self._watch_stop = threading.Event()
        self._watch_thread: threading.Thread | None = None

    # -- called from the GUI thread -------------------------------------------

    def search_text(
        self, request_id: int, text: str, tag: str | None = None, filters: Filters | None = None
    ) -> None:
        self._commands.put(_Search(request_id, text=text, tag=tag, filters=filters))

    def search_similar(
        self, request_id: int, photo: str, tag: str | None = None, filters: Filters | None = None
    ) -> None:
        self._commands.put(_Search(request_id, photo=photo, tag=tag, filters=filters))

    def describe(self, photo: str) -> None:
        """The tags that best describe `photo` (answered by `described`)."""
        self._commands.put(lambda: self._describe(photo))

    def locate(self, photo: str, query: str, max_side: int) -> None:
        """Where in `photo` the query matches: a heatmap over it (issue #7's Show Where)."""
        self._commands.put(lambda: self._locate(photo, query, max_side))

    def add_folder(self, path: str) -> None:
        self._paused.clear()  # adding a folder is an explicit ask to index it
        self._commands.put(lambda: self._change_folders(lambda lib: lib.add_folders([path])))

    def remove_folder(self, path: str) -> None:
        self._commands.put(lambda: self._change_folders(lambda lib: lib.store.remove_folder(path)))

    def set_excluded(self, path: str, excluded: bool) -> None:
        self._commands.put(
            lambda: self._change_folders(lambda lib: lib.store.set_excluded(path, excluded))
        )

    def reindex(self) -> None:
        self._paused.clear()
        self._commands.put(self._restart_index)

    def set_paused(self, paused: bool) -> None:
        if paused:
            self._paused.set()
        else:
            self._paused.clear()
        self._commands.put(_nothing)  # wake the loop so resuming is immediate

    def reload_model(self, model: str, device: str) -> None:
        self._commands.put(lambda: self._reload(model, device))

    def set_search_index(self, kind: str) -> None:
        """Rank with the "exact" or "approximate" index; the graph the approximate one
        needs is built by an indexing run, started now."""
        self._commands.put(lambda: self._use_index(kind))

    def cancel_download(self) -> None:
        """Stop a model download; what arrived is kept and Retry resumes it."""
        self._download_cancel.set()

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Stop indexing after the current batch (which is saved) and close the library."""
        self._stopping.set()
        self._download_cancel.set()
        self._commands.put(_nothing)
        return self.wait(timeout_ms)

    # -- the worker thread ----------------------------------------------------

    def run(self) -> None:
        try:
            self._library = self._open_library(self._model, self._device)
        except (PhotofindError, OSError) as exc:
            self.libraryFailed.emit(f"cannot open the library in {self._data_dir}: {exc}")
            return
        try:
            self._emit_state()
            self._load_model()
            # Watching a large library's folders takes a moment: after any search asked for.
            self._commands.put(self._watch)
            self._loop()
        finally:
            self._end_index()
            self._unwatch()
            self._library.close()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            indexing = self._run is not None and not self._paused.is_set()
            self._run_commands(wait=0.0 if indexing else 0.25)
            if self._stopping.is_set():
                return
            if self._run is not None:
                if not self._paused.is_set():
                    self._step()
                elif not self._state_is_current:
                    # Paused: the count beside "Paused · Indexing 1,234 of 5,000" stays put,
                    # so it must be the count of everything indexed so far.
                    self._emit_state()
                    self._state_is_current = True
            elif self._index_wanted and self._model_ok:
                self._start_index()
            if self._poke_at is not None and time.monotonic() >= self._poke_at:
                self._poke_at = None
                if self._watcher is not None:
                    self._watcher.poke()
                else:
                    self._index_wanted = True

    def _run_commands(self, wait: float) -> None:
        try:
            pending = [self._commands.get(block=wait > 0, timeout=wait or None)]
        except queue.Empty:
            return
        with contextlib.suppress(queue.Empty):
            while True:
                pending.append(self._commands.get_nowait())
        # Only the newest search matters: the GUI has moved on from the ones before it.
        last_search = max(
            (i for i, c in enumerate(pending) if isinstance(c, _Search)), default=None
        )
        for i, command in enumerate(pending):
            if self._stopping.is_set():
                return
            if isinstance(command, _Search):
                if i == last_search:
                    self._search(command)
            else:
                self._guarded(command)

    def _guarded(self, command: Callable[[], None]) -> None:
        try:
            command()
        except PhotofindError as exc:
            self.problem.emit(str(exc))
        except Exception as exc:
            log.exception("library command failed")
            self.problem.emit(f"something went wrong: {_first_line(exc)}")

    def _search(self, search: _Search) -> None:
        assert self._library is not None
        try:
            if not self._model_ok and (search.text is not None or search.tag):
                raise QueryError("the model is not loaded, so text cannot be searched yet")
            library = self._library
            if search.text is not None:
                hits = library.search(search.text, RESULT_LIMIT, search.tag, search.filters)
            else:
                assert search.photo is not None
                hits = library.similar(search.photo, RESULT_LIMIT, search.tag, search.filters)
        except PhotofindError as exc:
            self.searchFailed.emit(search.request_id, str(exc))
            return
        except Exception as exc:
            log.exception("search failed")
            self.searchFailed.emit(search.request_id, f"search failed: {_first_line(exc)}")
            return
        hits, missing = self._library.without_unavailable(hits)
        if missing:
            where, it = (missing[0], "it") if len(missing) == 1 else ("some folders", "they")
            self.problem.emit(
                f"photos in {where} are not shown while {it} cannot be reached; they stay "
                f"indexed and come back when {it} is connected again"
            )
        self.resultsReady.emit(search.request_id, hits)

    def _describe(self, photo: str) -> None:
        assert self._library is not None
        if self._model_ok:
            self.described.emit(photo, self._library.describe(photo))

    def _emit_tags(self) -> None:
        assert self._library is not None
        if self._model_ok:
            self.tagsChanged.emit(self._library.tagger().names)

    def _locate(self, photo: str, query: str, max_side: int) -> None:
        assert self._library is not None
        library = self._library
        try:
            if not self._model_ok:
                raise QueryError("the model is not loaded yet")
            loading = library.load_encoder_in_background(self._download_cancel)
            if not loading.done():
                # Answered once the model has loaded (or failed to); queries go on meanwhile.
                loading.add_done_callback(
                    lambda _: self._commands.put(lambda: self._locate(photo, query, max_side))
                )
                return
            heat = locate_in_photo(library, photo, query, max_side)  # raises a failed load
        except PhotofindError as exc:
            self.locateFailed.emit(photo, query, str(exc))
            return
        except Exception as exc:
            log.exception("locating failed")
            self.locateFailed.emit(photo, query, _first_line(exc))
            return
        self.locateReady.emit(photo, query, heat)

    def _load_model(self) -> None:
        """Make searching work: the text tower (and, on a first run, the model's download).
        The whole model, which encodes photos, loads on a thread of its own once indexing
        needs it (Library.index), so the window answers queries meanwhile."""
        assert self._library is not None
        library = self._library
        self._model_ok = False
        self.modelLoading.emit(library.model)
        if not self._stopping.is_set():
            self._download_cancel.clear()
        try:
            text = library.text_encoder(cancel=self._download_cancel)
        except DownloadCancelled as exc:
            self.modelFailed.emit(ModelProblem(library.model, str(exc), cancelled=True))
            return
        except ModelLoadError as exc:
            self.modelFailed.emit(ModelProblem(library.model, str(exc), offline=exc.offline))
            return
        except PhotofindError as exc:
            self.modelFailed.emit(ModelProblem(library.model, str(exc)))
            return
        except Exception as exc:
            log.exception("model load failed")
            message = f"cannot load model {library.model!r}: {_first_line(exc)}"
            self.modelFailed.emit(ModelProblem(library.model, message))
            return
        library.on_encoder_loaded = self._encoder_loaded
        self._model_ok = True
        self.modelReady.emit(getattr(text, "device", "cpu"))
        # After any search already asked for: the tags take a moment to compute.
        self._commands.put(self._emit_tags)

    def _encoder_loaded(self, encoder: PhotoEncoder) -> None:
        """On the loading thread, once the whole model is in memory."""
        self.encoderReady.emit(encoder.device)

    def _reload(self, model: str, device: str) -> None:
        assert self._library is not None
        self._end_index()
        self._library.close()
        self._library = self._open_library(model, device)
        self._load_model()
        self._index_wanted = True  # a new model needs its own vectors

    def _open_library(self, model: str, device: str) -> Library:
        library = Library(
            self._data_dir,
            model,
            device,
            on_download=self.modelDownloading.emit,
            model_in_child=True,
        )
        self._guarded(lambda: library.use_index(self._search_index))
        return library

    def _use_index(self, kind: str) -> None:
        assert self._library is not None
        self._search_index = kind
        self._guarded(lambda: self._library.use_index(kind))  # type: ignore[union-attr]
        self._index_wanted = True

    def _change_folders(self, change: Callable[[Library], object]) -> None:
        assert self._library is not None
        # A run in progress may still hold files of a folder just removed or excluded.
        self._end_index()
        try:
            change(self._library)
        finally:
            self._emit_state()
            self._watch()
            self._index_wanted = True

    def _restart_index(self) -> None:
        self._end_index()
        self._index_wanted = True

    def _start_index(self) -> None:
        assert self._library is not None
        self._index_wanted = False
        self._cancel = threading.Event()
        self._run = self._library.index(
            cancel=self._cancel, settle_seconds=SETTLE_SECONDS, model_in_background=True
        )

    def _step(self) -> None:
        assert self._run is not None
        try:
            progress = next(self._run)
        except StopIteration:
            self._run = None
            return
        except Exception as exc:
            self._run = None
            if isinstance(exc, LibraryBusyError):
                # Another process (e.g. `photofind watch`) is indexing: try again later.
                self._poke_at = time.monotonic() + BUSY_RETRY_SECONDS
            elif not isinstance(exc, PhotofindError):
                log.exception("indexing failed")
            self.problem.emit(f"indexing stopped: {_first_line(exc)}")
            self.indexFinished.emit(IndexProgress("done", 0, 0, 0.0, cancelled=True))
            self._emit_state()
            return
        if progress.phase == "done":
            self._finished(progress)
            return
        self._state_is_current = False
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_INTERVAL_SECONDS:
            self._last_progress = now
            self.indexProgress.emit(progress)
        if now - self._last_state >= self._state_interval:
            self._emit_state()

    def _finished(self, progress: IndexProgress) -> None:
        if self._run is not None:
            self._run.close()  # type: ignore[attr-defined]
        self._run = None
        self.indexFinished.emit(progress)
        self._emit_state()
        if progress.counts.deferred:
            # Files still being written: look again once they had time to settle.
            self._poke_at = time.monotonic() + SETTLE_SECONDS

    def _end_index(self) -> None:
        """Cancel the run in progress; the generator saves what is finished before it ends."""
        if self._run is None:
            return
        self._cancel.set()
        try:
            for progress in self._run:
                if progress.phase == "done":
                    self._finished(progress)
                    return
        except Exception:
            log.exception("indexing failed while stopping")
        self._run = None

    def _emit_state(self) -> None:
        assert self._library is not None
        started = time.monotonic()
        store = self._library.store
        counts = store.counts(store.find_model(self._library.model_name))
        self._last_state = time.monotonic()
        cost = self._last_state - started
        self._state_interval = min(
            MAX_STATE_INTERVAL_SECONDS, max(STATE_INTERVAL_SECONDS, cost / STATE_COST_SHARE)
        )
        self.stateChanged.emit(
            LibraryState(
                folders=tuple(store.folders()),
                excluded=tuple(store.excluded()),
                photos=counts["photos"],
                failed=counts["failed"],
                pending=counts["pending"],
            )
        )

    # -- watching the folders -------------------------------------------------

    def _watch(self) -> None:
        assert self._library is not None
        self._unwatch()
        folders = [f for f in self._library.store.folders() if os.path.isdir(f)]
        if not folders:
            return
        watcher = FolderWatcher(folders, debounce=WATCH_DEBOUNCE_SECONDS)
        try:
            watcher.start()
        except OSError as exc:  # e.g. the system's inotify watch limit
            log.warning("cannot watch the library folders for changes: %s", exc)
            return
        self._watcher = watcher
        self._watch_stop = threading.Event()
        self._watch_thread = threading.Thread(
            target=self._forward_changes,
            args=(watcher, self._watch_stop),
            name="photofind-watch",
            daemon=True,
        )
        self._watch_thread.start()

    def _forward_changes(self, watcher: FolderWatcher, stop: threading.Event) -> None:
        while not stop.is_set():
            if watcher.wait_for_change(timeout=0.5) and not stop.is_set():
                self._commands.put(self._changed_on_disk)

    def _changed_on_disk(self) -> None:
        # A run in progress finishes first; the next one picks the changes up.
        self._index_wanted = True

    def _unwatch(self) -> None:
        if self._watcher is None:
            return
        self._watch_stop.set()
        self._watcher.stop()
        if self._watch_thread is not None:
            self._watch_thread.join(timeout=2)
        self._watcher = None
        self._watch_thread = None


def _nothing() -> None:
    pass


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]
