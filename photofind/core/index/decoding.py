"""Reading, hashing and decoding the files an index run takes, on a pool of threads or
worker processes that takes turns with the encoder (see `Decoders`)."""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photofind.core.errors import FileChangedError, FileVanishedError, PhotoLoadError
from photofind.core.index.store import Failed
from photofind.core.model import gpu_jpeg
from photofind.core.model.encoder import PhotoEncoder
from photofind.core.model.preprocess import Preprocessing
from photofind.core.photos.imaging import (
    JpegHeader,
    PhotoInfo,
    load_photo,
    plain_jpeg_header,
    read_file,
)
from photofind.core.photos.scanning import FileStat
from photofind.core.threads import lower_this_threads_priority

if TYPE_CHECKING:
    import torch

# Below this many cores, decoding threads hardly contend for the GIL (see Decoders).
MIN_CORES_FOR_PROCESSES = 4


@dataclass(frozen=True)
class Hashed:
    stat: FileStat
    hash: str
    data: bytes


@dataclass(frozen=True)
class NotNow:
    """A file not indexed in this run: it vanished since the scan, or is being written."""

    stat: FileStat
    vanished: bool
    hash: str | None = None  # set when found out after hashing: copies wait on this hash


@dataclass(frozen=True)
class Decoded:
    stat: FileStat
    hash: str
    pixels: np.ndarray | torch.Tensor  # a tensor when the GPU decoded it (Jpeg)
    info: PhotoInfo


@dataclass(frozen=True)
class Jpeg:
    """A plain JPEG, its header checked, waiting to be decoded on the GPU with its batch."""

    stat: FileStat
    hash: str
    data: bytes
    header: JpegHeader


@dataclass(frozen=True)
class ForCpu:
    """A hashed file the GPU's JPEG decoder does not take: decode it as usual."""

    item: Hashed


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_and_hash(stat: FileStat) -> Hashed | Failed | NotNow:
    """Read a file found by the scan. What is recorded is the size and modification time of
    the bytes actually read, which may be newer than the scan's."""
    try:
        content = read_file(Path(stat.path))
    except FileVanishedError:
        return NotNow(stat, vanished=True)
    except FileChangedError:
        return NotNow(stat, vanished=False)
    except PhotoLoadError as exc:
        return Failed(stat.path, stat.size, stat.mtime, None, str(exc))
    read = FileStat(stat.path, content.size, content.mtime)
    return Hashed(read, content_hash(content.data), content.data)


def decode(item: Hashed, encoder: PhotoEncoder) -> Decoded | Failed:
    return decode_bytes(item.stat, item.hash, item.data, encoder.preprocess)


def check_jpeg(item: Hashed) -> Jpeg | ForCpu | Failed:
    """Read a file's header to see whether the GPU can decode it (on the pool: reading the
    header of a large JPEG takes a few milliseconds, most of it bounding the scan count)."""
    try:
        header = plain_jpeg_header(item.data)
    except PhotoLoadError as exc:
        return Failed(item.stat.path, item.stat.size, item.stat.mtime, item.hash, str(exc))
    if header is None:
        return ForCpu(item)
    return Jpeg(item.stat, item.hash, item.data, header)


def decode_bytes(stat: FileStat, digest: str, data: bytes, prep: Preprocessing) -> Decoded | Failed:
    try:
        loaded = load_photo(data, min_side=prep.min_side)
        pixels = prep(loaded.image)
    except PhotoLoadError as exc:
        return Failed(stat.path, stat.size, stat.mtime, digest, str(exc))
    return Decoded(stat, digest, pixels, loaded.info)


# -- decoding in worker processes (a GPU machine's many cores) -----------------------------

_worker_preprocess: Preprocessing | None = None


def start_decoder(prep: Preprocessing) -> None:
    """Set up a worker process for `decode_file`."""
    global _worker_preprocess
    _worker_preprocess = prep
    lower_this_threads_priority()


def decode_file(item: Hashed) -> Decoded | Failed | NotNow:
    """`decode` in a worker process. The file is read again there rather than sent over (4 MB
    through a pipe costs more than a read from the page cache), and it must still be the
    file that was hashed: same size and modification time, else a later run takes it."""
    assert _worker_preprocess is not None, "start_decoder runs first"
    stat = item.stat
    try:
        content = read_file(Path(stat.path))
    except FileVanishedError:
        return NotNow(stat, vanished=True, hash=item.hash)
    except FileChangedError:
        return NotNow(stat, vanished=False, hash=item.hash)
    except PhotoLoadError as exc:
        return Failed(stat.path, stat.size, stat.mtime, item.hash, str(exc))
    if (content.size, content.mtime) != (stat.size, stat.mtime):
        return NotNow(stat, vanished=False, hash=item.hash)
    return decode_bytes(stat, item.hash, content.data, _worker_preprocess)


