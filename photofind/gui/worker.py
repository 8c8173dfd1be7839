"""The library's own thread. It alone holds the model and the database: it runs searches,
folder changes and indexing, one step at a time, so a search typed during a long indexing
run is answered between two batches. The GUI queues commands and hears back via signals.

Its parts: the model (worker_model), folder changes and index runs (worker_indexing), the
watcher (worker_watching); this module holds the queue, the commands the window sends and
the one place a command's failure is turned into a message."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from photofind.core.api import Filters, FolderWatcher, IndexProgress, Library, Scope, TextEncoder
from photofind.core.errors import PhotofindError, QueryError, first_line
from photofind.gui.photo_images import locate_in_photo
from photofind.gui.worker_indexing import STATE_INTERVAL_SECONDS, Indexing, LibraryState
from photofind.gui.worker_model import ModelLoading, ModelProblem
from photofind.gui.worker_requests import Command, Requests
from photofind.gui.worker_watching import Watching

__all__ = ["RESULT_LIMIT", "LibraryState", "LibraryWorker", "ModelProblem"]

# Past a few thousand, the ranking of a CLIP search says little; the grid copes with more.
RESULT_LIMIT = 10_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Search:
    """A query's text, a photo to find others like, or neither: the library browsed."""

    request_id: int
    text: str | None = None
    photo: str | None = None
    tag: str | None = None  # only photos carrying this tag
    filters: Filters | None = None


_Queued = Callable[[], object] | Command | _Search


