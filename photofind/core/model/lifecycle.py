"""When a library's model loads: the text tower first (what queries need), the whole model
only once something needs encoding, each at most once, on threads of their own."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from photofind.core.model.encoder import Encoder, PhotoEncoder, TextEncoder
from photofind.core.model.loading import download_if_missing
from photofind.core.model.model_process import ModelProcess

if TYPE_CHECKING:
    from photofind.core.model.download import DownloadProgress

log = logging.getLogger(__name__)


class ModelSlots:
    """One model's two slots, each filled once on first need: the whole model, which encodes
    photos, and the text encoder, which is all a query needs. Any thread may ask for the whole
    model; the text encoder is asked for by one thread at a time."""

    def __init__(
        self,
        model: str,
        device: str,
        on_download: Callable[[DownloadProgress], None] | None = None,
        model_in_child: bool = False,
    ) -> None:
        self.model = model
        self.device = device
        # The app's choice: the whole model in a child process (core.model.model_process), so
        # loading it never freezes the window.
        self.model_in_child = model_in_child
        # Hears a first run's model download (see Encoder.load).
        self.on_download = on_download
        # What stops a download that a call without a `cancel` of its own starts: the
        # library sets indexing's, so cancelling a run also stops the download it began.
        self.download_cancel: threading.Event | None = None
        # Told, on the loading thread, when the whole model has loaded (the app sets it).
        self.on_loaded: Callable[[PhotoEncoder], None] | None = None
        self._encoder: Future[PhotoEncoder] | None = None
        self._encoder_lock = threading.Lock()
        self._text_encoder: TextEncoder | None = None

    def close(self) -> None:
        """Stop the child process the whole model runs in, if it has one."""
        if self.encoder_loaded and self._encoder is not None:
            encoder = self._encoder.result()
            if isinstance(encoder, ModelProcess):
                encoder.close()

    def encoder(self, cancel: threading.Event | None = None) -> PhotoEncoder:
        """The whole model, for encoding photos; loading it may first download it (`cancel`
        stops that). Waits for a load `load_encoder_in_background` started."""
        loading = self.load_encoder_in_background(cancel)
        try:
            return loading.result()
        except BaseException:
            self._forget_failed_load(loading)
            raise

    def load_encoder_in_background(
        self, cancel: threading.Event | None = None
    ) -> Future[PhotoEncoder]:
        """Start loading the whole model on a thread of its own, unless that has begun. torch
        and transformers take seconds to import: meanwhile the library's own thread goes on
        answering queries, which need neither (see `text_encoder`)."""
        with self._encoder_lock:
            if self._encoder is None:
                loading: Future[PhotoEncoder] = Future()
                loading.set_running_or_notify_cancel()
                self._encoder = loading
                threading.Thread(
                    target=self._load_encoder,
                    args=(loading, cancel or self.download_cancel),
                    name="photofind-model-load",
                    daemon=True,
                ).start()
            return self._encoder

    def _load_encoder(self, loading: Future[PhotoEncoder], cancel: threading.Event | None) -> None:
        encoder: PhotoEncoder
        try:
            if self.model_in_child:
                # Leaves a core to the window: the model's math would take every core.
                threads = max(1, (os.cpu_count() or 2) - 1)
                encoder = ModelProcess.start(self.model, self.device, threads)
            else:
                encoder = Encoder.load(
                    self.model, self.device, on_download=self.on_download, cancel=cancel
                )
        except BaseException as exc:
            loading.set_exception(exc)
            return
        if self.on_loaded is not None:
            try:
                self.on_loaded(encoder)
            except Exception:  # the model is loaded all the same
                log.exception("on_encoder_loaded failed")
        loading.set_result(encoder)

    def _forget_failed_load(self, loading: Future[PhotoEncoder]) -> None:
        """A load that failed is tried again on the next call (the model may be fixed)."""
        with self._encoder_lock:
            if self._encoder is loading and loading.exception() is not None:
                self._encoder = None

    def encoder_if_ready(self) -> PhotoEncoder | None:
        """The whole model if it has loaded, else None after starting its load; raises what
        a failed load raised."""
        loading = self.load_encoder_in_background()
        return self.encoder() if loading.done() else None

    @property
    def encoder_loaded(self) -> bool:
        loading = self._encoder
        return loading is not None and loading.done() and loading.exception() is None

    def load_text_encoder_in_background(self, cancel: threading.Event) -> Future[TextEncoder]:
        """`text_encoder` on a thread of its own (on a first run it downloads the model
        first): the library's own thread goes on changing folders meanwhile. Use nothing
        that needs the text encoder until the future is done."""
        loading: Future[TextEncoder] = Future()
        loading.set_running_or_notify_cancel()

        def load() -> None:
            try:
                loading.set_result(self.text_encoder(cancel))
            except BaseException as exc:
                loading.set_exception(exc)

        threading.Thread(target=load, name="photofind-text-model-load", daemon=True).start()
        return loading

    def text_encoder(self, cancel: threading.Event | None = None) -> TextEncoder:
        """What text queries need. For CLIP and SigLIP that is core.model.text_tower, which
        needs neither torch nor transformers: a search starts in well under a second, and the
        app answers queries while the whole model loads. Other models load their text tower
        through transformers. A hub model not downloaded yet is downloaded first."""
        if self._text_encoder is None:
            from photofind.core.model.text_tower import ClipTextTower

            cancel = cancel or self.download_cancel
            download_if_missing(self.model, self.on_download, cancel)
            self._text_encoder = ClipTextTower.load(self.model)
            if self._text_encoder is None:
                self._text_encoder = (
                    self.encoder()
                    if self.encoder_loaded
                    else Encoder.load(
                        self.model,
                        self.device,
                        on_download=self.on_download,
                        cancel=cancel,
                        text_only=True,
                    )
                )
        return self._text_encoder
