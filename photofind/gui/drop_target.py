"""What a drop onto the window means: a photo to find similar ones to, or a folder to add;
nothing when it comes from the window's own results."""

from __future__ import annotations

import os

from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

from photofind.core.api import is_photo_name
from photofind.gui.results_model import from_this_grid


def dropped_path(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> str | None:
    """A photo file (for a similar search) or a folder (to add) among the dropped URLs."""
    mime = event.mimeData()
    # A thumbnail dragged a little and let go over the window was not meant as a query.
    if from_this_grid(mime):
        return None
    for url in mime.urls():
        if not url.isLocalFile():
            continue
        path = url.toLocalFile()
        if os.path.isdir(path) or (is_photo_name(os.path.basename(path)) and os.path.isfile(path)):
            return path
    return None
