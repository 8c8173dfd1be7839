"""What can be done with the photos selected in the grid: open, show in folder, copy, preview,
find similar, move to the trash. The same actions serve the menu bar, the context menu and
the shortcuts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QListView, QMenu, QMessageBox, QStatusBar

from photofind.core.api import copy_to_folder
from photofind.gui import desktop
from photofind.gui.background import Background
from photofind.gui.open_with import OpenWithMenu
from photofind.gui.photo_images import CLIPBOARD_MAX_SIDE, PreviewImage, load_scaled
from photofind.gui.results_model import PATH_ROLE, ResultsModel

# Opening more photos than this at once asks first: each one opens its own window.
OPEN_MANY_CONFIRM = 12


class PhotoActions(QObject):
    previewRequested = Signal(QModelIndex)
    similarRequested = Signal(str)
    trashRequested = Signal(list)  # the selected photos' paths

    def __init__(
        self,
        grid: QListView,
        results: ResultsModel,
        background: Background,
        status: QStatusBar,
    ) -> None:
        super().__init__(grid)
        self._grid = grid
        self._results = results
        self._background = background
        self._status = status
        self.context_menu: QMenu | None = None

        key = QKeySequence
        self.preview = self._action("Preview", self._preview_current, [key("Space")])
        self.open = self._action("Open", self._open_selected, [key("Ctrl+O")])
        self.show_in_folder = self._action(
            "Show in Folder", self._show_in_folder, [key("Ctrl+Shift+R")]
        )
        self.copy_path = self._action("Copy Path", self._copy_paths, [key(key.StandardKey.Copy)])
        self.copy_image = self._action("Copy Image", self._copy_image, [key("Ctrl+Shift+C")])
        self.copy_to_folder = self._action("Copy to Folder…", self._copy_to_folder)
        self.similar = self._action("Find Similar", self._find_similar, [key("Ctrl+Shift+F")])
        self.trash = self._action(
            "Move to Trash",
            lambda: self.trashRequested.emit(self.selected_paths()),
            [key(key.StandardKey.Delete)],
        )
        self.open_with = OpenWithMenu(self.selected_paths, grid)
        self.open_with.failed = lambda message: status.showMessage(message, 8000)
        self.selected = QLabel()
        status.addPermanentWidget(self.selected)

        grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        grid.customContextMenuRequested.connect(self._show_context_menu)
        grid.activated.connect(self.previewRequested)
        grid.selectionModel().selectionChanged.connect(self.update)
        grid.selectionModel().currentChanged.connect(self.update)
        self.update()

    def _action(
        self, text: str, slot: Callable[[], None], shortcuts: list[QKeySequence] | None = None
    ) -> QAction:
        action = QAction(text, self._grid)
        action.setIconText(text)  # its name, where the text counts photos ("Open 3 Photos")
        action.triggered.connect(slot)
        if shortcuts:
            action.setShortcuts(shortcuts)
            # Only while the grid has the keyboard: in the search bar, Space types a space and
            # Ctrl+C copies text.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._grid.addAction(action)
        return action

    def all(self) -> list[QAction]:
        return [
            self.preview,
            self.open,
            self.show_in_folder,
            self.copy_path,
            self.copy_image,
            self.copy_to_folder,
            self.similar,
            self.trash,
        ]

    def update(self) -> None:
        count = len(self._grid.selectionModel().selectedIndexes())
        for action in [*self.all(), self.open_with.menuAction()]:
            action.setEnabled(count > 0)
        self.open.setText(f"Open {count} Photos" if count > 1 else "Open")
        self.copy_path.setText(f"Copy {count} Paths" if count > 1 else "Copy Path")
        self.trash.setText(f"Move {count} Photos to Trash" if count > 1 else "Move to Trash")
        # Beside the library's count on the status bar: set apart as the index status is.
        self.selected.setText(f"· {count:,} selected" if count else "")

    def selected_paths(self) -> list[str]:
        rows = sorted(i.row() for i in self._grid.selectionModel().selectedIndexes())
        return [self._results.hit(r).path for r in rows]

    def current_path(self) -> str | None:
        """The photo a single-photo action applies to: the current one if it is selected."""
        index = self._grid.currentIndex()
        if index.isValid() and self._grid.selectionModel().isSelected(index):
            return str(index.data(PATH_ROLE))
        paths = self.selected_paths()
        return paths[0] if paths else None

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self._grid.indexAt(pos)
        if not index.isValid():
            return
        selection = self._grid.selectionModel()
        # Right-clicking inside a multiple selection acts on all of it, elsewhere on one photo.
        flag = (
            QItemSelectionModel.SelectionFlag.NoUpdate
            if selection.isSelected(index)
            else QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        selection.setCurrentIndex(index, flag)
        menu = QMenu(self._grid)
        # What photofind is for comes first; the file actions any viewer has come after.
        menu.addActions([self.similar, self.preview])
        menu.addSeparator()
        menu.addAction(self.open)
        menu.addMenu(self.open_with)
        menu.addAction(self.show_in_folder)
        menu.addSeparator()
        menu.addActions([self.copy_path, self.copy_image, self.copy_to_folder])
        menu.addSeparator()
        menu.addAction(self.trash)
        menu.aboutToHide.connect(menu.deleteLater)
        self.context_menu = menu
        menu.popup(self._grid.viewport().mapToGlobal(pos))

    def _preview_current(self) -> None:
        index = self._grid.currentIndex()
        if index.isValid():
            self.previewRequested.emit(index)

    def _find_similar(self) -> None:
        path = self.current_path()
        if path is not None:
            self.similarRequested.emit(path)

    def _open_selected(self) -> None:
        paths = self.selected_paths()
        if len(paths) > OPEN_MANY_CONFIRM:
            answer = QMessageBox.question(
                self._grid.window(),
                "Open Photos",
                f"Open {len(paths)} photos, each in its own window?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        desktop.open_files(paths)

    def _show_in_folder(self) -> None:
        path = self.current_path()
        if path is not None:
            desktop.show_in_folder(path, self)

    def _copy_paths(self) -> None:
        paths = self.selected_paths()
        if paths:
            desktop.copy_paths(paths)
            copied = "Path copied" if len(paths) == 1 else f"{len(paths)} paths copied"
            self._status.showMessage(copied, 3000)

    def _copy_to_folder(self) -> None:
        paths = self.selected_paths()
        folder = QFileDialog.getExistingDirectory(self._grid.window(), "Copy to Folder")
        if not paths or not folder:
            return

        def copied(result: object) -> None:
            if isinstance(result, list):
                count = f"{len(result)} photos" if len(result) > 1 else "1 photo"
                self._status.showMessage(f"{count} copied to {folder}", 8000)
            else:
                self._status.showMessage(f"Cannot copy the photos: {result}", 15000)

        # Copying many large photos takes a while; the window stays responsive meanwhile.
        self._background.submit(lambda: copy_to_folder(paths, folder), copied)

    def _copy_image(self) -> None:
        path = self.current_path()
        if path is None:
            return

        def copied(result: object) -> None:
            if isinstance(result, PreviewImage):
                desktop.copy_image(result.image)
                self._status.showMessage("Image copied", 3000)
            else:
                self._status.showMessage(f"Cannot copy the image: {result}", 8000)

        # Decoding a large photo takes a while; the window stays responsive meanwhile.
        self._background.submit(lambda: load_scaled(path, CLIPBOARD_MAX_SIDE), copied)
