"""The app's preferences, stored as an INI file inside the data dir (so a different --data-dir
is a wholly separate set-up, and tests never touch the user's own settings)."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from photofind.core.api import DEFAULT_MODEL, DEVICES, INDEX_KINDS, TEXT_MODES

SETTINGS_FILE = "settings.ini"
THUMBNAIL_MIN, THUMBNAIL_MAX, THUMBNAIL_DEFAULT, THUMBNAIL_STEP = 96, 320, 160, 32
# The size cap of the disk cache of thumbnails, in GB.
CACHE_GB_MIN, CACHE_GB_MAX, CACHE_GB_DEFAULT = 0.1, 100.0, 1.0


def gpu_device() -> str:
    """What "GPU" means here: Apple's MPS on a Mac, CUDA elsewhere."""
    return "mps" if sys.platform == "darwin" else "cuda"


@dataclass(frozen=True)
class Preferences:
    model: str = DEFAULT_MODEL
    device: str = "auto"  # one of core.model.device.DEVICES
    thumbnail_size: int = THUMBNAIL_DEFAULT  # longer side of a grid thumbnail, in logical pixels
    index_on_start: bool = True
    search_index: str = "exact"  # one of core.search.search.INDEX_KINDS
    thumbnail_cache_gb: float = CACHE_GB_DEFAULT  # pruned to this size (core.photos.thumbnails)
    text_reading: str = "auto"  # which photos to read for text: core.index.text_stage.TEXT_MODES

    @property
    def thumbnail_cache_bytes(self) -> int:
        return round(self.thumbnail_cache_gb * 2**30)


def clamp_thumbnail_size(size: int) -> int:
    return max(THUMBNAIL_MIN, min(THUMBNAIL_MAX, size))


class AppSettings:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = data_dir / SETTINGS_FILE
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def load(self) -> Preferences:
        default = Preferences()
        device = str(self._qs.value("model/device", default.device))
        index = str(self._qs.value("library/search_index", default.search_index))
        text = str(self._qs.value("library/text_reading", default.text_reading))
        try:
            size = int(self._qs.value("view/thumbnail_size", default.thumbnail_size))
        except (TypeError, ValueError):
            size = default.thumbnail_size
        return Preferences(
            model=str(self._qs.value("model/name", default.model)) or default.model,
            device=device if device in DEVICES else default.device,
            thumbnail_size=clamp_thumbnail_size(size),
            index_on_start=_as_bool(self._qs.value("library/index_on_start", True)),
            search_index=index if index in INDEX_KINDS else default.search_index,
            thumbnail_cache_gb=_as_cache_gb(self._qs.value("view/thumbnail_cache_gb")),
            text_reading=text if text in TEXT_MODES else default.text_reading,
        )

    def save(self, prefs: Preferences) -> None:
        self._qs.setValue("model/name", prefs.model)
        self._qs.setValue("model/device", prefs.device)
        self._qs.setValue("view/thumbnail_size", prefs.thumbnail_size)
        self._qs.setValue("library/index_on_start", prefs.index_on_start)
        self._qs.setValue("library/search_index", prefs.search_index)
        self._qs.setValue("view/thumbnail_cache_gb", prefs.thumbnail_cache_gb)
        self._qs.setValue("library/text_reading", prefs.text_reading)
        self._qs.sync()

    def window_geometry(self, name: str = "window") -> QByteArray | None:
        """The saved geometry of the main window or of the dialog called `name`."""
        value = self._qs.value(f"{name}/geometry")
        return value if isinstance(value, QByteArray) else None

    def save_window_geometry(self, geometry: QByteArray, name: str = "window") -> None:
        self._qs.setValue(f"{name}/geometry", geometry)
        self._qs.sync()

    def view_option(self, name: str, default: bool) -> bool:
        """A View menu toggle, kept apart from Preferences since the menu, not the Settings
        dialog, changes it."""
        return _as_bool(self._qs.value(f"view/{name}", default))

    def save_view_option(self, name: str, on: bool) -> None:
        self._qs.setValue(f"view/{name}", on)
        self._qs.sync()


def _as_cache_gb(value: object) -> float:
    try:
        gb = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return CACHE_GB_DEFAULT
    return max(CACHE_GB_MIN, min(CACHE_GB_MAX, gb)) if math.isfinite(gb) else CACHE_GB_DEFAULT


def _as_bool(value: object) -> bool:
    # INI files hand booleans back as the strings "true" and "false".
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
