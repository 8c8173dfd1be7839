"""Reviewing near-duplicates in the app: copies of a photo are grouped, shown side by side
with the largest kept, and the ticked copies go to the desktop's trash (and out of the
library)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from shapes import make_photo
from window_helpers import INDEX_TIMEOUT_MS, OpenWindow, wait_for_model

from photofind.core.indexer import IndexProgress


def test_copies_are_grouped_and_ticked_ones_go_to_the_trash(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    original = make_photo("red", "circle", np.random.default_rng(1), size=(320, 240))
    original.save(folder / "red_circle.png")
    original.save(folder / "red_circle copy.png")
    original.save(folder / "red_circle small.jpg", quality=70)
    for i, (colour, shape) in enumerate([("blue", "square"), ("green", "triangle")]):
        make_photo(colour, shape, np.random.default_rng(10 + i)).save(folder / f"{shape}.png")

    window = open_window(tmp_path / "data")
    wait_for_model(qtbot, window)
    finished: list[IndexProgress] = []
    window.worker.indexFinished.connect(finished.append)
    window.add_folder(str(folder))
    # Not any run's end (one may be under way already): the run that indexed the folder.
    qtbot.waitUntil(lambda: any(p.counts.encoded for p in finished), timeout=INDEX_TIMEOUT_MS)

    window.duplicates_action.trigger()
    dialog = window.duplicates_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    dialog.threshold.setValue(0.999)
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.find_button.isEnabled(), timeout=60_000)
    assert dialog.group_list.count() == 1, dialog.summary.text()
    names = [os.path.basename(d.path) for d in dialog.groups[0]]
    assert sorted(names) == ["red_circle copy.png", "red_circle small.jpg", "red_circle.png"]
    assert dialog.photos.count() == 3
    kept = dialog.photos.item(0)
    assert kept.checkState() == Qt.CheckState.Unchecked
    # Its name, that it is kept, and the sizes that made it the one kept.
    assert kept.text().splitlines() == ["red_circle.png", "kept", kept.text().splitlines()[2]]
    assert kept.text().splitlines()[2].startswith("320 × 240 · ")
    assert dialog.photos.item(1).text().splitlines()[1].startswith("similarity ")
    # Nothing is highlighted: the buttons act on the ticked photos, not a selected one.
    assert not dialog.photos.selectedItems()
    ticked = dialog.ticked()
    assert len(ticked) == 2 and dialog.trash_button.text() == "Move 2 of This Group to Trash"

    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    finished.clear()
    qtbot.mouseClick(dialog.trash_button, Qt.MouseButton.LeftButton)
    assert not any(Path(p).exists() for p in ticked)
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    assert sorted(p.name for p in trash.iterdir()) == sorted(Path(p).name for p in ticked)
    assert dialog.group_list.count() == 0  # one photo left: no longer a group
    qtbot.waitUntil(lambda: bool(finished), timeout=INDEX_TIMEOUT_MS)
    assert finished[-1].counts.removed == 2
    assert Image.open(folder / "red_circle.png").size == (320, 240)
