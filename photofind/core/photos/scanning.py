"""Walking the library's folders for photo files."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from photofind.core.photos.imaging import is_photo_name
from photofind.core.photos.raw import is_raw_name


@dataclass(frozen=True)
class FileStat:
    path: str
    size: int
    mtime: float


def is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class Scope:
    """A part of the library to look at again: the photos in the folder `path` itself, or
    with `recursive` everything below it too. A path that is not a folder (any more) holds
    nothing: photos recorded there are gone."""

    path: str
    recursive: bool = False


def scopes_within(scopes: Iterable[Scope], folders: Sequence[str]) -> list[Scope]:
    """`scopes` as a scan of the library `folders` would see them, each place once and in
    order: those outside every folder or inside a hidden one left out (a scan never looks
    there), and those a recursive one already covers."""
    scopes = list(scopes)
    deep = {s.path for s in scopes if s.recursive}
    kept = {s for s in scopes if _visible(s.path, folders) and not _covered(s, deep)}
    return sorted(kept, key=lambda s: s.path)


def _visible(path: str, folders: Sequence[str]) -> bool:
    for folder in folders:
        if is_within(path, folder):
            below = path[len(folder.rstrip(os.sep)) :].split(os.sep)
            return not any(part.startswith(".") for part in below)
    return False


def _covered(scope: Scope, deep: set[str]) -> bool:
    """Whether a recursive scope at one of `deep`, other than `scope` itself, holds it."""
    above = _ancestors(scope.path)
    if scope.recursive:
        next(above)  # the scope itself
    return any(path in deep for path in above)


def _ancestors(path: str) -> Iterator[str]:
    """`path`, then each folder above it."""
    while True:
        yield path
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def scan_folders(
    folders: Iterable[str],
    excluded: Iterable[str] = (),
    unreadable: list[str] | None = None,
    places: dict[str, int] | None = None,
) -> Iterator[FileStat]:
    """Yield every photo file below `folders`, each real directory visited once.

    Hidden files and folders are skipped, and so is a RAW file beside a photo of the same name
    (IMG_1.CR2 beside IMG_1.JPG: the camera's JPEG of the same shot). Symbolic links to
    folders are followed, but a folder already visited (by device and inode) is not entered
    again, so link loops end.
    Folders (and entries) that cannot be read are skipped rather than failing the whole scan;
    they are appended to `unreadable`, so the caller knows their photos were not looked at
    (not that they are gone).
    `places` hears, with the device each is on now, every folder whose photos can be away
    while the rest is there (see core.index.places): the library folders, mount points below them
    and symbolic links to folders.
    """
    tops = [os.path.abspath(f) for f in folders]
    return scan_scopes([Scope(t, recursive=True) for t in tops], tops, excluded, unreadable, places)


def scan_scopes(
    scopes: Iterable[Scope],
    folders: Sequence[str],
    excluded: Iterable[str] = (),
    unreadable: list[str] | None = None,
    places: dict[str, int] | None = None,
) -> Iterator[FileStat]:
    """Yield the photo files of `scopes` (see `scopes_within`), in the library `folders`,
    as `scan_folders` finds them there; the other arguments are as there."""
    excluded = [os.path.abspath(e) for e in excluded]
    visited: set[tuple[int, int]] = set()
    skipped = unreadable if unreadable is not None else []
    found = places if places is not None else {}
    for scope in scopes:
        start = _start(scope.path, folders)
        yield from _walk(start, excluded, visited, skipped, found, deep=scope.recursive)


class _Folder(NamedTuple):
    path: str
    parent_device: int | None  # None for a library folder
    is_link: bool


def _start(path: str, folders: Sequence[str]) -> _Folder:
    """A folder to walk from, as the walk down from its library folder would reach it."""
    if path in folders:
        return _Folder(path, None, False)
    try:
        parent_device: int | None = os.stat(os.path.dirname(path)).st_dev
    except OSError:
        parent_device = None
    return _Folder(path, parent_device, os.path.islink(path))


def _walk(
    start: _Folder,
    excluded: list[str],
    visited: set[tuple[int, int]],
    unreadable: list[str],
    places: dict[str, int],
    deep: bool = True,
) -> Iterator[FileStat]:
    """The photo files in `start`, and with `deep` in every folder below it."""
    top = start.path
    stack = [start]
    while stack:
        folder, parent_device, is_link = stack.pop()
        if any(is_within(folder, e) for e in excluded):
            continue
        try:
            st = os.stat(folder)
        except OSError:
            if folder != top:  # a missing library folder is the caller's to notice
                unreadable.append(folder)
            continue
        if is_link or st.st_dev != parent_device:
            places[folder] = st.st_dev
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
        subfolders: list[_Folder] = []
        # A camera set to RAW + JPEG writes IMG_0001.CR2 beside IMG_0001.JPG: one photo, and
        # the JPEG is the quicker to read. A RAW with a non-RAW photo of its name is skipped.
        photos = {e.name for e in children if is_photo_name(e.name)}
        raws = {name for name in photos if is_raw_name(name)}
        developed = {os.path.splitext(name)[0].casefold() for name in photos - raws}
        for entry in children:
            if entry.name.startswith("."):
                continue
            if entry.name in raws and os.path.splitext(entry.name)[0].casefold() in developed:
                continue
            try:
                if entry.is_dir(follow_symlinks=True):
                    subfolders.append(_Folder(entry.path, key[0], entry.is_symlink()))
                elif entry.name in photos and entry.is_file(follow_symlinks=True):
                    st = entry.stat(follow_symlinks=True)
                    yield FileStat(entry.path, st.st_size, st.st_mtime)
            except FileNotFoundError:
                continue  # vanished mid-scan (or a dangling link): simply not there
            except OSError:
                unreadable.append(entry.path)  # there, but cannot be looked at right now
        if deep:
            stack.extend(reversed(subfolders))
