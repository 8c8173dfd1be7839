"""Choosing which folders the library watches, and which of their subfolders it leaves out."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photofind.core.api import is_within
from photofind.gui.folder_choice import choose_photo_folder, confirm_removal
from photofind.gui.style import bold, home_relative, plain_label, plain_tooltip
from photofind.gui.worker import LibraryState


class FoldersDialog(QDialog):
    """Edits go straight to the library (through the signals); the lists show what the library
    holds, so they update when the worker confirms a change."""

    addFolder = Signal(str)
    removeFolder = Signal(str)
    setExcluded = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Folders")
        self._folders: tuple[str, ...] = ()
        self._folder_photos: dict[str, int] = {}

        intro = plain_label(
            "Photos in these folders and their subfolders are found and kept up to date "
            "automatically. Removing a folder only makes Photofind forget its photos; "
            "the files themselves are never changed.",
            wrap=True,
        )

        self.folder_list = QListWidget()
        self.folder_list.setAccessibleName("Library folders")
        self.folder_list.setAlternatingRowColors(True)
        self.add_button = QPushButton("Add Folder…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self._choose_folder)
        self.remove_button.clicked.connect(self._remove_folder)

        self.excluded_list = QListWidget()
        self.excluded_list.setAccessibleName("Excluded subfolders")
        self.excluded_list.setAlternatingRowColors(True)
        self.exclude_button = QPushButton("Exclude Subfolder…")
        self.include_button = QPushButton("Include Again")
        self.exclude_button.clicked.connect(self._choose_excluded)
        self.include_button.clicked.connect(self._include_again)
        # One width for both columns of buttons, so the two lists line up.
        buttons = (self.add_button, self.remove_button, self.exclude_button, self.include_button)
        width = max(b.sizeHint().width() for b in buttons)
        for button in buttons:
            button.setMinimumWidth(width)

        self.problem = plain_label(wrap=True)
        self.problem.hide()

        close = QDialogButtonBox()
        # A plain button: the standard Close would carry an icon the other buttons lack.
        close.addButton(QPushButton("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(bold(plain_label("Library folders")))
        layout.addLayout(_list_with_buttons(self.folder_list, self.add_button, self.remove_button))
        layout.addSpacing(6)
        layout.addWidget(bold(plain_label("Excluded subfolders")))
        layout.addLayout(
            _list_with_buttons(self.excluded_list, self.exclude_button, self.include_button)
        )
        layout.addWidget(self.problem)
        layout.addWidget(close)
        self.resize(640, 480)

        self.folder_list.itemSelectionChanged.connect(self._update_buttons)
        self.excluded_list.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def set_state(self, state: LibraryState) -> None:
        self._folders = state.folders
        self._folder_photos = state.folder_photos
        _fill(self.folder_list, state.folders)
        _fill(self.excluded_list, state.excluded)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(bool(self.folder_list.selectedItems()))
        self.exclude_button.setEnabled(bool(self._folders))
        self.include_button.setEnabled(bool(self.excluded_list.selectedItems()))

    def _choose_folder(self) -> None:
        folder = choose_photo_folder(self)
        if folder:
            self._show_problem("")
            self.addFolder.emit(folder)

    def _remove_folder(self) -> None:
        for item in self.folder_list.selectedItems():
            path = _path(item)
            if confirm_removal(self, path, self._folder_photos.get(path, 0)):
                self.removeFolder.emit(path)

    def _choose_excluded(self) -> None:
        selected = self.folder_list.selectedItems()
        start = _path(selected[0]) if selected else self._folders[0]
        folder = QFileDialog.getExistingDirectory(self, "Exclude a Subfolder", start)
        if not folder:
            return
        folder = os.path.abspath(folder)
        if not any(is_within(folder, f) and folder != f for f in self._folders):
            self._show_problem(
                f"{folder} is not inside a library folder. To stop indexing a whole library "
                "folder, remove it instead."
            )
            return
        self._show_problem("")
        self.setExcluded.emit(folder, True)

    def _include_again(self) -> None:
        for item in self.excluded_list.selectedItems():
            self.setExcluded.emit(_path(item), False)

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))


def _list_with_buttons(items: QListWidget, *buttons: QPushButton) -> QHBoxLayout:
    column = QVBoxLayout()
    for button in buttons:
        column.addWidget(button)
    column.addStretch(1)
    row = QHBoxLayout()
    row.addWidget(items, 1)
    row.addLayout(column)
    return row


def _fill(items: QListWidget, paths: tuple[str, ...]) -> None:
    # QListWidget items are plain text already; a path is never read as markup.
    selected = {_path(item) for item in items.selectedItems()}
    items.clear()
    for path in paths:
        item = QListWidgetItem(home_relative(path))
        item.setData(Qt.ItemDataRole.UserRole, path)
        item.setToolTip(plain_tooltip(path))
        items.addItem(item)
        item.setSelected(path in selected)


def _path(item: QListWidgetItem) -> str:
    return str(item.data(Qt.ItemDataRole.UserRole))
