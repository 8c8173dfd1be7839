"""Small upright previews of photos, cached on disk so a grid of results opens quickly.

Safe to use from several threads at once: every cache entry is written to a temporary file
and renamed into place, so a reader sees either no entry or a whole one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from PIL import Image

from photofind.core.errors import PhotoLoadError
from photofind.core.imaging import load_photo_file

CACHE_FOLDER = "thumbnails"
# Thumbnails are made at a few fixed sizes and scaled for display, so dragging a size slider
# does not fill the disk with a copy per pixel step.
SIZES = (256, 512)
_QUALITY = 85


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


class ThumbnailCache:
    """Thumbnails under `<data dir>/thumbnails/`, keyed by path, file size, modification time
    and thumbnail size, so an edited photo gets a fresh thumbnail."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / CACHE_FOLDER

    def entry_path(self, path: Path, size: int) -> Path:
        """Where the thumbnail for the file as it is now would be stored. Raises OSError."""
        st = path.stat()
        key = f"{os.path.abspath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{size}"
        digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=16)
        name = digest.hexdigest()
        # Two-level fan-out keeps folders small enough for any file system. Not named .jpg, so
        # a data dir inside a library folder does not get its own thumbnails indexed.
        return self.folder / name[:2] / f"{name}.thumb"

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
            return cached
        image = make_thumbnail(path, size)
        _write_entry(entry, image)
        return image


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
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")  # created 0600
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, "JPEG", quality=_QUALITY)
        os.replace(tmp, entry)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
