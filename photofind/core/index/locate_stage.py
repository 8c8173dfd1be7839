"""Reading the positions of photos indexed before photofind read them: once per photo, from
its header alone, so a library indexed by an older version gets its places without being
encoded again. New photos get theirs as they are indexed (core.index.store.writes)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from photofind.core.errors import PhotofindError
from photofind.core.index.progress import IndexCounts, IndexProgress
from photofind.core.index.store import Position, Store, located
from photofind.core.photos.gps import exif_gps
from photofind.core.photos.imaging import load_photo_file
from photofind.core.photos.raw import is_raw_name

CHUNK = 256

log = logging.getLogger(__name__)


def locate_old_photos(
    store: Store, counts: IndexCounts, cancel: threading.Event
) -> Iterator[IndexProgress]:
    """Read and record the position of every good photo never read for one."""
    done = 0
    while not cancel.is_set() and (todo := store.photos_to_locate(CHUNK)):
        store.set_positions([(pid, position_of(path)) for pid, path in todo])
        done += len(todo)
        yield IndexProgress("places", done, 0, 0.0, counts)


def position_of(path: str) -> Position | None:
    """Where the photo at `path` was taken, if its EXIF says (None too when it cannot be
    read now: the photo's own index run records what is wrong with it)."""
    try:
        if is_raw_name(path):
            return located(load_photo_file(Path(path)).info.gps)
        with Image.open(path) as im:
            return located(exif_gps(im.getexif()))
    except (OSError, ValueError, PhotofindError, Image.DecompressionBombError) as exc:
        log.info("no position read from %s: %s", path, exc)
        return None
