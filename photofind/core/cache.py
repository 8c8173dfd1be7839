"""Files derived from installed data (the gazetteer's places, place names, ONNX exports),
kept in the user's cache folder so that the next process reads them instead of making them.
Each can be deleted at any time: whatever is missing, stale or unreadable is made again."""

from __future__ import annotations

import logging
import marshal
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from photofind.core.atomic import write_atomically

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """PHOTOFIND_CACHE_DIR, else the user's cache folder. One machine's libraries share it."""
    override = os.environ.get("PHOTOFIND_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("photofind", appauthor=False))


def kept(path: Path, stamp: str, make: Callable[[], Any]) -> Any:
    """The value in `path` if it was made from `stamp` (what it is derived from, and its
    shape), else `make()`, written there for the next process. Values are plain strings,
    bytes, numbers, None, and lists, tuples and dicts of them: marshal reads those several
    times faster than JSON or pickle (it would turn other objects into bytes, or refuse
    them). A folder that cannot be written costs only the making."""
    try:
        saved = marshal.loads(path.read_bytes())
        if isinstance(saved, tuple) and len(saved) == 2 and saved[0] == stamp:
            return saved[1]
        log.info("%s was made from other data or by another version; making it again", path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, TypeError) as exc:
        log.warning("%s cannot be read (%s); making it again", path, exc)
    value = make()
    try:
        data = marshal.dumps((stamp, value))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda tmp: tmp.write_bytes(data))
    except (OSError, ValueError) as exc:
        log.warning("%s cannot be written (%s); it will be made again next time", path, exc)
    return value
