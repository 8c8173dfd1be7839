"""Reviewing near-duplicate photos: find groups at a chosen similarity, look at each group side
by side, reveal a photo in its folder, and move the unwanted copies to the system trash."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from photofind.core.api import DEFAULT_THRESHOLD, Duplicate, why_kept
from photofind.gui import desktop
from photofind.gui.style import home_relative, mute, plain_label, plain_tooltip
from photofind.gui.thumbnail_loader import ThumbnailLoader
from photofind.gui.trash import Choice, trash_chosen
from photofind.gui.worker import LibraryWorker
from photofind.units import human_size

THUMBNAIL_SIDE = 180
# The group list shows each group's kept photo, small.
GROUP_ICON_SIDE = 48
PATH_ROLE = Qt.ItemDataRole.UserRole


# Why a group's first photo is kept (core's why_kept), as its label says it.
_KEPT_LABELS = {
    "pixels": "Kept (the most pixels)",
    "size": "Kept (the largest file)",
    "name": "Kept (as large as another, with a shorter name)",
    "path": "Kept (as large as another; first by path)",
}


def kept_reason(group: Sequence[Duplicate]) -> str:
    """The kept photo's label: why it, of its group, is the one kept."""
    return _KEPT_LABELS.get(why_kept(group) or "", "Kept")


def duplicate_label(dup: Duplicate, kept: str | None = None) -> str:
    """E.g. "IMG_0042 (1).jpg / similarity 0.998 / 4,000 × 3,000 · 3.9 MB", and "less
    alike — not ticked" or "also at best.jpg" where they apply; for the kept photo, `kept`
    (its kept_reason) in place of the similarity."""
    lines = [os.path.basename(dup.path), kept or f"similarity {dup.score:.3f}"]
    if not kept and not dup.alike_kept:
        lines.append("less alike — not ticked")
    sizes = [f"{dup.width:,} × {dup.height:,}"] if dup.width and dup.height else []
    if dup.size:
        sizes.append(human_size(dup.size))
    if sizes:
        lines.append(" · ".join(sizes))
    if dup.aliases:
        lines.append("also at " + ", ".join(os.path.basename(a) for a in dup.aliases))
    return "\n".join(lines)


