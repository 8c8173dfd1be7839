"""The one door to the engine for the front ends (photofind.gui, photofind.cli): the Library,
the values they hand it and get back, and the few stateless helpers they call with no library
open (reading a photo to show it, thumbnails, the model's name and size). An import contract
in pyproject.toml lets the front ends import photofind.core only through here and errors.

Each name is imported from its module when first asked for, not with this module: the CLI's
`--help` needs no numpy, a search no folder watcher, and none of them torch."""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "IndexCounts": "photofind.core.index.progress",
    "IndexProgress": "photofind.core.index.progress",
    "SETTLE_SECONDS": "photofind.core.index.scan",
    "PhotoText": "photofind.core.index.store",
    "PlaceKey": "photofind.core.index.store",
    "TEXT_MODES": "photofind.core.index.text_stage",
    "TEXT_MODE_VARIABLE": "photofind.core.index.text_stage",
    "text_mode": "photofind.core.index.text_stage",
    "describe_unwatched": "photofind.core.index.watcher",
    "FolderWatcher": "photofind.core.index.watcher",
    "default_data_dir": "photofind.core.library",
    "Library": "photofind.core.library",
    "DEVICES": "photofind.core.model.device",
    "resolve_device": "photofind.core.model.device",
    "APPROXIMATE_SIZES": "photofind.core.model.download",
    "CatalogModel": "photofind.core.model.catalog",
    "MODELS": "photofind.core.model.catalog",
    "QUALITY_SOURCE": "photofind.core.model.catalog",
    "QUALITY_URL": "photofind.core.model.catalog",
    "DownloadProgress": "photofind.core.model.download",
    "is_downloaded": "photofind.core.model.download",
    "PhotoEncoder": "photofind.core.model.encoder",
    "TextEncoder": "photofind.core.model.encoder",
    "DEFAULT_MODEL": "photofind.core.model.ref",
    "Speed": "photofind.core.model.speed",
    "speeds_here": "photofind.core.model.speed",
    "load_early": "photofind.core.model.text_tower",
    "camera_name": "photofind.core.photos.camera",
    "copy_to_folder": "photofind.core.photos.export",
    "is_photo_name": "photofind.core.photos.imaging",
    "load_photo": "photofind.core.photos.imaging",
    "load_photo_file": "photofind.core.photos.imaging",
    "read_file": "photofind.core.photos.imaging",
    "LoadedPhoto": "photofind.core.photos.photo",
    "PhotoInfo": "photofind.core.photos.photo",
    "is_within": "photofind.core.photos.scanning",
    "Scope": "photofind.core.photos.scanning",
    "cache_size_for": "photofind.core.photos.thumbnails",
    "ThumbnailCache": "photofind.core.photos.thumbnails",
    "check_trash": "photofind.core.search.duplicates",
    "DEFAULT_THRESHOLD": "photofind.core.search.duplicates",
    "Duplicate": "photofind.core.search.duplicates",
    "group_rows": "photofind.core.search.duplicates",
    "why_kept": "photofind.core.search.duplicates",
    "FILE_TYPES": "photofind.core.search.filters",
    "Filters": "photofind.core.search.filters",
    "parse_date": "photofind.core.search.filters",
    "parse_types": "photofind.core.search.filters",
    "Sort": "photofind.core.search.filters",
    "overlay": "photofind.core.search.locate",
    "parse_query": "photofind.core.search.query",
    "Hit": "photofind.core.search.search",
    "INDEX_KINDS": "photofind.core.search.search",
    "TagScore": "photofind.core.search.tags",
    "vocabulary_path": "photofind.core.search.tags",
    "lower_this_threads_priority": "photofind.core.threads",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # asked once
    return value
