"""Bringing the index up to date with the library's folders, incrementally.

`index_library` is a generator: it yields progress between steps and checks a cancel flag,
so the CLI can draw a bar and the app can turn the yields into signals. The thread that
iterates it owns the encoder and every database write; reading, hashing and decoding run
on a thread pool, in turn with the encoder (see `_Pipeline`).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photofind.core.errors import FileChangedError, FileVanishedError, PhotoLoadError
from photofind.core.index.places import away, check_places, remember_places
from photofind.core.index.store import Encoded, Failed, PhotoRow, Result, Reused, Store
from photofind.core.model import gpu_jpeg
from photofind.core.model.encoder import PhotoEncoder, Preprocessing
from photofind.core.photos.imaging import (
    JpegHeader,
    PhotoInfo,
    is_access_failure,
    load_photo,
    plain_jpeg_header,
    read_file,
)
from photofind.core.photos.scanning import FileStat, Scope, is_within, scan_scopes, scopes_within
from photofind.core.threads import lower_this_threads_priority

if TYPE_CHECKING:
    import torch

# Measured on a 2-core CPU with ViT-B/32 (benchmarks/PROFILE.md): 16 is as fast as 32 per
# photo and halves the wait for the first batch.
BATCH_SIZE = 16
# Decoders to run at most: beyond this, threads mostly wait on each other and on memory.
MAX_WORKERS = 32
# Below this many cores, decoding threads hardly contend for the GIL (see _Pipeline).
MIN_CORES_FOR_PROCESSES = 4
# Reuses and failures need no model; commit them in chunks so a long move-only run keeps
# its progress if it is interrupted.
MAX_UNWRITTEN = 256
# How often a run that has nothing to do but wait for the model looks again.
MODEL_WAIT_SECONDS = 0.05


@dataclass
class IndexCounts:
    encoded: int = 0  # run through the model
    reused: int = 0  # vector taken from identical content already indexed
    removed: int = 0  # files gone from the library's folders
    failed: int = 0  # unreadable as photos
    unchanged: int = 0  # skipped: same size and modification time as indexed
    deferred: int = 0  # still being written; picked up by a later run

    def as_dict(self) -> dict[str, int]:
        return {
            "encoded": self.encoded,
            "reused": self.reused,
            "removed": self.removed,
            "failed": self.failed,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class IndexProgress:
    phase: str  # "scanning", "loading" (the model, before encoding), "indexing" or "done"
    done: int  # files scanned (scanning) or photos processed (indexing)
    total: int  # photos to process; 0 while scanning
    rate: float  # photos processed per second in the indexing phase
    counts: IndexCounts = field(default_factory=IndexCounts)
    cancelled: bool = False

    @property
    def eta_seconds(self) -> float | None:
        if self.phase != "indexing" or self.rate <= 0:
            return None
        return (self.total - self.done) / self.rate


@dataclass(frozen=True)
class _Hashed:
    stat: FileStat
    hash: str
    data: bytes


@dataclass(frozen=True)
class _NotNow:
    """A file not indexed in this run: it vanished since the scan, or is being written."""

    stat: FileStat
    vanished: bool
    hash: str | None = None  # set when found out after hashing: copies wait on this hash


@dataclass(frozen=True)
class _Decoded:
    stat: FileStat
    hash: str
    pixels: np.ndarray | torch.Tensor  # a tensor when the GPU decoded it (_Jpeg)
    info: PhotoInfo


@dataclass(frozen=True)
class _Jpeg:
    """A plain JPEG, its header checked, waiting to be decoded on the GPU with its batch."""

    stat: FileStat
    hash: str
    data: bytes
    header: JpegHeader


@dataclass(frozen=True)
class _ForCpu:
    """A hashed file the GPU's JPEG decoder does not take: decode it as usual."""

    item: _Hashed


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _read_and_hash(stat: FileStat) -> _Hashed | Failed | _NotNow:
    """Read a file found by the scan. What is recorded is the size and modification time of
    the bytes actually read, which may be newer than the scan's."""
    try:
        content = read_file(Path(stat.path))
    except FileVanishedError:
        return _NotNow(stat, vanished=True)
    except FileChangedError:
        return _NotNow(stat, vanished=False)
    except PhotoLoadError as exc:
        return Failed(stat.path, stat.size, stat.mtime, None, str(exc))
    read = FileStat(stat.path, content.size, content.mtime)
    return _Hashed(read, content_hash(content.data), content.data)


