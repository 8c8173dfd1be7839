"""The scan step of an index run: which files under the library's folders need indexing,
and the rule for files that are still being written."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field

from photofind.core.index.progress import IndexCounts, IndexProgress
from photofind.core.index.store import PhotoRow, Store
from photofind.core.photos.imaging import is_access_failure
from photofind.core.photos.scanning import FileStat, Scope, scan_scopes, scopes_within

# A file modified more recently than this is probably still being copied. The front ends
# that index as files arrive (the app, `photofind watch`) leave such files to a later run,
# which they start once this much time has passed.
SETTLE_SECONDS = 2.0
# How many files the scan lists between progress reports (and looks at the cancel flag).
SCAN_REPORT_EVERY = 500


def being_written(mtime: float, settle_seconds: float, now: float | None = None) -> bool:
    """Whether a file last modified at `mtime` is probably still being written: modified
    less than `settle_seconds` before `now` (by default, the present). 0 defers nothing."""
    if settle_seconds <= 0:
        return False
    return (time.time() if now is None else now) - mtime < settle_seconds


@dataclass
class Scan:
    """What a scan found, for the encode and sweep steps."""

    folders: list[str]  # the library folders the run was asked to index
    known: dict[str, PhotoRow]  # the photos indexed in the scanned parts of the library
    todo: list[FileStat] = field(default_factory=list)  # new or changed files
    seen: set[str] = field(default_factory=set)  # every file found
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed
    found_places: dict[str, int] = field(default_factory=dict)  # see core.index.places


def scan_library(
    store: Store,
    model_id: int | None,
    folders: list[str],
    excluded: Iterable[str],
    only: Sequence[Scope] | None,
    counts: IndexCounts,
    cancel: threading.Event,
    settle_seconds: float,
) -> Generator[IndexProgress, None, Scan | None]:
    """List the files under `folders` (or just the parts `only` names), counting those that
    are unchanged or still being written, and yielding "scanning" progress. Returns what
    it found, or None when cancelled."""
    if only is None:
        scopes = [Scope(f, recursive=True) for f in folders]
        found = Scan(folders, store.photos(model_id))
    else:
        scopes = scopes_within(only, folders)
        found = Scan(folders, store.photos_in(model_id, scopes))
    now = time.time()
    files = scan_scopes(scopes, folders, excluded, found.unreadable, found.found_places)
    for n, stat in enumerate(files, 1):
        found.seen.add(stat.path)
        if _unchanged(found.known.get(stat.path), stat):
            counts.unchanged += 1
        elif being_written(stat.mtime, settle_seconds, now):
            counts.deferred += 1
        else:
            found.todo.append(stat)
        if n % SCAN_REPORT_EVERY == 0:
            yield IndexProgress("scanning", n, 0, 0.0, counts)
            if cancel.is_set():
                return None
    return found


def _unchanged(row: PhotoRow | None, stat: FileStat) -> bool:
    """Whether a file is indexed as it is: same size and modification time, and done with
    (encoded, or failed for a reason that still holds)."""
    return (
        row is not None
        and row.size == stat.size
        and row.mtime == stat.mtime
        and (row.status == "failed" or row.has_vector)
        and not _readable_again(row)
    )


def _readable_again(row: PhotoRow) -> bool:
    """A file that failed because it could not be read (permissions, an I/O error) is tried
    again when it is readable: fixing that changes neither its size nor its mtime."""
    return row.status == "failed" and is_access_failure(row.error) and os.access(row.path, os.R_OK)
