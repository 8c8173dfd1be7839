"""The one way photos go to the trash, from the duplicates dialog, the grid and the viewer:
check each is still the file that was indexed (core.search.duplicates.check_trash), ask once with
the names, counts and sizes, check again, move every path of each, and say what stayed."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from photofind.core.api import Duplicate, check_trash
from photofind.gui.results_model import ResultsModel
from photofind.gui.style import home_relative
from photofind.gui.worker import LibraryWorker
from photofind.units import human_size

# The confirmation names this many files, then says how many more.
NAMES_SHOWN = 10

# Photos chosen for the trash, with the group they were chosen from: a photo of the group
# that is not chosen is kept, and no file of it may go (check_trash).
Choice = tuple[Sequence[Duplicate], Sequence[Duplicate]]


def move_to_trash(paths: list[str]) -> list[tuple[str, str]]:
    """Send files to the desktop's trash (restorable there); returns (path, why) of those
    that could not be moved."""
    from send2trash import send2trash

    failed = []
    # Symbolic links first: send2trash moves a link itself, but refuses one whose target
    # has gone to the trash already.
    for path in sorted(paths, key=lambda p: not os.path.islink(p)):
        try:
            send2trash(path)
        except OSError as exc:
            failed.append((path, exc.strerror or str(exc)))
    return failed


def trash_chosen(parent: QWidget, choices: Sequence[Choice], note: str = "") -> list[str]:
    """Ask, then move the chosen photos that may go to the trash; returns the paths gone
    (which the library should forget). `note`: a line of the question about the choice."""
    safe, refused = _check(choices)
    if not safe:
        report(parent, refused)
        return []
    answer = QMessageBox.question(parent, "Move to Trash", confirmation(safe, refused, note))
    if answer != QMessageBox.StandardButton.Yes:
        return []
    # Again, for those the question named: a file may have changed while it was asked.
    safe, refused = _check([(group, [d for d in chosen if d in safe]) for group, chosen in choices])
    paths = [path for dup in safe for path in dup.paths]
    failed = move_to_trash(paths)
    not_moved = {path for path, _ in failed}
    if refused or failed:
        report(parent, refused + failed)
    return [path for path in paths if path not in not_moved]


def _check(choices: Sequence[Choice]) -> tuple[list[Duplicate], list[tuple[str, str]]]:
    safe: list[Duplicate] = []
    refused: list[tuple[str, str]] = []
    for group, chosen in choices:
        ok, why = check_trash(group, chosen)
        safe += ok
        refused += why
    return safe, refused


def confirmation(safe: list[Duplicate], refused: list[tuple[str, str]], note: str = "") -> str:
    """The question asked before moving `safe` to the trash: how many photos, how many
    bytes, which ones, and which chosen ones stay, and why."""
    count = len(safe)
    total = human_size(sum(d.size for d in safe))
    # Qt takes a message for rich text only by its first line, and this one names no file.
    lines = [f"Move {count} photo{'s' if count > 1 else ''} ({total}) to the trash?"]
    names = [os.path.basename(d.path) for d in safe]
    more = f"\nand {len(names) - NAMES_SHOWN:,} more" if len(names) > NAMES_SHOWN else ""
    lines.append("\n".join(names[:NAMES_SHOWN]) + more)
    links = [os.path.basename(a) for d in safe for a in d.aliases]
    if links:
        lines.append("Their other paths (links) go too: " + ", ".join(links) + ".")
    if refused:
        lines.append("Not moved, though chosen:\n" + _reasons(refused))
    if note:
        lines.append(note)
    lines.append("You can restore them from the trash.")
    return "\n\n".join(lines)


def _reasons(why: list[tuple[str, str]]) -> str:
    return "\n".join(f"{home_relative(path)}: {reason}" for path, reason in why)


def report(parent: QWidget, not_moved: list[tuple[str, str]]) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, "Move to Trash", "", parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # file names are shown as they are
    box.setText("These were not moved to the trash:\n" + _reasons(not_moved))
    box.exec()


class PhotoTrash(QObject):
    """Moving photos of the results to the trash: their indexed sizes and times come from
    the library through the worker (the only owner of the database), then trash_chosen."""

    trashed = Signal(list)  # paths moved to the trash: the library should forget them

    def __init__(self, worker: LibraryWorker, results: ResultsModel, parent: QWidget) -> None:
        super().__init__(parent)
        self._results = results
        self._worker = worker
        self._requests = itertools.count(1)
        # The latest request's id and the window that made it; an answer to an earlier one
        # (its photos since chosen again, say) is not acted on.
        self._latest: tuple[int, QWidget] | None = None
        worker.trashChecked.connect(self._checked)

    def request(self, paths: list[str], asker: QWidget) -> None:
        """Move the photos at `paths` to the trash, asking over `asker`."""
        rows = [self._results.row_of(path) for path in paths]
        ids = [self._results.hit(row).photo_id for row in rows if row is not None]
        if ids:
            self._latest = (next(self._requests), asker)
            self._worker.check_for_trash(self._latest[0], ids)

    def _checked(self, request_id: int, photos: list[Duplicate]) -> None:
        if self._latest is None or self._latest[0] != request_id:
            return
        asker = self._latest[1]
        self._latest = None
        if not photos:  # gone from the library meanwhile
            return
        # Nothing of them is kept: each photo's own paths only must still be its file.
        gone = trash_chosen(asker, [(photos, photos)])
        if gone:
            self.trashed.emit(gone)

    def forget(self, paths: list[str]) -> None:
        """Take photos gone to the trash (from here or the duplicates) out of the results."""
        gone = set(paths)
        self._results.set_hits([h for h in self._results.hits() if h.path not in gone])
