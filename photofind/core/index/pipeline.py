"""The encode step of an index run: the files the scan found are read, hashed and decoded on
a pool (see decoding.Decoders), encoded in batches on the calling thread, and written in
one transaction per batch (see `_Results`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

import numpy as np

from photofind.core.index.decoding import (
    Decoded,
    Decoders,
    ForCpu,
    Hashed,
    Jpeg,
    NotNow,
    decode_bytes,
)
from photofind.core.index.progress import IndexCounts, IndexProgress
from photofind.core.index.scan import being_written
from photofind.core.index.store import Encoded, Failed, Result, Reused, Store
from photofind.core.model import gpu_jpeg
from photofind.core.model.encoder import PhotoEncoder
from photofind.core.photos.scanning import FileStat

# Reuses and failures need no model; commit them in chunks so a long move-only run keeps
# its progress if it is interrupted.
MAX_UNWRITTEN = 256
# How often a run that has nothing to do but wait for the model looks again.
MODEL_WAIT_SECONDS = 0.05


@dataclass(frozen=True)
class PipelineSettings:
    batch_size: int  # photos encoded at once
    workers: int  # reading and decoding threads (or processes)
    settle_seconds: float = 0.0  # see scan.being_written
    decode_processes: bool | None = None  # None: decided once the encoder is known


class _Model:
    """The encoder, loaded only once something needs encoding, and the id its vectors are
    stored under (None until the store knows the model)."""

    def __init__(
        self,
        store: Store,
        name: str,
        model_id: int | None,
        load: Callable[[], PhotoEncoder | None],
    ) -> None:
        self.id = model_id
        self._store = store
        self._name = name
        self._load = load
        self._encoder: PhotoEncoder | None = None

    def encoder(self) -> PhotoEncoder | None:
        """The encoder, or None while it is still loading elsewhere."""
        if self._encoder is None:
            self._encoder = self._load()
            if self._encoder is not None:
                self.id = self._store.model_id(self._name, self._encoder.dim)
        return self._encoder


class _Results:
    """What the run decided for each file, counted, and written to the store in chunks.
    Identical content seen twice in one run is encoded once: the copies wait for the
    first's outcome."""

    def __init__(self, store: Store, model: _Model, counts: IndexCounts) -> None:
        self.counts = counts
        self.done = 0  # files decided
        # Files gone between the scan and their reading: not indexed, their rows swept.
        self.vanished: set[str] = set()
        self._store = store
        self._model = model
        # Content hash -> a photo whose vector it can reuse, looked up as files are hashed
        # (see _source): a run over a few folders never reads the whole library's hashes.
        self._sources: dict[str, int] = {}
        self._waiting: dict[str, list[FileStat]] = {}  # content hash -> its copies
        self._unwritten: list[Result] = []

    @property
    def unwritten(self) -> int:
        return len(self._unwritten)

    def needs_encoding(self, item: Hashed) -> bool:
        """Reuse a vector for `item`'s content, or have it wait for the same content seen
        earlier in this run; True if it is the first of its content and needs encoding."""
        source = self._source(item.hash)
        if source is not None:
            s = item.stat
            self.finish(Reused(s.path, s.size, s.mtime, item.hash, source))
        elif item.hash in self._waiting:
            self._waiting[item.hash].append(item.stat)
        else:
            self._waiting[item.hash] = []
            return True
        return False

    def not_now(self, item: NotNow) -> None:
        self.skip(item.stat, item.vanished)
        # Copies waiting for this content's vector are not indexed this run either.
        for waiting in self._waiting.pop(item.hash, []) if item.hash else []:
            self.skip(waiting, vanished=False)

    def skip(self, stat: FileStat, vanished: bool) -> None:
        self.done += 1
        if vanished:
            self.vanished.add(stat.path)
        else:
            self.counts.deferred += 1

    def finish(self, result: Result) -> None:
        self._unwritten.append(result)
        self.done += 1
        if isinstance(result, Failed):
            self.counts.failed += 1
            self._release_waiters(result.hash, None, result.reason)
        elif isinstance(result, Reused):
            self.counts.reused += 1
        else:
            self.counts.encoded += 1

    def flush(self) -> None:
        if not self._unwritten:
            return
        results, self._unwritten = self._unwritten, []
        self._store.write(results, self._model.id, only_in_library=True)
        for r in results:
            if isinstance(r, Encoded):
                pid = self._store.photo_id(r.path)
                if pid is not None:
                    self._sources[r.hash] = pid
                    self._release_waiters(r.hash, pid, "")
                else:  # its folder left the library meanwhile; copies elsewhere wait a run
                    for waiting in self._waiting.pop(r.hash, []):
                        self.skip(waiting, vanished=False)
        if self._unwritten:  # copies released above
            self.flush()

    def _source(self, content: str) -> int | None:
        if content not in self._sources and self._model.id is not None:
            found = self._store.vector_source(content, self._model.id)
            if found is not None:
                self._sources[content] = found
        return self._sources.get(content)

    def _release_waiters(self, content: str | None, source: int | None, reason: str) -> None:
        """Copies of content that was just encoded (or failed) share its outcome."""
        if content is None:
            return
        for s in self._waiting.pop(content, []):
            if source is None:
                self.finish(Failed(s.path, s.size, s.mtime, content, reason))
            else:
                self.finish(Reused(s.path, s.size, s.mtime, content, source))


