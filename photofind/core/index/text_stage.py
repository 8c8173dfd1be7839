"""The text stage of an index run: after the photos are encoded, the words in them are read
(OCR, core.model.ocr) so that a quoted phrase finds them.

Reading takes about half a second to a few seconds a photo, so with PHOTOFIND_OCR (or the
app's setting) at "auto" only content that CLIP judges likely to hold text (a screenshot,
a document, a receipt, a sign…: core.model.text_gate) is read; "all" reads every photo, and
"off" none. Each content is judged and read once, whatever its path: a moved or copied photo
keeps its text, and a run that is stopped goes on where it left off. Reading happens on a
thread of lower priority, one photo at a time, while the run yields progress, so the app
answers searches meanwhile and can pause or stop between two photos."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np

from photofind.core.errors import (
    FileChangedError,
    FileVanishedError,
    PhotofindError,
    SettingError,
    first_line,
)
from photofind.core.index.progress import IndexCounts, IndexProgress
from photofind.core.index.store import Store, TextLine
from photofind.core.model.ocr import TextReader
from photofind.core.model.text_gate import TextGate
from photofind.core.photos.imaging import load_photo_file
from photofind.core.threads import lower_this_threads_priority

TEXT_MODES = ("auto", "all", "off")
TEXT_MODE_VARIABLE = "PHOTOFIND_OCR"
# Content judged per look at the store: a few hundred vectors at a time.
JUDGE_CHUNK = 512
# How often progress is yielded while a photo is being read.
WAIT_SECONDS = 0.05

log = logging.getLogger(__name__)


def text_mode(setting: str = "auto") -> str:
    """Which photos to read: PHOTOFIND_OCR when it is set, else the setting. Raises
    SettingError for a value that is none of TEXT_MODES."""
    mode = (os.environ.get(TEXT_MODE_VARIABLE) or setting).strip().lower()
    if mode not in TEXT_MODES:
        source = TEXT_MODE_VARIABLE if os.environ.get(TEXT_MODE_VARIABLE) else "the text setting"
        raise SettingError(f"{source} is {mode!r}; use one of {', '.join(TEXT_MODES)}")
    return mode


def judge_contents(
    store: Store,
    model_id: int,
    text_vectors: Callable[[list[str]], np.ndarray],
    counts: IndexCounts,
    cancel: threading.Event,
) -> Iterator[IndexProgress]:
    """Mark the content not judged yet as likely to hold text or not, from its vectors, a
    chunk at a time (yielding between chunks, so the app answers searches meanwhile)."""
    todo = store.contents_to_judge(model_id)
    gate = TextGate(text_vectors) if todo else None
    for start in range(0, len(todo), JUDGE_CHUNK):
        if cancel.is_set():
            return
        assert gate is not None
        chunk = todo[start : start + JUDGE_CHUNK]
        vectors = store.vectors_of([pid for _, pid in chunk], model_id)
        judged = [(h, pid) for h, pid in chunk if pid in vectors]
        likely = gate.likely(np.stack([vectors[pid] for _, pid in judged])) if judged else []
        store.judge_contents(
            [h for (h, _), yes in zip(judged, likely, strict=True) if yes],
            [h for (h, _), yes in zip(judged, likely, strict=True) if not yes],
        )
        yield IndexProgress("texts", 0, 0, 0.0, counts)


def read_texts(
    store: Store,
    every: bool,
    counts: IndexCounts,
    cancel: threading.Event,
    reader: Callable[[], TextReader] = TextReader,
) -> Iterator[IndexProgress]:
    """Read the words in the content judged likely to hold them (all content with `every`),
    one photo at a time on a background thread, yielding "texts" progress."""
    todo = store.contents_to_read(every, limit=-1)
    if not todo:
        return
    started = time.perf_counter()
    text_reader: TextReader | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="photofind-text") as pool:
        for done, (content, path) in enumerate(todo):
            if cancel.is_set():
                return
            text_reader = text_reader or reader()
            job = pool.submit(_read_one, text_reader, path)
            while not job.done():
                rate = done / max(time.perf_counter() - started, 1e-9)
                yield IndexProgress("texts", done, len(todo), rate, counts)
                wait([job], timeout=WAIT_SECONDS)
            counts.texts += _keep_result(store, content, path, job)
    yield IndexProgress("texts", len(todo), len(todo), 0.0, counts)


def _read_one(reader: TextReader, path: str) -> list[TextLine]:
    lower_this_threads_priority()
    image = load_photo_file(Path(path)).image
    return [TextLine(line.text, _rect(line.box)) for line in reader.read(image) if line.text]


def _rect(box: object) -> tuple[int, int, int, int]:
    points = np.asarray(box, dtype=np.float64).reshape(-1, 2)
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1))


def _keep_result(store: Store, content: str, path: str, job: Future[list[TextLine]]) -> int:
    """Store what reading one photo found; 1 if it was read."""
    try:
        store.save_text(content, job.result())
        return 1
    except (FileChangedError, FileVanishedError):
        return 0  # not there as it was: read at a later run, from wherever the content is then
    except PhotofindError as exc:
        log.warning("could not read the text in %s: %s", path, first_line(exc))
        store.text_failed(content, first_line(exc))
        return 0
