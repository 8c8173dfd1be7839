"""Small upright previews of photos, cached on disk so a grid of results opens quickly.

Safe to use from several threads at once: every cache entry is written to a temporary file
and renamed into place, so a reader sees either no entry or a whole one. Pruning keeps the
cache to the library's photos and under a size cap.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from photofind.core.errors import PhotoLoadError
from photofind.core.photos.imaging import load_photo_file

CACHE_FOLDER = "thumbnails"
# Thumbnails are made at a few fixed sizes and scaled for display, so dragging a size slider
# does not fill the disk with a copy per pixel step.
SIZES = (256, 512)
_QUALITY = 85
_TEMP_PREFIX = ".tmp-"
# A temporary file this old is left over from a write that never finished (writes take
# milliseconds), and goes when the cache is pruned.
_TEMP_MAX_AGE_SECONDS = 3600.0

log = logging.getLogger(__name__)


def cache_size_for(side: int) -> int:
    """The cached size to make a thumbnail of `side` pixels from: the smallest one at least as
    large, or the largest there is."""
    return next((s for s in SIZES if s >= side), SIZES[-1])


def make_thumbnail(path: Path, max_side: int) -> Image.Image:
    """An upright RGB thumbnail whose longer side is at most `max_side`. JPEGs are decoded at a
    reduced scale (draft mode), which is most of the speed. Raises PhotoLoadError."""
    image = load_photo_file(path, min_side=max_side).image
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return image


@dataclass(frozen=True)
class Pruned:
    """What pruning the cache removed, and what it left."""

    gone: int  # thumbnails of photos no longer in the library (and abandoned writes)
    evicted: int  # least recently used ones, to get under the size cap
    freed_bytes: int
    kept_bytes: int


class _File(NamedTuple):
    path: Path
    size: int
    used: float  # modification time: when it was written or last read


class ThumbnailCache:
    """Thumbnails under `<data dir>/thumbnails/`, keyed by path, file size, modification time
    and thumbnail size, so an edited photo gets a fresh thumbnail. An entry's name starts with
    the key of its photo's path, so pruning can tell which photo it belongs to."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / CACHE_FOLDER

    def entry_path(self, path: Path, size: int) -> Path:
        """Where the thumbnail for the file as it is now would be stored. Raises OSError."""
        st = path.stat()
        photo = _photo_key(str(path))
        variant = _digest(f"{st.st_size}\0{st.st_mtime_ns}\0{size}", 8)
        # Two-level fan-out keeps folders small enough for any file system. Not named .jpg, so
        # a data dir inside a library folder does not get its own thumbnails indexed.
        return self.folder / photo[:2] / f"{photo}-{variant}.thumb"

    def get(self, path: Path, size: int) -> Image.Image:
        """The thumbnail of `path` with a longer side of at most `size` pixels, from the cache or
        made and stored now. Raises PhotoLoadError if the photo cannot be read."""
        try:
            entry = self.entry_path(path, size)
        except FileNotFoundError as exc:
            raise PhotoLoadError("file vanished before it could be read") from exc
        except OSError as exc:
            raise PhotoLoadError(f"cannot read file: {exc.strerror or exc}") from exc
        cached = _read_entry(entry)
        if cached is not None:
            # Its time of use, for pruning: access times are not kept on many mounts.
            with contextlib.suppress(OSError):
                os.utime(entry)
            return cached
        image = make_thumbnail(path, size)
        _write_entry(entry, image)
        return image

    def prune(self, library: Iterable[str], cap_bytes: int) -> Pruned:
        """Remove the thumbnails of photos whose paths are not in `library`, then the least
        recently used ones until the cache holds at most `cap_bytes`. Entries being read or
        written meanwhile are safe to lose: a missing thumbnail is simply made again."""
        keep = {_photo_key(p) for p in library}
        now = time.time()
        kept: list[_File] = []
        gone: list[_File] = []
        for f in _cache_files(self.folder):
            name = f.path.name
            if name.startswith(_TEMP_PREFIX):
                if now - f.used > _TEMP_MAX_AGE_SECONDS:
                    gone.append(f)
            elif name.partition("-")[0] in keep:
                kept.append(f)
            else:
                gone.append(f)
        evicted = _over_cap(kept, cap_bytes)
        freed = _remove(gone) + _remove(evicted)
        pruned = Pruned(
            gone=len(gone),
            evicted=len(evicted),
            freed_bytes=freed,
            kept_bytes=sum(f.size for f in kept) - sum(f.size for f in evicted),
        )
        if gone or evicted:
            log.info(
                "thumbnail cache pruned: %d of photos no longer in the library, %d least "
                "recently used; %.1f MB freed, %.1f MB kept (cap %.1f MB)",
                pruned.gone,
                pruned.evicted,
                pruned.freed_bytes / 2**20,
                pruned.kept_bytes / 2**20,
                cap_bytes / 2**20,
            )
        return pruned


def _digest(text: str, size: int) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=size).hexdigest()


def _photo_key(path: str) -> str:
    return _digest(os.path.abspath(path), 16)


def _cache_files(folder: Path) -> Iterator[_File]:
    """Every file in the cache's fan-out folders."""
    for fan in _scan(folder):
        if not fan.is_dir(follow_symlinks=False):
            continue
        for entry in _scan(Path(fan.path)):
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:  # removed meanwhile
                continue
            yield _File(Path(entry.path), st.st_size, st.st_mtime)


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:  # no cache yet, or not a folder
        return []


def _over_cap(files: list[_File], cap_bytes: int) -> list[_File]:
    """The least recently used of `files` whose removal brings them under the cap."""
    total = sum(f.size for f in files)
    doomed: list[_File] = []
    for f in sorted(files, key=lambda f: f.used):
        if total <= cap_bytes:
            break
        doomed.append(f)
        total -= f.size
    return doomed


def _remove(files: list[_File]) -> int:
    """Delete the files; returns the bytes freed. One that cannot be deleted (gone already,
    or a read-only cache) is left to the next pruning."""
    freed = 0
    for f in files:
        with contextlib.suppress(OSError):
            f.path.unlink()
            freed += f.size
    return freed


def _read_entry(entry: Path) -> Image.Image | None:
    """The cached image, or None when there is none or it is unreadable (then it is remade)."""
    try:
        with Image.open(entry) as im:
            im.load()
            return im.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def _write_entry(entry: Path, image: Image.Image) -> None:
    """Store atomically; a cache that cannot be written (read-only, disk full) is not an error,
    the thumbnail is simply made again next time."""
    try:
        # Private like the rest of the data dir: thumbnails show what the photos show.
        entry.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        entry.parent.mkdir(exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=_TEMP_PREFIX)  # created 0600
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, "JPEG", quality=_QUALITY)
        os.replace(tmp, entry)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
