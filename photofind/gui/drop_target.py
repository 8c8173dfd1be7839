"""What a drop onto the window means: a photo to find similar ones to, or a folder to add."""

from __future__ import annotations

import os

from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

from photofind.core.imaging import is_photo_name


def dropped_path(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> str | None:
    """A photo file (for a similar search) or a folder (to add) among the dropped URLs."""
    for url in event.mimeData().urls():
        if not url.isLocalFile():
            continue
        path = url.toLocalFile()
        if os.path.isdir(path) or (is_photo_name(os.path.basename(path)) and os.path.isfile(path)):
            return path
    return None
