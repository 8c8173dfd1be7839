"""Files replaced whole: a reader, or the next process after a crash or power cut, finds the
old file or the new one, never part of one."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Have `write` fill a temporary file beside `path`, then put it in place durably (see
    `replace_durably`). Whatever goes wrong, the temporary file is removed and `path` is as
    it was."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        write(tmp)
        replace_durably(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def replace_durably(tmp: Path | str, path: Path | str) -> None:
    """Rename a finished `tmp` over `path`, its bytes flushed to disk first: without that, a
    power cut soon after can leave the new name on an empty or partial file."""
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
