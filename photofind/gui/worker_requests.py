"""The library worker's commands and the requests that take more than one step: duplicates
are grouped off the worker thread, between reading the vectors and reading the photos; and
the small reads the viewer and the Filters popup ask for."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from photofind.core.api import group_rows

if TYPE_CHECKING:
    from photofind.gui.worker import LibraryWorker


@dataclass(frozen=True)
class Command:
    """A job for the worker thread and who hears of its failure, in one line: `failed`, or
    the window's problem line. `unexpected` words a failure that is not the user's to fix."""

    run: Callable[[], object]
    failed: Callable[[str], None] | None = None
    unexpected: str = "something went wrong"


class Requests:
    """Part of LibraryWorker, on the worker thread."""

    def _find_duplicates(
        self: LibraryWorker,
        request_id: int,
        threshold: float,
        progress: Callable[[float], None],
        cancel: threading.Event,
    ) -> None:
        """Read the vectors here, group them on the grouping thread (searches are answered
        meanwhile), then read the groups' photos here again."""
        assert self._library is not None
        ids, matrix = self._library.duplicate_candidates(threshold)
        if not len(ids):
            self.duplicatesFound.emit(request_id, [])
            return
        grouping = self._grouping.submit(
            group_rows, matrix, threshold, progress=progress, cancel=cancel
        )
        failed = partial(self.duplicatesFailed.emit, request_id)
        described = partial(self._describe_duplicates, request_id, ids, matrix, grouping, threshold)
        done = Command(described, failed, "finding duplicates failed")
        grouping.add_done_callback(lambda _: self._commands.put(done))

    def _describe_duplicates(
        self: LibraryWorker,
        request_id: int,
        ids: np.ndarray,
        matrix: np.ndarray,
        grouping: Future[list[np.ndarray]],
        threshold: float,
    ) -> None:
        assert self._library is not None
        groups = grouping.result()  # raises what grouping raised (DuplicatesCancelled…)
        found = self._library.describe_duplicates(ids, matrix, groups, threshold)
        self.duplicatesFound.emit(request_id, found)

    def _read_extras(self: LibraryWorker, photo: str) -> None:
        assert self._library is not None
        library = self._library
        self.extrasReady.emit(photo, library.where_taken(photo), library.text_in(photo))

    def _send_places(self: LibraryWorker) -> None:
        assert self._library is not None
        self.placesReady.emit(self._library.taken_places())

    def _send_photo_paths(self: LibraryWorker) -> None:
        assert self._library is not None
        self.photoPaths.emit(self._library.all_paths())
