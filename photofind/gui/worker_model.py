"""The library worker's model: opening the library with it, loading it (downloading it on a
first run) while folders can be changed, and answering the queries parked meanwhile."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from photofind.core.api import APPROXIMATE_SIZES, Library, PhotoEncoder, TextEncoder, is_downloaded
from photofind.core.errors import DownloadCancelled, ModelLoadError, PhotofindError, first_line

if TYPE_CHECKING:
    from photofind.gui.worker import LibraryWorker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelProblem:
    """Why the model is not loaded, for the window to explain in its own words."""

    model: str
    message: str  # one readable line, as the core words it
    offline: bool = False  # not downloaded yet, and the hub cannot be reached
    cancelled: bool = False  # the user stopped its download; Retry resumes


class ModelLoading:
    """Part of LibraryWorker, on the worker thread (`_encoder_loaded` excepted)."""

    def _load_model(self: LibraryWorker) -> None:
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
        loaded = partial(self._model_loaded, loading)
        loading.add_done_callback(lambda _: self._commands.put(loaded))

    def _model_loaded(self: LibraryWorker, loading: Future[TextEncoder]) -> None:
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
            self._guarded(self._search_command(parked))

    def _model_problem(self: LibraryWorker, loading: Future[TextEncoder]) -> ModelProblem | None:
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

    def _encoder_loaded(self: LibraryWorker, encoder: PhotoEncoder) -> None:
        """On the loading thread, once the whole model is in memory."""
        self.encoderReady.emit(encoder.device)

    def _reload(self: LibraryWorker, model: str, device: str) -> None:
        assert self._library is not None
        self._download_cancel.set()  # a download of the model being replaced
        self._end_index()
        self._library.close()
        self._library = self._open_library(model, device)
        self._load_model()
        self._index_wanted = True  # a new model needs its own vectors

    def _open_library(self: LibraryWorker, model: str, device: str) -> Library:
        library = Library(
            self._data_dir,
            model,
            device,
            on_download=self.modelDownloading.emit,
            model_in_child=True,
        )
        self._guarded(self._command(partial(library.use_index, self._search_index)))
        return library

    def _use_index(self: LibraryWorker, kind: str) -> None:
        assert self._library is not None
        self._search_index = kind
        self._guarded(self._command(partial(self._library.use_index, kind)))
        self._index_wanted = True
