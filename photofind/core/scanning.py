"""Walking the library's folders for photo files."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from photofind.core.imaging import is_photo_name
from photofind.core.raw import is_raw_name


@dataclass(frozen=True)
class FileStat:
    path: str
    size: int
    mtime: float


def is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def scan_folders(
    folders: Iterable[str], excluded: Iterable[str] = (), unreadable: list[str] | None = None
) -> Iterator[FileStat]:
    """Yield every photo file below `folders`, each real directory visited once.

    Hidden files and folders are skipped, and so is a RAW file beside a photo of the same name
    (IMG_1.CR2 beside IMG_1.JPG: the camera's JPEG of the same shot). Symbolic links to
    folders are followed, but a folder already visited (by device and inode) is not entered
    again, so link loops end.
    Folders (and entries) that cannot be read are skipped rather than failing the whole scan;
    they are appended to `unreadable`, so the caller knows their photos were not looked at
    (not that they are gone).
    """
    excluded = [os.path.abspath(e) for e in excluded]
    visited: set[tuple[int, int]] = set()
    skipped = unreadable if unreadable is not None else []
    for folder in folders:
        yield from _walk(os.path.abspath(folder), excluded, visited, skipped)


def _walk(
    top: str, excluded: list[str], visited: set[tuple[int, int]], unreadable: list[str]
) -> Iterator[FileStat]:
    stack = [top]
    while stack:
        folder = stack.pop()
        if any(is_within(folder, e) for e in excluded):
            continue
        try:
            st = os.stat(folder)
        except OSError:
            if folder != top:  # a missing library folder is the caller's to notice
                unreadable.append(folder)
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:
            continue
        visited.add(key)
        try:
            with os.scandir(folder) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except OSError:
            unreadable.append(folder)
            continue
        subfolders = []
        # A camera set to RAW + JPEG writes IMG_0001.CR2 beside IMG_0001.JPG: one photo, and
        # the JPEG is the quicker to read. A RAW with a non-RAW photo of its name is skipped.
        developed = {
            os.path.splitext(e.name)[0].casefold()
            for e in children
            if is_photo_name(e.name) and not is_raw_name(e.name)
        }
        for entry in children:
            if entry.name.startswith("."):
                continue
            if is_raw_name(entry.name) and os.path.splitext(entry.name)[0].casefold() in developed:
                continue
            try:
                if entry.is_dir(follow_symlinks=True):
                    subfolders.append(entry.path)
                elif is_photo_name(entry.name) and entry.is_file(follow_symlinks=True):
                    st = entry.stat(follow_symlinks=True)
                    yield FileStat(entry.path, st.st_size, st.st_mtime)
            except FileNotFoundError:
                continue  # vanished mid-scan (or a dangling link): simply not there
            except OSError:
                unreadable.append(entry.path)  # there, but cannot be looked at right now
        stack.extend(reversed(subfolders))