def _decode(item: _Hashed, encoder: PhotoEncoder) -> _Decoded | Failed:
    return _decode_bytes(item.stat, item.hash, item.data, encoder.preprocess)


def _check_jpeg(item: _Hashed) -> _Jpeg | _ForCpu | Failed:
    """Read a file's header to see whether the GPU can decode it (on the pool: about 2 ms
    of a 12 MP JPEG, most of it bounding the scan count)."""
    try:
        header = plain_jpeg_header(item.data)
    except PhotoLoadError as exc:
        return Failed(item.stat.path, item.stat.size, item.stat.mtime, item.hash, str(exc))
    if header is None:
        return _ForCpu(item)
    return _Jpeg(item.stat, item.hash, item.data, header)


def _decode_bytes(
    stat: FileStat, digest: str, data: bytes, prep: Preprocessing
) -> _Decoded | Failed:
    try:
        loaded = load_photo(data, min_side=prep.min_side)
        pixels = prep(loaded.image)
    except PhotoLoadError as exc:
        return Failed(stat.path, stat.size, stat.mtime, digest, str(exc))
    return _Decoded(stat, digest, pixels, loaded.info)


# -- decoding in worker processes (a GPU machine's many cores) -----------------------------

_worker_preprocess: Preprocessing | None = None


def _start_decoder(prep: Preprocessing) -> None:
    global _worker_preprocess
    _worker_preprocess = prep
    lower_this_threads_priority()


def _decode_file(item: _Hashed) -> _Decoded | Failed | _NotNow:
    """`_decode` in a worker process. The file is read again there rather than sent over (4 MB
    through a pipe costs more than a read from the page cache), and it must still be the
    file that was hashed: same size and modification time, else a later run takes it."""
    assert _worker_preprocess is not None, "_start_decoder runs first"
    stat = item.stat
    try:
        content = read_file(Path(stat.path))
    except FileVanishedError:
        return _NotNow(stat, vanished=True, hash=item.hash)
    except FileChangedError:
        return _NotNow(stat, vanished=False, hash=item.hash)
    except PhotoLoadError as exc:
        return Failed(stat.path, stat.size, stat.mtime, item.hash, str(exc))
    if (content.size, content.mtime) != (stat.size, stat.mtime):
        return _NotNow(stat, vanished=False, hash=item.hash)
    return _decode_bytes(stat, item.hash, content.data, _worker_preprocess)


