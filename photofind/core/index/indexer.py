"""Bringing the index up to date with the library's folders, incrementally.

`index_library` is a generator: it yields progress between steps and checks a cancel flag,
so the CLI can draw a bar and the app can turn the yields into signals. A run is three
steps: scan (core.index.scan), encode (core.index.pipeline) and sweep (core.index.sweep).
The thread that iterates it owns the encoder and every database write; reading, hashing
and decoding run on a pool, in turn with the encoder (see core.index.decoding).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

from photofind.core.index.pipeline import EncodePipeline, PipelineSettings
from photofind.core.index.progress import IndexCounts, IndexProgress
from photofind.core.index.scan import scan_library
from photofind.core.index.store import Store
from photofind.core.index.sweep import sweep
from photofind.core.model.encoder import PhotoEncoder
from photofind.core.photos.scanning import Scope

# 16 is as fast per photo as 32 and halves the wait for the first batch (benchmarks/PROFILE.md).
BATCH_SIZE = 16
# Decoders to run at most: beyond this, threads mostly wait on each other and on memory.
MAX_WORKERS = 32


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

    `settle_seconds` > 0 defers files modified that recently (a copy still in progress, see
    core.index.scan.SETTLE_SECONDS); they are neither indexed nor removed, and a later run
    picks them up. So are files that change while they are read, whatever `settle_seconds`.
    Files that vanish between the scan and their reading are simply not there. Photos below
    a place that cannot be reached right now (see core.index.places: an unplugged drive, a
    mount point below a library folder that is not mounted, a link into one) or a folder
    that cannot be read are kept. Photos under no library folder (one removed meanwhile by
    another process) are removed; so are those a removed folder put aside, once a run has
    looked at the whole library.

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

    found = yield from scan_library(
        store, model_id, folders, excluded, only, counts, cancel, settle_seconds
    )
    if found is None:
        yield IndexProgress("done", 0, 0, 0.0, counts, cancelled=True)
        return

    workers = workers or min(MAX_WORKERS, os.cpu_count() or 2)
    settings = PipelineSettings(batch_size, workers, settle_seconds, decode_processes)
    pipeline = EncodePipeline(store, model_name, model_id, load_encoder, counts, settings)
    yield from pipeline.run(found.todo, cancel)

    cancelled = cancel.is_set()
    if not cancelled:
        counts.removed = sweep(store, found, pipeline.vanished, whole_library=only is None)
    yield IndexProgress("done", pipeline.done, len(found.todo), pipeline.rate, counts, cancelled)
