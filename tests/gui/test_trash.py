"""Moving photos to the trash from the grid (Delete) and the viewer (Delete), by the path the
duplicates take: one question naming the photos, counts and sizes; then the photos leave
the folder, the grid and the library. And Move All Ticked across duplicate groups."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from planted import MODEL, photo, plant
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from shapes import make_photo
from window_helpers import (
    INDEX_TIMEOUT_MS,
    FindDuplicates,
    OpenWindow,
    type_query,
    wait_for_model,
    wait_for_top,
)

from photofind.core.index.indexer import IndexProgress
from photofind.gui.main_window import MainWindow
from photofind.units import human_size

PHOTOS = 4  # red circles, each drawn differently: every one a good match for "red circle"


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The questions asked; each is answered Yes."""
    texts: list[str] = []

    def question(_parent: object, _title: str, text: str) -> QMessageBox.StandardButton:
        texts.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    return texts


def _in_trash() -> set[str]:
    """Names in this test session's trash (conftest points XDG_DATA_HOME at a temp dir)."""
    from send2trash import plat_other

    files = Path(plat_other.HOMETRASH) / "files"
    return set(os.listdir(files)) if files.exists() else set()


def _indexed(qtbot: QtBot, open_window: OpenWindow, tmp_path: Path) -> tuple[MainWindow, list]:
    """A window over a folder of its own (its photos go to the trash), searched for a red
    circle; and the index runs finished from then on."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(PHOTOS):
        make_photo("red", "circle", np.random.default_rng(i)).save(folder / f"red_circle_{i}.png")
    window = open_window(tmp_path / "data")
    wait_for_model(qtbot, window)
    finished: list[IndexProgress] = []
    window.worker.indexFinished.connect(finished.append)
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: any(p.counts.encoded for p in finished), timeout=INDEX_TIMEOUT_MS)
    # Its answer, not the timeline of the same photos shown before it.
    with qtbot.waitSignal(window.flow.resultsReplaced, timeout=INDEX_TIMEOUT_MS):
        type_query(qtbot, window, "red circle")
    wait_for_top(qtbot, window, "red_circle", count=2)
    finished.clear()
    return window, finished


def _focus(qtbot: QtBot, widget: QWidget) -> QWidget:
    widget.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    focused = QApplication.focusWidget()
    assert focused is not None
    return focused


def test_delete_in_the_grid_asks_once_then_trashes_and_forgets_the_selected(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, asked: list[str]
) -> None:
    window, finished = _indexed(qtbot, open_window, tmp_path)
    grid = window.grid
    grid.setCurrentIndex(window.results.index(0))
    focused = _focus(qtbot, grid)
    assert focused is grid
    qtbot.keyClick(focused, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert window.photo_actions.selected.text() == "· 2 selected"
    chosen = window.photo_actions.selected_paths()
    size = human_size(sum(Path(p).stat().st_size for p in chosen))

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: bool(asked))
    (text,) = asked
    assert text.startswith(f"Move 2 photos ({size}) to the trash?")
    assert all(os.path.basename(p) in text for p in chosen)
    assert not any(os.path.exists(p) for p in chosen)
    assert {os.path.basename(p) for p in chosen} <= _in_trash()
    shown = {h.path for h in window.results.hits()}
    assert not shown & set(chosen)
    qtbot.waitUntil(lambda: bool(finished), timeout=INDEX_TIMEOUT_MS)
    assert finished[-1].counts.removed == 2


def test_delete_in_the_viewer_trashes_its_photo_and_shows_the_next(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, asked: list[str]
) -> None:
    window, finished = _indexed(qtbot, open_window, tmp_path)
    window.grid.setCurrentIndex(window.results.index(0))
    qtbot.keyClick(_focus(qtbot, window.grid), Qt.Key.Key_Space)
    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(preview.isVisible)
    first, second = (window.results.hit(r).path for r in (0, 1))
    assert preview.path == first
    size = human_size(os.path.getsize(first))

    qtbot.keyClick(_focus(qtbot, preview), Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: bool(asked))
    (text,) = asked
    assert text.startswith(f"Move 1 photo ({size}) to the trash?")
    assert os.path.basename(first) in text
    assert not os.path.exists(first) and os.path.basename(first) in _in_trash()
    assert preview.isVisible() and preview.path == second
    assert first not in {h.path for h in window.results.hits()}
    qtbot.waitUntil(lambda: bool(finished), timeout=INDEX_TIMEOUT_MS)
    assert finished[-1].counts.removed == 1


def test_move_all_ticked_asks_once_for_every_group_as_left_ticked(
    qtbot: QtBot, tmp_path: Path, asked: list[str], find_duplicates: FindDuplicates
) -> None:
    # Three groups, each a photo and a smaller copy (ticked when found).
    folder = tmp_path / "photos"
    axes = np.eye(3, dtype=np.float32)
    groups = [
        (
            photo(folder / f"g{k}.jpg", (320, 240), k),
            photo(folder / f"g{k} small.jpg", (160, 120), k),
        )
        for k in range(3)
    ]
    plant(tmp_path / "data", {p: axes[k] for k, pair in enumerate(groups) for p in pair})

    dialog = find_duplicates(tmp_path / "data", MODEL, 0.99)
    assert dialog.group_list.count() == 3
    # Untick the second group's copy, look at another group: the untick stays.
    dialog.group_list.setCurrentRow(1)
    dialog.photos.item(1).setCheckState(Qt.CheckState.Unchecked)
    dialog.group_list.setCurrentRow(2)
    dialog.group_list.setCurrentRow(1)
    assert dialog.photos.item(1).checkState() == Qt.CheckState.Unchecked
    assert dialog.trash_all_button.text() == "Move All 2 Ticked to Trash"

    gone = [groups[0][1], groups[2][1]]
    size = human_size(sum(p.stat().st_size for p in gone))
    qtbot.mouseClick(dialog.trash_all_button, Qt.MouseButton.LeftButton)
    (text,) = asked
    assert text.startswith(f"Move 2 photos ({size}) to the trash?")
    assert not any(p.exists() for p in gone) and {p.name for p in gone} <= _in_trash()
    assert all(p.exists() for p in (groups[0][0], *groups[1], groups[2][0]))
    assert dialog.groups == [dialog.groups[0]] and len(dialog.groups[0]) == 2