class EncodePipeline:
    """Files in, vectors (or failures, or reuses) out to the store, yielding progress.
    `done`, `rate` and `vanished` tell the rest of the run how it went."""

    def __init__(
        self,
        store: Store,
        model_name: str,
        model_id: int | None,
        load_encoder: Callable[[], PhotoEncoder | None],
        counts: IndexCounts,
        settings: PipelineSettings,
    ) -> None:
        self._settings = settings
        self._model = _Model(store, model_name, model_id, load_encoder)
        self._results = _Results(store, self._model, counts)
        self._batch: list[Decoded | Jpeg] = []  # decoded, to encode together
        self._for_the_model: list[Hashed | ForCpu] = []  # to decode once the model is loaded
        self._started = time.perf_counter()

    @property
    def done(self) -> int:
        return self._results.done

    @property
    def vanished(self) -> set[str]:
        return self._results.vanished

    @property
    def rate(self) -> float:
        elapsed = time.perf_counter() - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    def run(self, todo: list[FileStat], cancel: threading.Event) -> Iterator[IndexProgress]:
        if not todo:
            return
        self._started = time.perf_counter()
        workers = self._settings.workers
        with Decoders(workers, len(todo), self._settings.decode_processes) as decoders:
            yield from self._drive(decoders, list(reversed(todo)), len(todo), cancel)

    def _drive(
        self, decoders: Decoders, queue: list[FileStat], total: int, cancel: threading.Event
    ) -> Iterator[IndexProgress]:
        inflight: set[Future[object]] = set()
        window = 2 * self._settings.batch_size + self._settings.workers
        while queue or inflight or self._for_the_model:
            if cancel.is_set():
                for f in inflight:
                    f.cancel()
                # Keep what is decoded but not encoded for next time; commit what is final.
                self._results.flush()
                return
            if self._for_the_model and self._model.encoder() is not None:
                inflight |= {self._decode(decoders, item) for item in self._for_the_model}
                self._for_the_model = []
            while queue and len(inflight) + len(self._for_the_model) < window:
                inflight.add(decoders.read(queue.pop()))
            if not inflight:  # only the model is awaited
                self._results.flush()
                yield IndexProgress("loading", self.done, total, 0.0, self._results.counts)
                time.sleep(MODEL_WAIT_SECONDS)
                continue
            finished, inflight = wait(inflight, timeout=0.5, return_when=FIRST_COMPLETED)
            inflight |= self._follow_up(decoders, finished)
            idle = not queue and not inflight and not self._for_the_model
            if len(self._batch) >= self._settings.batch_size or idle:
                self._encode_batch(decoders)
            if self._results.unwritten >= MAX_UNWRITTEN or idle:
                self._results.flush()
            yield IndexProgress("indexing", self.done, total, self.rate, self._results.counts)

    def _follow_up(self, decoders: Decoders, finished: set[Future[object]]) -> set[Future[object]]:
        """Take the pool's results; returns the decoding they lead to, started."""
        started = set()
        for fut in finished:
            item = self._take(fut.result())
            if item is None:
                continue
            if self._model.encoder() is None:
                self._for_the_model.append(item)
            else:
                started.add(self._decode(decoders, item))
        return started

    def _decode(self, decoders: Decoders, item: Hashed | ForCpu) -> Future[object]:
        encoder = self._model.encoder()
        assert encoder is not None, "decoding waits for the model"
        return decoders.decode(item, encoder)

    def _take(self, item: object) -> Hashed | ForCpu | None:
        """Route one pool result; returns an item that still needs decoding."""
        if isinstance(item, Failed):
            self._results.finish(item)
        elif isinstance(item, Decoded | Jpeg):
            self._batch.append(item)
        elif isinstance(item, ForCpu):
            return item
        elif isinstance(item, NotNow):
            self._results.not_now(item)
        elif isinstance(item, Hashed):
            if being_written(item.stat.mtime, self._settings.settle_seconds):
                self._results.skip(item.stat, vanished=False)  # written to since the scan
            elif self._results.needs_encoding(item):
                return item
        return None

    def _encode_batch(self, decoders: Decoders) -> None:
        if not self._batch:
            return
        encoder = self._model.encoder()
        assert encoder is not None, "photos are decoded only once the model is loaded"
        batch = self._gpu_decoded(decoders, self._batch, encoder)
        self._batch = []
        if not batch:
            self._results.flush()
            return
        with decoders.paused_for(encoder):
            pixels = [d.pixels for d in batch]
            if all(isinstance(p, np.ndarray) for p in pixels):
                vectors = encoder.encode_pixels(np.stack(pixels))
            else:
                vectors = encoder.encode_pixels(gpu_jpeg.stack(pixels, encoder.device))
        for item, vector in zip(batch, vectors, strict=True):
            s = item.stat
            self._results.finish(Encoded(s.path, s.size, s.mtime, item.hash, item.info, vector))
        self._results.flush()

    def _gpu_decoded(
        self, decoders: Decoders, batch: list[Decoded | Jpeg], encoder: PhotoEncoder
    ) -> list[Decoded]:
        """The batch with its JPEGs decoded on the GPU; those the GPU fails on are decoded
        here on the CPU, which records the ones that are truly broken as failed."""
        jpegs = [item for item in batch if isinstance(item, Jpeg)]
        if not jpegs:
            return [item for item in batch if isinstance(item, Decoded)]
        on_gpu = {id(j): p for j, p in zip(jpegs, decoders.on_gpu(jpegs), strict=True)}
        ready: list[Decoded] = []
        for item in batch:
            if isinstance(item, Decoded):
                ready.append(item)
                continue
            p = on_gpu[id(item)]
            if p is not None:
                ready.append(Decoded(item.stat, item.hash, p, item.header.info))
                continue
            decoded = decode_bytes(item.stat, item.hash, item.data, encoder.preprocess)
            if isinstance(decoded, Failed):
                self._results.finish(decoded)
            else:
                ready.append(decoded)
        return ready