def index_library(
    store: Store,
    model_name: str,
    load_encoder: Callable[[], PhotoEncoder | None],
    folders: Iterable[str],
    *,
    excluded: Iterable[str] = (),
    cancel: threading.Event | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
    settle_seconds: float = 0.0,
    decode_processes: bool | None = None,
    only: Sequence[Scope] | None = None,
) -> Iterator[IndexProgress]:
    """Index new and changed photos under `folders`, reuse vectors of moved files, and remove
    photos whose files are gone. The encoder is loaded only if something needs encoding;
    `load_encoder` may return None while it is still loading elsewhere (the app loads it on a
    thread of its own): then files are read and hashed meanwhile, moved photos reuse their
    vectors, and "loading" progress is yielded while nothing else can be done.

    `settle_seconds` > 0 defers files modified that recently (a copy still in progress); they
    are neither indexed nor removed, and a later run picks them up. So are files that change
    while they are read, whatever `settle_seconds`. Files that vanish between the scan and
    their reading are simply not there. Photos below a place that cannot be reached right now
    (see core.index.places: an unplugged drive, a mount point below a library folder that is not
    mounted, a link into one) or a folder that cannot be read are kept. Photos under no
    library folder (one removed meanwhile by another process) are removed; so are those a
    removed folder put aside, once a run has looked at the whole library.

    `only` limits the run to some parts of the library (what a watcher saw change): only
    they are scanned, and only photos recorded there can be found gone. A moved photo still
    reuses its vector, whichever folder it came from.

    `decode_processes` decodes in worker processes instead of threads; by default it does
    when the model runs on a GPU and there are enough cores for the GIL to matter.
    With PHOTOFIND_GPU_JPEG=1, the GPU that runs the model decodes plain JPEGs itself, where
    torchvision can (see gpu_jpeg).
    """
    cancel = cancel or threading.Event()
    folders = [os.path.abspath(f) for f in folders]
    counts = IndexCounts()
    model_id = store.find_model(model_name)
    if only is None:
        scopes = [Scope(f, recursive=True) for f in folders]
        known = store.photos(model_id)
    else:
        scopes = scopes_within(only, folders)
        known = store.photos_in(model_id, scopes)

    seen: set[str] = set()
    unreadable: list[str] = []
    found_places: dict[str, int] = {}
    todo: list[FileStat] = []
    now = time.time()
    files = scan_scopes(scopes, folders, excluded, unreadable, found_places)
    for n, stat in enumerate(files, 1):
        seen.add(stat.path)
        row = known.get(stat.path)
        if (
            row
            and row.size == stat.size
            and row.mtime == stat.mtime
            and (row.status == "failed" or row.has_vector)
            and not _readable_again(row)
        ):
            counts.unchanged += 1
        elif settle_seconds and now - stat.mtime < settle_seconds:
            counts.deferred += 1
        else:
            todo.append(stat)
        if n % 500 == 0:
            yield IndexProgress("scanning", n, 0, 0.0, counts)
            if cancel.is_set():
                yield IndexProgress("done", 0, 0, 0.0, counts, cancelled=True)
                return

    pipeline = _Pipeline(
        store, model_name, model_id, load_encoder, counts, batch_size, settle_seconds
    )
    pipeline.decode_processes = decode_processes
    yield from pipeline.run(todo, cancel, workers or min(MAX_WORKERS, os.cpu_count() or 2))
    if cancel.is_set():
        yield IndexProgress("done", pipeline.done, len(todo), pipeline.rate, counts, cancelled=True)
        return

    # Sweep only after everything was scanned, so a moved file was found (and its vector
    # reused) before its old path is removed.
    seen -= pipeline.vanished
    library_folders = store.folders()
    reaches = check_places(store, library_folders)
    remember_places(store, library_folders, reaches, found_places)
    gone = _gone(known, seen, folders, library_folders, away(reaches) + unreadable)
    counts.removed = len(gone)
    if only is None:
        # The run has seen the whole library: what was put aside before, kept in case a
        # folder was added back or a photo turned up elsewhere, goes, with what it missed.
        store.forget_removed()
        store.delete_photos(gone)
    else:
        store.put_aside(gone)
    yield IndexProgress("done", pipeline.done, len(todo), pipeline.rate, counts)


def _gone(
    known: dict[str, PhotoRow],
    seen: set[str],
    scanned: list[str],
    library_folders: list[str],
    kept: list[str],
) -> list[int]:
    """The photos to forget: those not seen in folders that were scanned, unless below a
    place `kept` (not there now, or unreadable), and those under no library folder."""
    ids = []
    for path, row in known.items():
        if path in seen:
            continue
        if not any(is_within(path, f) for f in library_folders) or (
            any(is_within(path, f) for f in scanned) and not any(is_within(path, k) for k in kept)
        ):
            ids.append(row.id)
    return ids


def _readable_again(row: PhotoRow) -> bool:
    """A file that failed because it could not be read (permissions, an I/O error) is tried
    again when it is readable: fixing that changes neither its size nor its mtime."""
    return row.status == "failed" and is_access_failure(row.error) and os.access(row.path, os.R_OK)


