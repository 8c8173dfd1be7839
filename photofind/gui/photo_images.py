"""Turning photo files into QImages. These run on pool threads: QImage is safe off the GUI
thread, QPixmap is not, so only the GUI thread turns the results into pixmaps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QImage

from photofind.core.api import (
    Library,
    LoadedPhoto,
    PhotoInfo,
    camera_name,
    load_photo,
    load_photo_file,
    overlay,
    read_file,
)

# Enough for a full-screen preview on a 4K display without decoding 50-megapixel files whole.
PREVIEW_MAX_SIDE = 2560
# Copying an image to the clipboard keeps full detail, within reason for other apps to paste.
CLIPBOARD_MAX_SIDE = 4096


@dataclass(frozen=True)
class PreviewImage:
    image: QImage
    info: PhotoInfo


@dataclass(frozen=True)
class PhotoFacts:
    """What the viewer's details say about a photo file, besides its name."""

    info: PhotoInfo
    camera: str | None
    file_bytes: int
    modified: float  # the file's modification time, which dates undated photos


@dataclass(frozen=True)
class ViewerImage:
    image: QImage
    facts: PhotoFacts


def to_qimage(image: Image.Image) -> QImage:
    """An RGB Pillow image as a QImage that owns its pixels."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    data = rgb.tobytes()
    qimage = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    # copy(): the QImage above only borrows `data`, which is freed when this function returns.
    return qimage.copy()


def load_scaled(path: str, max_side: int) -> PreviewImage:
    """The upright photo, scaled down to fit `max_side`, with what its header says.
    Raises PhotoLoadError."""
    return _scaled(load_photo_file(Path(path), min_side=max_side), max_side)


def load_for_viewer(path: str, max_side: int) -> ViewerImage:
    """As `load_scaled`, with the facts the viewer's details show. Raises PhotoLoadError."""
    content = read_file(Path(path))
    preview = _scaled(load_photo(content.data, min_side=max_side), max_side)
    facts = PhotoFacts(preview.info, camera_name(content.data), content.size, content.mtime)
    return ViewerImage(preview.image, facts)


def _scaled(loaded: LoadedPhoto, max_side: int) -> PreviewImage:
    image = loaded.image
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return PreviewImage(to_qimage(image), loaded.info)


def locate_in_photo(library: Library, photo: str, query: str, max_side: int) -> QImage:
    """The photo, scaled to `max_side`, with a heatmap of where `query` matches laid over it.
    Runs on the library worker: it encodes patches with the model the worker owns."""
    image, heatmap = library.locate(photo, query, max_side)
    return to_qimage(overlay(image, heatmap))