class DuplicatesDialog(QDialog):
    trashed = Signal(list)  # paths moved to the trash: the library should forget them

    def __init__(self, worker: LibraryWorker, thumbnails: ThumbnailLoader, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Duplicates")
        # The library worker reads the library; this dialog only shows and trashes.
        self._worker = worker
        self._request = 0
        worker.duplicatesFound.connect(self._found)
        worker.duplicatesFailed.connect(self._failed)
        self._thumbnails = thumbnails
        self._cancel = threading.Event()
        self._progress = 0.0
        self.groups: list[list[Duplicate]] = []
        # The ticked photos' paths, of every group: a group looked at again, and Move All
        # Ticked, see the ticks as they were left.
        self._ticked: set[str] = set()

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_search_row())
        layout.addWidget(self._build_lists(), 1)
        layout.addLayout(self._build_actions())
        self.resize(1000, 640)

        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(lambda: self.bar.setValue(round(self._progress * 100)))
        thumbnails.thumbnailReady.connect(self._thumbnail_ready)
        self._update_buttons()

    def _build_search_row(self) -> QHBoxLayout:
        """The similarity asked, Find and Stop, and the progress or the summary."""
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.80, 1.0)
        self.threshold.setDecimals(3)
        self.threshold.setSingleStep(0.005)
        self.threshold.setValue(DEFAULT_THRESHOLD)
        self.threshold.setToolTip("How alike photos must be: 1.000 is identical")
        self.find_button = QPushButton("Find Duplicates")
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.find)
        self.cancel_button = QPushButton("Stop")
        self.cancel_button.clicked.connect(self._cancel.set)
        self.cancel_button.hide()
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.hide()
        self.summary = plain_label()
        mute(self.summary)
        top = QHBoxLayout()
        similarity = plain_label("Similarity at least")
        similarity.setBuddy(self.threshold)  # which also names it for a screen reader
        top.addWidget(similarity)
        top.addWidget(self.threshold)
        top.addWidget(self.find_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.bar, 1)
        top.addWidget(self.summary, 1)
        return top

    def _build_lists(self) -> QSplitter:
        """The groups beside the photos of the chosen group."""
        self.group_list = QListWidget()
        self.group_list.setAccessibleName("Groups of alike photos")
        self.group_list.setIconSize(QSize(GROUP_ICON_SIDE, GROUP_ICON_SIDE))
        self.group_list.currentRowChanged.connect(self._show_group)
        self.photos = QListWidget()
        self.photos.setAccessibleName("Photos of the group; ticked ones go to the trash")
        self.photos.setViewMode(QListView.ViewMode.IconMode)
        self.photos.setIconSize(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        self.photos.setResizeMode(QListView.ResizeMode.Adjust)
        self.photos.setMovement(QListView.Movement.Static)
        # Every cell the same size, with room for the tick box and five lines: the name,
        # kept or the similarity, whether it is less alike, the pixel and file sizes to
        # choose by, and the photo's other paths.
        self.photos.setGridSize(QSize(THUMBNAIL_SIDE + 40, THUMBNAIL_SIDE + 90))
        self.photos.setWordWrap(True)
        self.photos.itemChanged.connect(self._tick_changed)
        self.photos.currentItemChanged.connect(lambda *_: self._update_buttons())
        splitter = QSplitter()
        splitter.addWidget(self.group_list)
        splitter.addWidget(self.photos)
        splitter.setSizes([260, 700])
        return splitter

    def _build_actions(self) -> QHBoxLayout:
        """The hint on what ticks mean, and what to do with the ticked photos."""
        self.hint = plain_label(
            "Ticked photos go to the trash; untick any you want to keep. Each group's first "
            "photo, the one with the most pixels (else the largest file), is kept unless you "
            "tick it. Photos that are alike it only through others in the group are shown, "
            "but not ticked.",
            wrap=True,
        )
        mute(self.hint)
        self.reveal_button = QPushButton("Show in Folder")
        self.reveal_button.clicked.connect(self._reveal)
        self.trash_button = QPushButton("Move to Trash")
        self.trash_button.clicked.connect(self._trash_ticked)
        self.trash_all_button = QPushButton("Move All Ticked to Trash")
        self.trash_all_button.clicked.connect(self._trash_all_ticked)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.reveal_button)
        bottom.addWidget(self.trash_button)
        bottom.addWidget(self.trash_all_button)
        bottom.addWidget(close)
        return bottom

    # -- finding --------------------------------------------------------------

    def find(self) -> None:
        self._cancel.clear()
        self._progress = 0.0
        self.find_button.setEnabled(False)
        self.cancel_button.show()
        self.bar.show()
        self.summary.hide()
        self._poll.start()
        self._request += 1
        self._worker.find_duplicates(
            self._request, self.threshold.value(), self._set_progress, self._cancel
        )

    def _set_progress(self, fraction: float) -> None:
        self._progress = fraction

    def _searched(self) -> None:
        self._poll.stop()
        self.find_button.setEnabled(True)
        self.cancel_button.hide()
        self.bar.hide()
        self.summary.show()

    def _failed(self, request: int, why: str) -> None:
        if request != self._request:
            return  # an earlier search's
        self._searched()
        self.summary.setText("Stopped." if self._cancel.is_set() else f"This did not work: {why}")

    def _found(self, request: int, groups: list[list[Duplicate]]) -> None:
        if request != self._request:
            return
        self._searched()
        self.groups = groups
        self._ticked = {d.path for g in self.groups for d in g[1:] if d.alike_kept}
        self._list_groups()
        photos = sum(len(g) for g in self.groups)
        self.summary.setText(
            f"{len(self.groups):,} groups, {photos:,} photos"
            if self.groups
            else "No duplicates at this similarity."
        )
        if self.groups:
            self.group_list.setCurrentRow(0)
        else:
            self.photos.clear()
        self._update_buttons()

    def _list_groups(self) -> None:
        self.group_list.clear()
        for group in self.groups:
            item = QListWidgetItem(f"{len(group)} photos · {os.path.basename(group[0].path)}")
            item.setToolTip(plain_tooltip(*(home_relative(d.path) for d in group)))
            item.setData(PATH_ROLE, group[0].path)
            self._set_icon(item, GROUP_ICON_SIDE)  # the kept photo: groups are told apart by eye
            self.group_list.addItem(item)

    # -- one group ------------------------------------------------------------

    def _show_group(self, row: int) -> None:
        self.photos.clear()
        if not 0 <= row < len(self.groups):
            return
        group = self.groups[row]
        for i, dup in enumerate(group):
            item = QListWidgetItem(duplicate_label(dup, kept_reason(group) if i == 0 else None))
            item.setData(PATH_ROLE, dup.path)
            item.setToolTip(plain_tooltip(*(home_relative(p) for p in dup.paths)))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            tick = dup.path in self._ticked
            item.setCheckState(Qt.CheckState.Checked if tick else Qt.CheckState.Unchecked)
            self._set_icon(item)
            self.photos.addItem(item)
        # No photo is highlighted until one is clicked: a highlighted photo reads as the one
        # the buttons act on, and they act on the ticked ones.
        self.photos.setCurrentRow(-1)
        self._update_buttons()

    def _set_icon(self, item: QListWidgetItem, logical_side: int = THUMBNAIL_SIDE) -> None:
        # Device pixels, so that the photos are sharp on a 2x screen.
        ratio = self.devicePixelRatioF()
        side = round(logical_side * ratio)
        pixmap = self._thumbnails.pixmap(item.data(PATH_ROLE), side)
        if pixmap is None:
            # Until the thumbnail is ready: an empty square of the same size, so the cell is
            # laid out once, at its final size.
            pixmap = QPixmap(side, side)
            pixmap.fill(Qt.GlobalColor.transparent)
        else:
            pixmap = QPixmap(pixmap)  # the grid shares the loader's pixmap: leave its ratio
        pixmap.setDevicePixelRatio(ratio)
        icon = QIcon(pixmap)
        # The photo as it is when selected too: a tinted copy would look like another photo.
        icon.addPixmap(pixmap, QIcon.Mode.Selected)
        item.setIcon(icon)

    def _thumbnail_ready(self, path: str) -> None:
        for view, side in ((self.photos, THUMBNAIL_SIDE), (self.group_list, GROUP_ICON_SIDE)):
            for i in range(view.count()):
                item = view.item(i)
                if item.data(PATH_ROLE) == path:
                    self._set_icon(item, side)

    def _group(self) -> list[Duplicate]:
        row = self.group_list.currentRow()
        return self.groups[row] if 0 <= row < len(self.groups) else []

    def _tick_changed(self, item: QListWidgetItem) -> None:
        if item.checkState() == Qt.CheckState.Checked:
            self._ticked.add(item.data(PATH_ROLE))
        else:
            self._ticked.discard(item.data(PATH_ROLE))
        self._update_buttons()

    def ticked(self, group: list[Duplicate] | None = None) -> list[Duplicate]:
        """The ticked photos of `group`, by default of the group shown."""
        return [
            dup for dup in (self._group() if group is None else group) if dup.path in self._ticked
        ]

    def _update_buttons(self) -> None:
        count = len(self.ticked())
        self.trash_button.setEnabled(count > 0)
        self.trash_button.setText(
            f"Move {count} of This Group to Trash" if count else "Move to Trash"
        )
        every = sum(len(self.ticked(group)) for group in self.groups)
        self.trash_all_button.setEnabled(every > 0)
        self.trash_all_button.setText(
            f"Move All {every} Ticked to Trash" if every else "Move All Ticked to Trash"
        )
        self.reveal_button.setEnabled(self.photos.currentItem() is not None)

    def _reveal(self) -> None:
        item = self.photos.currentItem()
        if item is not None:
            desktop.show_in_folder(item.data(PATH_ROLE), self)

    def _trash_ticked(self) -> None:
        """Move the ticked photos of the group shown to the trash, every path of each."""
        group, chosen = self._group(), self.ticked()
        if chosen:
            every = "Every photo of this group is ticked: none of them would be kept."
            self._trash([(group, chosen)], every if len(chosen) == len(group) else "")

    def _trash_all_ticked(self) -> None:
        """Move the ticked photos of every group to the trash, with one question."""
        choices: list[Choice] = [(g, self.ticked(g)) for g in self.groups if self.ticked(g)]
        whole = sum(len(chosen) == len(group) for group, chosen in choices)
        note = f"In {whole} of the {len(choices)} groups every photo is ticked." if whole else ""
        self._trash(choices, note)

    def _trash(self, choices: list[Choice], note: str) -> None:
        """Ask, move what may go, and take the photos gone out of their groups."""
        if not choices:
            return
        gone = set(trash_chosen(self, choices, note))
        if not gone:
            return
        self.trashed.emit([p for group, _ in choices for d in group for p in d.paths if p in gone])
        row = self.group_list.currentRow()
        left = [[d for d in group if d.path not in gone] for group in self.groups]
        self.groups = [group for group in left if len(group) > 1]
        self._list_groups()
        self.group_list.setCurrentRow(min(row, len(self.groups) - 1))

    def closeEvent(self, event: object) -> None:
        self._cancel.set()
        super().closeEvent(event)  # type: ignore[arg-type]

    def shutdown(self) -> None:
        self._cancel.set()