class _Pipeline:
    """Read+hash and decode on a pool, encode in batches on the calling thread, write in
    one transaction per batch.

    On the CPU the pool and the encoder take turns: the pool pauses while a batch is
    encoded. torch runs one thread per core and every op waits for its slowest thread, so a
    decoder sharing a core halves the encoder's speed; alternating is 7-11 % faster than
    overlapping on 2 cores and approaches the pipeline bound 1 / (1/E + D/cores). With the
    model on a GPU the cores are the decoders' alone, so the pool never pauses, and decoding
    moves to worker processes: Pillow releases the GIL for each 64 KB of a JPEG it decodes
    and takes it back after, so 16 decoding threads kept only ~7 of 16 cores busy
    (benchmarks/GPU.md). Reading and hashing stay on threads (hashlib and file reads release
    the GIL for the whole buffer), so a moved file is still recognised before any decoding.
    """

    def __init__(
        self,
        store: Store,
        model_name: str,
        model_id: int | None,
        load_encoder: Callable[[], PhotoEncoder | None],
        counts: IndexCounts,
        batch_size: int,
        settle_seconds: float = 0.0,
    ) -> None:
        self.store = store
        self.model_name = model_name
        self.model_id = model_id
        self.load_encoder = load_encoder
        self.encoder: PhotoEncoder | None = None
        self.counts = counts
        self.batch_size = batch_size
        self.settle_seconds = settle_seconds
        # Files gone between the scan and their reading: not indexed, their rows swept.
        self.vanished: set[str] = set()
        # Content hash -> a photo whose vector it can reuse, looked up as files are hashed
        # (see _source): a run over a few folders never reads the whole library's hashes.
        self.sources: dict[str, int] = {}
        self.unwritten: list[Result] = []
        # Identical content seen twice in one run: the copies wait for the first's vector.
        self.in_progress: dict[str, list[FileStat]] = {}
        self.done = 0
        self.started = time.perf_counter()
        self.decoding_allowed = threading.Event()
        self.decoding_allowed.set()
        self.decode_processes: bool | None = None  # None: decided once the encoder is known
        self.processes: ProcessPoolExecutor | None = None
        self.torch_threads: int | None = None  # torch's CPU threads before a GPU run
        self.cpu_shared = False  # _share_the_cpu has run
        self.jpegs: gpu_jpeg.GpuJpegDecoder | None = None  # set by _share_the_cpu
        self.batch: list[_Decoded | _Jpeg] = []
        self.for_the_model: list[_Hashed | _ForCpu] = []  # to decode once the model is loaded
        self.workers = 1
        self.total = 0

    def _in_turn(self, fn: Callable[..., object], *args: object) -> object:
        self.decoding_allowed.wait()
        return fn(*args)

    @property
    def rate(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def run(
        self, todo: list[FileStat], cancel: threading.Event, workers: int
    ) -> Iterator[IndexProgress]:
        if not todo:
            return
        total = len(todo)
        queue = list(reversed(todo))
        inflight: set[Future[object]] = set()
        self.started = time.perf_counter()
        self.workers = workers
        self.total = total
        with ThreadPoolExecutor(
            workers, thread_name_prefix="photofind-decode", initializer=lower_this_threads_priority
        ) as pool:
            try:
                yield from self._drive(pool, queue, inflight, total, cancel, workers)
            finally:
                self.decoding_allowed.set()  # nothing in the pool may wait forever
                if self.processes is not None:
                    self.processes.shutdown(wait=True, cancel_futures=True)
                if self.torch_threads is not None:
                    import torch

                    torch.set_num_threads(self.torch_threads)

    def _drive(
        self,
        pool: ThreadPoolExecutor,
        queue: list[FileStat],
        inflight: set[Future[object]],
        total: int,
        cancel: threading.Event,
        workers: int,
    ) -> Iterator[IndexProgress]:
        window = 2 * self.batch_size + workers
        while queue or inflight or self.for_the_model:
            if cancel.is_set():
                for f in inflight:
                    f.cancel()
                # Keep what is decoded but not encoded for next time; commit what is final.
                self._flush()
                return
            if self.for_the_model and self._encoder() is not None:
                inflight |= {self._submit_decode(pool, item) for item in self.for_the_model}
                self.for_the_model = []
            while queue and len(inflight) + len(self.for_the_model) < window:
                inflight.add(pool.submit(self._in_turn, _read_and_hash, queue.pop()))
            if not inflight:  # only the model is awaited
                self._flush()
                yield IndexProgress("loading", self.done, total, 0.0, self.counts)
                time.sleep(MODEL_WAIT_SECONDS)
                continue
            finished, inflight = wait(inflight, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in finished:
                follow_up = self._take(fut.result())
                if follow_up is None:
                    continue
                if self._encoder() is None:
                    self.for_the_model.append(follow_up)
                else:
                    inflight.add(self._submit_decode(pool, follow_up))
            idle = not queue and not inflight and not self.for_the_model
            if len(self.batch) >= self.batch_size or idle:
                self._encode_batch()
            if len(self.unwritten) >= MAX_UNWRITTEN or idle:
                self._flush()
            yield IndexProgress("indexing", self.done, total, self.rate, self.counts)

    def _submit_decode(self, threads: Executor, item: _Hashed | _ForCpu) -> Future[object]:
        encoder = self._encoder()
        assert encoder is not None, "decoding waits for the model"
        if not self.cpu_shared:
            self._share_the_cpu(encoder)
        if isinstance(item, _ForCpu):
            item = item.item
        elif self.jpegs is not None and item.data.startswith(b"\xff\xd8"):
            return threads.submit(_check_jpeg, item)
        if not self.decode_processes:
            return threads.submit(self._in_turn, _decode, item, encoder)
        if self.processes is None:
            # spawn, not fork: forking a process that holds CUDA state or Qt is unsafe.
            self.processes = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_decoder,
                initargs=(encoder.preprocess,),
            )
        return self.processes.submit(_decode_file, _Hashed(item.stat, item.hash, b""))

    def _share_the_cpu(self, encoder: PhotoEncoder) -> None:
        """Decide, once the encoder is known, how decoding gets the cores."""
        self.cpu_shared = True
        gpu = encoder.device != "cpu"
        self.jpegs = gpu_jpeg.decoder_for(encoder)
        if self.decode_processes is None:
            # Starting processes costs about a second: not worth it for a handful of photos.
            self.decode_processes = (
                gpu and self.workers >= MIN_CORES_FOR_PROCESSES and self.total >= 4 * self.workers
            )
        if gpu and encoder.in_this_process:
            # With the model on a GPU, torch's CPU thread pool has nothing to compute, yet
            # its threads spin after every small CPU op (the pinned copies): about 10 ms of
            # CPU a photo on a 16-core machine, which the decoders need
            # (benchmarks/GPU-overhead.json). One thread while indexing; restored after.
            import torch

            self.torch_threads = torch.get_num_threads()
            torch.set_num_threads(1)

    def _take(self, item: object) -> _Hashed | _ForCpu | None:
        """Route one pool result; returns an item that still needs decoding."""
        if isinstance(item, Failed):
            self._finish(item)
        elif isinstance(item, _Decoded | _Jpeg):
            self.batch.append(item)
        elif isinstance(item, _ForCpu):
            return item
        elif isinstance(item, _NotNow):
            self._skip(item.stat, item.vanished)
            # Copies waiting for this content's vector are not indexed this run either.
            for waiting in self.in_progress.pop(item.hash, []) if item.hash else []:
                self._skip(waiting, vanished=False)
        elif isinstance(item, _Hashed):
            if self.settle_seconds and time.time() - item.stat.mtime < self.settle_seconds:
                self._skip(item.stat, vanished=False)  # written to since the scan
                return None
            source = self._source(item.hash)
            if source is not None:
                s = item.stat
                self._finish(Reused(s.path, s.size, s.mtime, item.hash, source))
            elif item.hash in self.in_progress:
                self.in_progress[item.hash].append(item.stat)
            else:
                self.in_progress[item.hash] = []
                return item
        return None

    def _source(self, content: str) -> int | None:
        if content not in self.sources and self.model_id is not None:
            found = self.store.vector_source(content, self.model_id)
            if found is not None:
                self.sources[content] = found
        return self.sources.get(content)

    def _skip(self, stat: FileStat, vanished: bool) -> None:
        self.done += 1
        if vanished:
            self.vanished.add(stat.path)
        else:
            self.counts.deferred += 1

    def _finish(self, result: Result) -> None:
        self.unwritten.append(result)
        self.done += 1
        if isinstance(result, Failed):
            self.counts.failed += 1
            self._release_waiters(result.hash, None, result.reason)
        elif isinstance(result, Reused):
            self.counts.reused += 1
        else:
            self.counts.encoded += 1

    def _encoder(self) -> PhotoEncoder | None:
        if self.encoder is None:
            self.encoder = self.load_encoder()
            if self.encoder is not None:
                self.model_id = self.store.model_id(self.model_name, self.encoder.dim)
        return self.encoder

    def _encode_batch(self) -> None:
        if not self.batch:
            return
        encoder = self._encoder()
        assert encoder is not None, "photos are decoded only once the model is loaded"
        batch = self._gpu_decoded(self.batch, encoder)
        self.batch = []
        if not batch:
            self._flush()
            return
        if encoder.device == "cpu":
            self.decoding_allowed.clear()
        try:
            pixels = [d.pixels for d in batch]
            if all(isinstance(p, np.ndarray) for p in pixels):
                vectors = encoder.encode_pixels(np.stack(pixels))
            else:
                vectors = encoder.encode_pixels(gpu_jpeg.stack(pixels, encoder.device))
        finally:
            self.decoding_allowed.set()
        for item, vector in zip(batch, vectors, strict=True):
            s = item.stat
            self._finish(Encoded(s.path, s.size, s.mtime, item.hash, item.info, vector))
        self._flush()

    def _gpu_decoded(self, batch: list[_Decoded | _Jpeg], encoder: PhotoEncoder) -> list[_Decoded]:
        """The batch with its JPEGs decoded on the GPU; those the GPU fails on are decoded
        here on the CPU, which records the ones that are truly broken as failed."""
        jpegs = [item for item in batch if isinstance(item, _Jpeg)]
        if not jpegs:
            return [item for item in batch if isinstance(item, _Decoded)]
        assert self.jpegs is not None, "only a pipeline with a GPU decoder makes _Jpeg items"
        pixels = self.jpegs.pixels([j.data for j in jpegs], [j.header.orientation for j in jpegs])
        on_gpu = {id(j): p for j, p in zip(jpegs, pixels, strict=True)}
        ready: list[_Decoded] = []
        for item in batch:
            if isinstance(item, _Decoded):
                ready.append(item)
                continue
            p = on_gpu[id(item)]
            if p is not None:
                ready.append(_Decoded(item.stat, item.hash, p, item.header.info))
                continue
            decoded = _decode_bytes(item.stat, item.hash, item.data, encoder.preprocess)
            if isinstance(decoded, Failed):
                self._finish(decoded)
            else:
                ready.append(decoded)
        return ready

    def _flush(self) -> None:
        if not self.unwritten:
            return
        results, self.unwritten = self.unwritten, []
        self.store.write(results, self.model_id, only_in_library=True)
        for r in results:
            if isinstance(r, Encoded):
                pid = self.store.photo_id(r.path)
                if pid is not None:
                    self.sources[r.hash] = pid
                    self._release_waiters(r.hash, pid, "")
                else:  # its folder left the library meanwhile; copies elsewhere wait a run
                    for waiting in self.in_progress.pop(r.hash, []):
                        self._skip(waiting, vanished=False)
        if self.unwritten:  # copies released above
            self._flush()

    def _release_waiters(self, content: str | None, source: int | None, reason: str) -> None:
        """Copies of content that was just encoded (or failed) share its outcome."""
        if content is None:
            return
        for s in self.in_progress.pop(content, []):
            if source is None:
                self._finish(Failed(s.path, s.size, s.mtime, content, reason))
            else:
                self._finish(Reused(s.path, s.size, s.mtime, content, source))