class Decoders:
    """Read+hash and decode on a pool, for an encoder on the calling thread.

    On the CPU the pool and the encoder take turns: the pool pauses while a batch is
    encoded. torch runs one thread per core and every op waits for its slowest thread, so a
    decoder sharing a core halves the encoder's speed; alternating is faster than
    overlapping on 2 cores and approaches the pipeline bound 1 / (1/E + D/cores)
    (benchmarks/PROFILE.md). With the model on a GPU the cores are the decoders' alone, so
    the pool never pauses, and decoding moves to worker processes: Pillow releases the GIL
    for each 64 KB of a JPEG it decodes and takes it back after, so decoding threads keep
    only part of many cores busy (benchmarks/GPU.md). Reading and hashing stay on threads
    (hashlib and file reads release the GIL for the whole buffer), so a moved file is still
    recognised before any decoding.
    """

    def __init__(self, workers: int, total: int, processes: bool | None) -> None:
        self._workers = workers
        self._total = total  # files the run takes
        self._use_processes = processes  # None: decided once the encoder is known
        self._threads = ThreadPoolExecutor(
            workers, thread_name_prefix="photofind-decode", initializer=lower_this_threads_priority
        )
        self._processes: ProcessPoolExecutor | None = None
        self._allowed = threading.Event()
        self._allowed.set()
        self._cpu_shared = False  # _share_the_cpu has run (at the first `decode`)
        self._jpegs: gpu_jpeg.GpuJpegDecoder | None = None
        self._torch_threads: int | None = None  # torch's CPU threads before a GPU run

    def __enter__(self) -> Decoders:
        return self

    def __exit__(self, *exc: object) -> None:
        self._allowed.set()  # nothing in the pool may wait forever
        if self._processes is not None:
            self._processes.shutdown(wait=True, cancel_futures=True)
        if self._torch_threads is not None:
            import torch

            torch.set_num_threads(self._torch_threads)
        self._threads.shutdown(wait=True)

    def read(self, stat: FileStat) -> Future[object]:
        """Read and hash a file: a `Hashed`, `Failed` or `NotNow`."""
        return self._threads.submit(self._in_turn, read_and_hash, stat)

    def decode(self, item: Hashed | ForCpu, encoder: PhotoEncoder) -> Future[object]:
        """Decode a hashed file for `encoder`: a `Decoded`, `Failed` or `NotNow`, or a `Jpeg`
        to decode on the GPU with its batch (`on_gpu`), or a `ForCpu` to decode again."""
        if not self._cpu_shared:
            self._share_the_cpu(encoder)
        if isinstance(item, ForCpu):
            item = item.item
        elif self._jpegs is not None and item.data.startswith(b"\xff\xd8"):
            return self._threads.submit(check_jpeg, item)
        if not self._use_processes:
            return self._threads.submit(self._in_turn, decode, item, encoder)
        if self._processes is None:
            # spawn, not fork: forking a process that holds CUDA state or Qt is unsafe.
            self._processes = ProcessPoolExecutor(
                self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_decoder,
                initargs=(encoder.preprocess,),
            )
        return self._processes.submit(decode_file, Hashed(item.stat, item.hash, b""))

    def on_gpu(self, jpegs: Sequence[Jpeg]) -> list[Any]:
        """The model's input for each JPEG, decoded on the GPU; None for each it could not
        decode, which the caller decodes on the CPU."""
        assert self._jpegs is not None, "only Decoders with a GPU decoder make Jpeg items"
        return self._jpegs.pixels([j.data for j in jpegs], [j.header.orientation for j in jpegs])

    @contextlib.contextmanager
    def paused_for(self, encoder: PhotoEncoder) -> Iterator[None]:
        """Hold decoding back while `encoder` encodes a batch, if it runs on the CPU."""
        if encoder.device == "cpu":
            self._allowed.clear()
        try:
            yield
        finally:
            self._allowed.set()

    def _in_turn(self, fn: Callable[..., object], *args: object) -> object:
        self._allowed.wait()
        return fn(*args)

    def _share_the_cpu(self, encoder: PhotoEncoder) -> None:
        """Decide, once the encoder is known, how decoding gets the cores."""
        self._cpu_shared = True
        gpu = encoder.device != "cpu"
        self._jpegs = gpu_jpeg.decoder_for(encoder)
        if self._use_processes is None:
            # Starting processes costs about a second: not worth it for a handful of photos.
            self._use_processes = (
                gpu
                and self._workers >= MIN_CORES_FOR_PROCESSES
                and self._total >= 4 * self._workers
            )
        if gpu and encoder.in_this_process:
            # With the model on a GPU, torch's CPU thread pool has nothing to compute, yet
            # its threads spin after every small CPU op (the pinned copies), taking CPU the
            # decoders need (benchmarks/GPU-overhead.json). One thread while indexing;
            # restored after.
            import torch

            self._torch_threads = torch.get_num_threads()
            torch.set_num_threads(1)
