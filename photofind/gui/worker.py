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
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from photofind.core.errors import (
    DownloadCancelled,
    LibraryBusyError,
    ModelLoadError,
    PhotofindError,
    QueryError,
    first_line,
)
from photofind.core.index.indexer import IndexProgress
from photofind.core.index.watcher import FolderWatcher, describe_unwatched
from photofind.core.library import Library
from photofind.core.model.download import APPROXIMATE_SIZES, is_downloaded
from photofind.core.model.encoder import PhotoEncoder, TextEncoder
from photofind.core.photos.scanning import Scope
from photofind.core.search.filters import Filters
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
    # How many photos removing each folder would take out of the library.
    folder_photos: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelProblem:
    """Why the model is not loaded, for the window to explain in its own words."""

    model: str
    message: str  # one readable line, as the core words it
    offline: bool = False  # not downloaded yet, and the hub cannot be reached
    cancelled: bool = False  # the user stopped its download; Retry resumes


@dataclass(frozen=True)
class _Search:
    """A query's text, a photo to find others like, or neither: the library browsed."""

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
    # Before a first run's download starts: the model, and about how many bytes (0: unknown).
    modelDownloadNeeded = Signal(str, object)
    modelFailed = Signal(object)  # ModelProblem
    stateChanged = Signal(object)  # LibraryState
    indexProgress = Signal(object)  # IndexProgress, phase "scanning" or "indexing"
    indexFinished = Signal(object)  # IndexProgress, phase "done"
    resultsReady = Signal(int, object)  # request id, list[Hit] best first
    searchFailed = Signal(int, str)
    problem = Signal(str)  # a command failed; one readable line
    tagsChanged = Signal(list)  # the vocabulary's tag names
    tagCounts = Signal(dict)  # tag name -> how many indexed photos have it
    described = Signal(str, object)  # photo, list[TagScore] best first
    locateReady = Signal(str, str, object)  # photo, query, QImage of the heatmap over it
    locateFailed = Signal(str, str, str)  # photo, query, why
    trashChecked = Signal(int, object)  # request id, list[Duplicate] (see check_for_trash)

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
        self._text_loading: Future[TextEncoder] | None = None
        self._parked: _Search | None = None  # a query waiting for the model to load
        self._index_wanted = index_on_start
        self._run: Iterator[IndexProgress] | None = None
        self._cancel = threading.Event()
        self._download_cancel = threading.Event()
        self._last_progress = 0.0
        self._last_state = 0.0
        self._state_interval = STATE_INTERVAL_SECONDS
        self._poke_at: float | None = None
        # Where the watcher saw changes, for the next run; the parts the current run and the
        # next poke look at (None: everything).
        self._scopes: list[Scope] = []
        self._run_only: list[Scope] | None = None
        self._poke_only: list[Scope] | None = None
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

    def browse(
        self, request_id: int, tag: str | None = None, filters: Filters | None = None
    ) -> None:
        """The library without a query, newest first (answered by `resultsReady`)."""
        self._commands.put(_Search(request_id, tag=tag, filters=filters))

    def describe(self, photo: str) -> None:
        """The tags that best describe `photo` (answered by `described`)."""
        self._commands.put(lambda: self._describe(photo))

    def locate(self, photo: str, query: str, max_side: int) -> None:
        """Where in `photo` the query matches: a heatmap over it (issue #7's Show Where)."""
        self._commands.put(lambda: self._locate(photo, query, max_side))

    def check_for_trash(self, request_id: int, photo_ids: list[int]) -> None:
        """The indexed size and time of photos about to be trashed, which the trash's
        freshness check needs (answered by `trashChecked`)."""
        self._commands.put(lambda: self._check_for_trash(request_id, photo_ids))

    def add_folder(self, path: str) -> None:
        self._paused.clear()  # adding a folder is an explicit ask to index it
        self._commands.put(lambda: self._change_folders(lambda lib: lib.add_folders([path])))

    def remove_folder(self, path: str) -> None:
        # No run of its own: the next run over the whole library forgets the folder's
        # vectors, which are kept until then in case it is added back.
        self._commands.put(
            lambda: self._change_folders(lambda lib: lib.remove_folder(path), index=False)
        )

    def set_excluded(self, path: str, excluded: bool) -> None:
        self._commands.put(
            lambda: self._change_folders(lambda lib: lib.set_excluded(path, excluded))
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
            paused = self._paused.is_set()
            self._run_commands(wait=0.0 if self._run is not None and not paused else 0.25)
            if self._stopping.is_set():
                return
            if self._run is not None:
                if self._paused.is_set():
                    self._pause_index()
                else:
                    self._step()
            elif (self._index_wanted or self._scopes) and self._model_ok and not paused:
                self._start_index()
            if self._poke_at is not None and time.monotonic() >= self._poke_at:
                self._poke_at = None
                if self._watcher is not None:
                    self._watcher.poke(self._poke_only)
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
            self.problem.emit(f"something went wrong: {first_line(exc)}")

    def _search(self, search: _Search) -> None:
        assert self._library is not None
        try:
            if not self._model_ok and (search.text is not None or search.tag):
                if self._text_loading is not None:
                    self._parked = search  # answered once the model has loaded
                    return
                raise QueryError("the model is not loaded, so text cannot be searched yet")
            library = self._library
            if search.text is not None:
                hits = library.search(search.text, RESULT_LIMIT, search.tag, search.filters)
            elif search.photo is not None:
                hits = library.similar(search.photo, RESULT_LIMIT, search.tag, search.filters)
            else:
                hits = library.browse(RESULT_LIMIT, search.tag, search.filters)
        except PhotofindError as exc:
            self.searchFailed.emit(search.request_id, str(exc))
            return
        except Exception as exc:
            log.exception("search failed")
            self.searchFailed.emit(search.request_id, f"search failed: {first_line(exc)}")
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

    def _check_for_trash(self, request_id: int, photo_ids: list[int]) -> None:
        assert self._library is not None
        self.trashChecked.emit(request_id, self._library.photos_for_trash(photo_ids))

    def _emit_tags(self) -> None:
        assert self._library is not None
        if self._model_ok:
            self.tagsChanged.emit(self._library.tagger().names)
            self.tagCounts.emit(self._library.tag_counts())

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
            self.locateFailed.emit(photo, query, first_line(exc))
            return
        self.locateReady.emit(photo, query, heat)

    def _load_model(self) -> None:
        """Start loading what searching needs, the text tower (on a first run, after the
        model's download), on a thread of its own: folders can be added meanwhile, and
        indexing waits for it. The whole model, which encodes photos, loads once indexing
        needs it (Library.index), on a thread of its own too."""
        assert self._library is not None
        library = self._library
        self._model_ok = False
        self.modelLoading.emit(library.model)
        if not is_downloaded(library.model):
            self.modelDownloadNeeded.emit(library.model, APPROXIMATE_SIZES.get(library.model, 0))
        self._download_cancel = threading.Event()  # Cancel stops this download only
        if self._stopping.is_set():
            self._download_cancel.set()
        loading = library.load_text_encoder_in_background(self._download_cancel)
        self._text_loading = loading
        loading.add_done_callback(lambda _: self._commands.put(lambda: self._model_loaded(loading)))

    def _model_loaded(self, loading: Future[TextEncoder]) -> None:
        if loading is not self._text_loading:
            return  # the load of a model since replaced
        assert self._library is not None
        self._text_loading = None
        parked, self._parked = self._parked, None
        problem = self._model_problem(loading)
        if problem is not None:
            self.modelFailed.emit(problem)
        else:
            self._library.on_encoder_loaded = self._encoder_loaded
            self._model_ok = True
            self.modelReady.emit(getattr(loading.result(), "device", "cpu"))
            # After any search already asked for: the tags take a moment to compute.
            self._commands.put(self._emit_tags)
        if parked is not None:
            self._search(parked)

    def _model_problem(self, loading: Future[TextEncoder]) -> ModelProblem | None:
        assert self._library is not None
        model = self._library.model
        exc = loading.exception()
        if exc is None:
            return None
        if isinstance(exc, DownloadCancelled):
            return ModelProblem(model, str(exc), cancelled=True)
        if isinstance(exc, ModelLoadError):
            return ModelProblem(model, str(exc), offline=exc.offline)
        if isinstance(exc, PhotofindError):
            return ModelProblem(model, str(exc))
        log.error("model load failed", exc_info=exc)
        return ModelProblem(model, f"cannot load model {model!r}: {first_line(exc)}")

    def _encoder_loaded(self, encoder: PhotoEncoder) -> None:
        """On the loading thread, once the whole model is in memory."""
        self.encoderReady.emit(encoder.device)

    def _reload(self, model: str, device: str) -> None:
        assert self._library is not None
        self._download_cancel.set()  # a download of the model being replaced
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

    def _change_folders(self, change: Callable[[Library], object], index: bool = True) -> None:
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

    def _restart_index(self) -> None:
        self._end_index()
        self._index_wanted = True

    def _start_index(self) -> None:
        assert self._library is not None
        self._run_only = None if self._index_wanted else self._scopes
        self._index_wanted, self._scopes = False, []
        self._cancel = threading.Event()
        self._run = self._library.index(
            cancel=self._cancel,
            settle_seconds=SETTLE_SECONDS,
            model_in_background=True,
            only=self._run_only,
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
                self._look_again(BUSY_RETRY_SECONDS)
            elif not isinstance(exc, PhotofindError):
                log.exception("indexing failed")
            self.problem.emit(f"indexing stopped: {first_line(exc)}")
            self.indexFinished.emit(IndexProgress("done", 0, 0, 0.0, cancelled=True))
            self._emit_state()
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

    def _finished(self, progress: IndexProgress) -> None:
        if self._run is not None:
            self._run.close()  # type: ignore[attr-defined]
        self._run = None
        self.indexFinished.emit(progress)
        self._emit_state()
        if progress.counts.encoded or progress.counts.removed:
            self._commands.put(self._emit_tags)  # the counts changed (the start page shows them)
        if self._watcher is not None and self._library is not None:
            self._watcher.set_places(self._library.store.places())
        if progress.counts.deferred:
            # Files still being written: look again once they had time to settle.
            self._look_again(SETTLE_SECONDS)

    def _end_index(self, report: bool = True) -> None:
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

    def _pause_index(self) -> None:
        """Pausing ends the run, so the library's index lock is free for another process
        (a `photofind index` would otherwise wait as long as the pause lasts); resuming
        starts a new run, which skips everything indexed so far. The window keeps showing
        "Paused · 1,234 of 5,000": its count must be of everything indexed so far."""
        self._end_index(report=False)
        self._index_wanted = True
        self._emit_state()

    def _emit_state(self) -> None:
        assert self._library is not None
        started = time.monotonic()
        store = self._library.store
        counts = store.counts(store.find_model(self._library.model_name))
        folder_photos = self._library.folder_photos()
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
                folder_photos=folder_photos,
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
        watcher.start()
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
        told: dict[str, str] = {}
        while not stop.is_set():
            unwatched = watcher.unwatched()
            for line in describe_unwatched(unwatched, told):
                self.problem.emit(line)
            told = unwatched
            if watcher.wait_for_change(timeout=0.5) and not stop.is_set():
                self._commands.put(self._changed_on_disk)

    def _changed_on_disk(self) -> None:
        # A run in progress finishes first; the next one looks where the changes were.
        only = self._watcher.take() if self._watcher is not None else None
        if only is None:
            self._index_wanted = True
        else:
            self._scopes += only

    def _look_again(self, seconds: float) -> None:
        """Run again in `seconds` over what the last run looked at."""
        self._poke_at = time.monotonic() + seconds
        self._poke_only = self._run_only

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
