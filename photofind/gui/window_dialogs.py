"""The main window's other windows: Folders, Duplicates, Settings, Keyboard Shortcuts and
About. Folders and Duplicates are made once and kept (they hold state while hidden); the
others are made each time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMainWindow, QMessageBox

from photofind import __version__
from photofind.gui.dialog_geometry import remember_geometry
from photofind.gui.duplicates_dialog import DuplicatesDialog
from photofind.gui.folders_dialog import FoldersDialog
from photofind.gui.settings import AppSettings, Preferences
from photofind.gui.settings_dialog import SettingsDialog
from photofind.gui.shortcuts_dialog import Section, ShortcutsDialog
from photofind.gui.thumbnail_loader import ThumbnailLoader
from photofind.gui.worker import LibraryState, LibraryWorker
from photofind.logfile import LOG_NAME


class WindowDialogs:
    def __init__(
        self,
        window: QMainWindow,
        worker: LibraryWorker,
        settings: AppSettings,
        thumbnails: ThumbnailLoader,
        add_folder: Callable[[str], None],
    ) -> None:
        self._window, self._worker, self._settings = window, worker, settings
        self._thumbnails = thumbnails
        self._add_folder = add_folder
        self.folders: FoldersDialog | None = None
        self.duplicates: DuplicatesDialog | None = None

    def show_folders(self, state: LibraryState | None) -> None:
        if self.folders is None:
            self.folders = FoldersDialog(self._window)
            remember_geometry(self.folders, self._settings, "folders_dialog")
            self.folders.addFolder.connect(self._add_folder)
            self.folders.removeFolder.connect(self._worker.remove_folder)
            self.folders.setExcluded.connect(self._worker.set_excluded)
        if state is not None:
            self.folders.set_state(state)
        _bring_up(self.folders)

    def library_changed(self, state: LibraryState) -> None:
        if self.folders is not None:
            self.folders.set_state(state)

    def show_duplicates(self, trashed: Callable[[list[str]], None]) -> None:
        if self.duplicates is None:
            self.duplicates = DuplicatesDialog(self._worker, self._thumbnails, self._window)
            self.duplicates.trashed.connect(trashed)
            remember_geometry(self.duplicates, self._settings, "duplicates_dialog")
        _bring_up(self.duplicates)

    def show_shortcuts(self, sections: list[Section]) -> None:
        dialog = ShortcutsDialog(sections, self._window)
        remember_geometry(dialog, self._settings, "shortcuts_dialog")
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def show_settings(self, prefs: Preferences, apply: Callable[[Preferences], None]) -> None:
        dialog = SettingsDialog(prefs, self._window, data_dir=self._settings.path.parent)
        remember_geometry(dialog, self._settings, "settings_dialog")
        dialog.accepted.connect(lambda: apply(dialog.preferences()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def show_about(self, data_dir: Path) -> None:
        QMessageBox.about(
            self._window,
            "About Photofind",
            f"Photofind {__version__}\n\nFinds photos in your own folders by describing them, "
            "or by showing a similar one. Everything stays on this computer.\n\n"
            f"Log file: {data_dir / LOG_NAME}",
        )

    def close(self) -> None:
        for window in (self.folders, self.duplicates):
            if window is not None:
                window.close()
        if self.duplicates is not None:
            self.duplicates.shutdown()


def _bring_up(dialog: QMainWindow | FoldersDialog | DuplicatesDialog) -> None:
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
