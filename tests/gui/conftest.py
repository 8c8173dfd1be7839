"""Fixtures for driving the real main window with the tiny CLIP fixture model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import index_into
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from window_helpers import FindDuplicates, OpenWindow, reset_window

from photofind.core.api import ThumbnailCache
from photofind.gui.background import Background
from photofind.gui.duplicates_dialog import DuplicatesDialog
from photofind.gui.main_window import MainWindow
from photofind.gui.settings import AppSettings, Preferences
from photofind.gui.thumbnail_loader import ThumbnailLoader
from photofind.gui.worker import LibraryWorker


@pytest.fixture(scope="session")
def indexed_template(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path, shapes_dir: Path
) -> Path:
    """A data dir whose library holds shapes_dir, indexed with the fixture model (once)."""
    return index_into(tmp_path_factory.mktemp("indexed-data"), model_dir, [shapes_dir])


@pytest.fixture
def indexed_data_dir(indexed_template: Path, tmp_path: Path) -> Path:
    """A private copy of the indexed library, so a test may change it."""
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_template, data_dir)
    return data_dir


def _main_window(
    data_dir: Path, model: str, index_on_start: bool = True, thumbnail_size: int | None = None
) -> MainWindow:
    """The main window as run_app builds it, shown and active."""
    settings = AppSettings(data_dir)
    saved = settings.load()
    prefs = Preferences(
        model=model,
        device="cpu",
        thumbnail_size=thumbnail_size or saved.thumbnail_size,
        index_on_start=index_on_start,
    )
    window = MainWindow(data_dir, settings, prefs)
    window.show()
    window.activateWindow()
    return window


def _close(window: MainWindow) -> None:
    window.close()
    assert window.worker.isFinished(), "the library worker did not stop"


@pytest.fixture
def open_window(qtbot: QtBot, model_dir: Path, tmp_path: Path) -> Iterator[OpenWindow]:
    """Opens the main window as run_app does; every window opened is closed afterwards."""
    windows: list[MainWindow] = []

    def open_(
        data_dir: Path | None = None,
        model: str | None = None,
        index_on_start: bool = True,
        thumbnail_size: int | None = None,
    ) -> MainWindow:
        model = model if model is not None else str(model_dir)
        window = _main_window(data_dir or tmp_path / "data", model, index_on_start, thumbnail_size)
        windows.append(window)
        qtbot.waitExposed(window)
        return window

    yield open_
    for window in windows:
        _close(window)


@pytest.fixture(scope="module")
def _module_window(
    qapp: QApplication,
    tmp_path_factory: pytest.TempPathFactory,
    indexed_template: Path,
    model_dir: Path,
) -> Iterator[MainWindow]:
    # Module-scoped, so without qtbot (function-scoped): shared_window waits on it.
    data_dir = tmp_path_factory.mktemp("shared-window") / "data"
    shutil.copytree(indexed_template, data_dir)
    window = _main_window(data_dir, str(model_dir))
    yield window
    _close(window)


@pytest.fixture
def shared_window(qtbot: QtBot, _module_window: MainWindow) -> MainWindow:
    """One window per test module, on the module's own copy of the indexed library, for tests
    that only search and look: each test gets it back as a newly opened window is once its
    model has loaded. A test that changes the library, the settings or the model opens its
    own window."""
    window = _module_window
    reset_window(qtbot, window)
    return window


@pytest.fixture(scope="session", autouse=True)
def _release_clipboard_at_exit() -> Iterator[None]:
    # As run_app does: Qt 6.11 crashes at exit if the clipboard still holds our mime data.
    yield
    from photofind.gui.desktop import release_clipboard

    release_clipboard()


@pytest.fixture
def find_duplicates(qtbot: QtBot) -> Iterator[FindDuplicates]:
    """The duplicates dialog on its own, over a library's data dir, with the library's worker
    started as the window does: shown, and its Find clicked at a similarity. Every dialog,
    worker and pool it made is stopped afterwards."""
    # The parent widget is kept here too: the dialog lives only as long as it does.
    made: list[tuple[DuplicatesDialog, QWidget, LibraryWorker, Background]] = []

    def find(data_dir: Path, model: str, threshold: float) -> DuplicatesDialog:
        background = Background(threads=1)
        thumbnails = ThumbnailLoader(ThumbnailCache(data_dir), background)
        worker = LibraryWorker(data_dir, model, "cpu", index_on_start=False)
        worker.start()
        parent = QWidget()
        dialog = DuplicatesDialog(worker, thumbnails, parent)
        made.append((dialog, parent, worker, background))
        dialog.show()
        dialog.threshold.setValue(threshold)
        qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(dialog.find_button.isEnabled, timeout=60_000)
        return dialog

    yield find
    for dialog, parent, worker, background in made:
        dialog.shutdown()
        dialog.close()
        parent.close()
        worker.stop()
        background.shutdown()
