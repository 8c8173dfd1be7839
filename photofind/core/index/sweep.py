"""The sweep step of an index run: forgetting the photos whose files are gone.

It runs only after everything was scanned and encoded, so a moved file was found (and its
vector reused) before its old path is removed."""

from __future__ import annotations

from photofind.core.index.places import away, check_places, remember_places
from photofind.core.index.scan import Scan
from photofind.core.index.store import PhotoRow, Store
from photofind.core.photos.scanning import is_within


def sweep(store: Store, found: Scan, vanished: set[str], whole_library: bool) -> int:
    """Forget the photos a scan did not find (nor `vanished`, gone before they were read),
    unless below a place that cannot be reached right now or a folder that cannot be read;
    returns how many. After a run over part of the library they are only put aside, in
    case they turn up elsewhere."""
    library_folders = store.folders()
    reaches = check_places(store, library_folders)
    remember_places(store, library_folders, reaches, found.found_places)
    kept = away(reaches) + found.unreadable
    gone = _gone(found.known, found.seen - vanished, found.folders, library_folders, kept)
    if whole_library:
        # The run has seen the whole library: what was put aside before, kept in case a
        # folder was added back or a photo turned up elsewhere, goes, with what it missed.
        store.forget_removed()
        store.delete_photos(gone)
    else:
        store.put_aside(gone)
    return len(gone)


def _gone(
    known: dict[str, PhotoRow],
    seen: set[str],
    scanned: list[str],
    library_folders: list[str],
    kept: list[str],
) -> list[int]:
    """The photos to forget: those not seen in folders that were scanned, unless below a
    place `kept` (not there now, or unreadable), and those under no library folder."""
    ids = []
    for path, row in known.items():
        if path in seen:
            continue
        if not any(is_within(path, f) for f in library_folders) or (
            any(is_within(path, f) for f in scanned) and not any(is_within(path, k) for k in kept)
        ):
            ids.append(row.id)
    return ids