class LibraryWorker(ModelLoading, Indexing, Watching, Requests, QThread):
    """Signals are emitted from the worker thread and arrive queued on the GUI thread."""

    libraryFailed = Signal(str)
    modelLoading = Signal(str)
    modelReady = Signal(str)  # searching works: queries can be answered
    encoderReady = Signal(str)  # the whole model has loaded (photos can be encoded), its device
    modelDownloading = Signal(object)  # DownloadProgress, on a first run
    # A first run's model is not on this computer: its name and approximate size in bytes.
    modelDownloadNeeded = Signal(str, object)
    modelFailed = Signal(object)  # ModelProblem
    stateChanged = Signal(object)  # LibraryState
    indexProgress = Signal(object)  # IndexProgress: "scanning", "indexing", "places", "texts"…
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
    duplicatesFound = Signal(int, object)  # request id, list[list[Duplicate]]
    duplicatesFailed = Signal(int, str)  # request id, why
    photoPaths = Signal(object)  # every indexed photo's path (see send_photo_paths)
    # A photo, where it was taken (Library.where_taken) and the words read in it (a
    # PhotoText), each None when there is none (see read_extras).
    extrasReady = Signal(str, object, object)
    placesReady = Signal(object)  # [(PlaceKey, photo count)] (see send_places)

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
        # Which photos an index run reads words in (api.TEXT_MODES): read as each run starts.
        self.text_setting = "auto"
        self._commands: queue.SimpleQueue[_Queued] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._paused = threading.Event()
        # Grouping duplicates takes a while and needs no database: off the worker thread.
        self._grouping = ThreadPoolExecutor(1, thread_name_prefix="photofind-duplicates")
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
        self._commands.put(partial(self._describe, photo))

    def locate(self, photo: str, query: str, max_side: int) -> None:
        """Where in `photo` the query matches: a heatmap over it."""
        self._commands.put(self._locate_command(photo, query, max_side))

    def check_for_trash(self, request_id: int, photo_ids: list[int]) -> None:
        """The indexed size and time of photos about to be trashed, which the trash's
        freshness check needs (answered by `trashChecked`)."""
        self._commands.put(partial(self._check_for_trash, request_id, photo_ids))

    def find_duplicates(
        self,
        request_id: int,
        threshold: float,
        progress: Callable[[float], None],
        cancel: threading.Event,
    ) -> None:
        """Groups of near-identical photos (answered by `duplicatesFound`, or
        `duplicatesFailed`); `progress` hears the fraction done, from another thread."""
        failed = partial(self.duplicatesFailed.emit, request_id)
        run = partial(self._find_duplicates, request_id, threshold, progress, cancel)
        self._commands.put(Command(run, failed, "finding duplicates failed"))

    def read_extras(self, photo: str) -> None:
        """Where `photo` was taken and the words in it (answered by `extrasReady`)."""
        self._commands.put(partial(self._read_extras, photo))

    def send_places(self) -> None:
        """The places the library's photos were taken in (answered by `placesReady`)."""
        self._commands.put(self._send_places)

    def send_photo_paths(self) -> None:
        """Every indexed photo's path (answered by `photoPaths`)."""
        self._commands.put(self._send_photo_paths)

    def add_folder(self, path: str) -> None:
        self._paused.clear()  # adding a folder is an explicit ask to index it
        self._commands.put(
            partial(self._change_folders, partial(Library.add_folders, folders=[path]))
        )

    def remove_folder(self, path: str) -> None:
        # No run of its own: the next run over the whole library forgets the folder's
        # vectors, which are kept until then in case it is added back.
        change = partial(Library.remove_folder, path=path)
        self._commands.put(partial(self._change_folders, change, index=False))

    def set_excluded(self, path: str, excluded: bool) -> None:
        change = partial(Library.set_excluded, path=path, excluded=excluded)
        self._commands.put(partial(self._change_folders, change))

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
        self._commands.put(partial(self._reload, model, device))

    def set_text_setting(self, mode: str) -> None:
        """Read words in other photos (api.TEXT_MODES): from a run started now."""
        self.text_setting = mode
        self.reindex()

    def set_search_index(self, kind: str) -> None:
        """Rank with the "exact" or "approximate" index; the graph the approximate one
        needs is built by an indexing run, started now."""
        self._commands.put(partial(self._use_index, kind))

    def cancel_download(self) -> None:
        """Stop a model download; what arrived is kept and Retry resumes it."""
        self._download_cancel.set()

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Stop indexing after the current batch (which is saved) and close the library."""
        self._stopping.set()
        self._download_cancel.set()
        self._commands.put(_nothing)
        self._grouping.shutdown(wait=False, cancel_futures=True)
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
            self._poke_if_due()

    def _run_commands(self, wait: float) -> None:
        try:
            pending = [self._commands.get(block=wait > 0, timeout=wait or None)]
        except queue.Empty:
            return
        with contextlib.suppress(queue.Empty):
            while True:
                pending.append(self._commands.get_nowait())
        # Only the newest search matters: the GUI has moved on from the ones before it.
        searches = [c for c in pending if isinstance(c, _Search)]
        for command in pending:
            if self._stopping.is_set():
                return
            if isinstance(command, _Search):
                if command is searches[-1]:
                    self._guarded(self._search_command(command))
            else:
                self._guarded(self._command(command))

    @staticmethod
    def _command(queued: Callable[[], object] | Command) -> Command:
        return queued if isinstance(queued, Command) else Command(queued)

    def _search_command(self, search: _Search) -> Command:
        failed = partial(self.searchFailed.emit, search.request_id)
        return Command(partial(self._search, search), failed, "search failed")

    def _guarded(self, command: Command) -> None:
        """Run a command; its failure, whatever it is, becomes one line for whoever waits
        on it. The one place where the worker turns errors into messages."""
        try:
            command.run()
            return
        except PhotofindError as exc:
            message = str(exc)
        except Exception as exc:
            log.exception(command.unexpected)
            message = f"{command.unexpected}: {first_line(exc)}"
        (command.failed or self.problem.emit)(message)

    # -- what the commands do -------------------------------------------------

    def _search(self, search: _Search) -> None:
        assert self._library is not None
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
        hits, missing = library.without_unavailable(hits)
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
        if not self._model_ok:
            raise QueryError("the model is not loaded yet")
        loading = self._library.load_encoder_in_background(self._download_cancel)
        if not loading.done():
            # Answered once the model has loaded (or failed to); queries go on meanwhile.
            again = self._locate_command(photo, query, max_side)
            loading.add_done_callback(lambda _: self._commands.put(again))
            return
        heat = locate_in_photo(self._library, photo, query, max_side)  # raises a failed load
        self.locateReady.emit(photo, query, heat)

    def _locate_command(self, photo: str, query: str, max_side: int) -> Command:
        failed = partial(self.locateFailed.emit, photo, query)
        return Command(partial(self._locate, photo, query, max_side), failed, "locating failed")


def _nothing() -> None:
    pass
