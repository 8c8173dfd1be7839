"""The whole model in a child process of its own, for the app.

Importing torch and transformers and loading a checkpoint hold the GIL for long stretches
(dynamic libraries, static initialisers, weights copied in; benchmarks/PROFILE.md §7). In the
app's process that would freeze the window each time. In a child process, its imports hold only
the child's GIL: the app keeps answering queries and drawing while the model loads, and
afterwards only pixels and vectors cross between them. The CLI, which has no window, loads the
model in its own process (core.model.encoder.Encoder).

`ModelProcess` offers what indexing, find-similar, show-where and tags ask of an Encoder.
Decoding and preprocessing stay in the app (they need no torch); a batch of preprocessed
pixels goes to the child through a pipe, a few MB, and its vectors come back.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from photofind.core.errors import ModelLoadError, PhotofindError
from photofind.core.model.preprocess import Preprocessing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Loaded:
    """What the child says once its model is loaded."""

    preprocess: Preprocessing
    name: str
    device: str
    dim: int
    logit_scale: float | None
    logit_bias: float | None


class ModelProcess:
    """A loaded model, served by a child process. Use it from one thread at a time, as an
    Encoder; `close` ends the child (so does this process ending)."""

    in_this_process = False

    def __init__(self, process: Any, conn: Any, loaded: _Loaded) -> None:
        self._process = process
        self._conn = conn
        self._lock = threading.Lock()
        self.preprocess = loaded.preprocess
        self.name = loaded.name
        self.device = loaded.device
        self.dim = loaded.dim
        self.logit_scale = loaded.logit_scale
        self.logit_bias = loaded.logit_bias

    @classmethod
    def start(cls, ref: str, device: str, threads: int | None = None) -> ModelProcess:
        """Start a child that loads model `ref` on `device` (`threads`: torch's CPU threads
        there), and wait until it has. Raises ModelLoadError as Encoder.load would."""
        context = multiprocessing.get_context("spawn")  # never fork a process running Qt
        conn, child_conn = context.Pipe()
        process = context.Process(
            target=_serve, args=(child_conn, ref, device, threads), name="photofind-model"
        )
        process.daemon = True
        process.start()
        child_conn.close()
        try:
            kind, payload = conn.recv()
        except EOFError:
            process.join(5)
            raise ModelLoadError(
                f"the model process ended while loading {ref!r} (exit code {process.exitcode})"
            ) from None
        if kind != "loaded":
            process.join(5)
            raise _error(payload)
        return cls(process, conn, payload)

    def encode_pixels(self, pixels: np.ndarray) -> np.ndarray:
        return self._ask("pixels", np.ascontiguousarray(pixels, dtype=np.float32))

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        return self.encode_pixels(np.stack([self.preprocess(im) for im in images]))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self._ask("texts", list(texts))

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(OSError, ValueError):  # already gone
                self._conn.send(("stop", None))
            self._conn.close()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()

    def _ask(self, kind: str, payload: object) -> np.ndarray:
        with self._lock:
            try:
                self._conn.send((kind, payload))
                answer, result = self._conn.recv()
            except (EOFError, OSError) as exc:
                raise ModelLoadError(f"the model process stopped ({exc or 'it ended'})") from exc
        if answer != "ok":
            raise _error(result)
        return result


def _error(payload: tuple[str, str]) -> Exception:
    """The child's exception, as the type the caller expects."""
    kind, message = payload
    return ModelLoadError(message) if kind == "ModelLoadError" else RuntimeError(message)


def _serve(conn: Any, ref: str, device: str, threads: int | None) -> None:
    """The child: load the model, then answer requests until told to stop or the parent
    goes away."""
    from photofind.core.model.encoder import Encoder

    try:
        encoder = Encoder.load(ref, device)
        if threads:
            import torch

            torch.set_num_threads(threads)
    except Exception as exc:
        conn.send(("failed", _described(exc)))
        return
    conn.send(
        (
            "loaded",
            _Loaded(
                encoder.preprocess,
                encoder.name,
                encoder.device,
                encoder.dim,
                encoder.logit_scale,
                encoder.logit_bias,
            ),
        )
    )
    while True:
        try:
            kind, payload = conn.recv()
        except EOFError:
            return
        if kind == "stop":
            return
        try:
            if kind == "pixels":
                result = encoder.encode_pixels(payload)
            else:
                result = encoder.encode_texts(payload)
        except Exception as exc:  # one failed batch; the caller decides
            log.exception("the model process failed a request")
            conn.send(("failed", _described(exc)))
            continue
        conn.send(("ok", result))


def _described(exc: BaseException) -> tuple[str, str]:
    kind = "ModelLoadError" if isinstance(exc, PhotofindError) else type(exc).__name__
    return kind, str(exc) or type(exc).__name__
