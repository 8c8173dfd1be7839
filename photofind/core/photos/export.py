"""Copying photos out of the library into a folder, never over a file that is there."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Sequence
from pathlib import Path


def copy_to_folder(paths: Sequence[str], folder: str | Path) -> list[Path]:
    """Copy each photo (contents, times, permissions) into `folder`; a name taken there, by
    a file or an earlier photo of `paths`, gets " (1)", " (2)"... before its extension.
    Returns the copies' paths."""
    return [_copy(path, Path(folder)) for path in paths]


def _copy(path: str, folder: Path) -> Path:
    stem, ext = os.path.splitext(os.path.basename(path))
    for n in itertools.count():
        target = folder / (f"{stem} ({n}){ext}" if n else f"{stem}{ext}")
        try:
            # Claimed by creating it: a name checked free could be taken before the copy.
            with open(target, "xb"):
                pass
        except FileExistsError:
            continue
        try:
            shutil.copy2(path, target)
        except BaseException:
            target.unlink(missing_ok=True)  # no empty file left under the photo's name
            raise
        return target
    raise AssertionError("unreachable")  # itertools.count never ends
