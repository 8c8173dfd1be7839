"""The app with a SigLIP model: typing a description and Find Similar show the right photos,
as with CLIP."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import index_into
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from window_helpers import (
    RESULTS_TIMEOUT_MS,
    OpenWindow,
    grid_names,
    right_click,
    type_query,
    wait_for_top,
)


@pytest.fixture
def siglip_library(tmp_path: Path, siglip_dir: Path, shapes_dir: Path) -> Path:
    return index_into(tmp_path / "data", siglip_dir, [shapes_dir])


def test_a_description_and_find_similar_show_matching_photos_first(
    qtbot: QtBot, open_window: OpenWindow, siglip_library: Path, siglip_dir: Path
) -> None:
    window = open_window(siglip_library, model=str(siglip_dir))
    type_query(qtbot, window, "Red Circle")
    wait_for_top(qtbot, window, "red_circle", count=5)

    type_query(qtbot, window, "green triangle")
    wait_for_top(qtbot, window, "green_triangle")
    clicked = str(window.results.index(2).data())
    menu = right_click(window, 2)
    next(a for a in menu.actions() if a.text() == "Find Similar").trigger()
    menu.close()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.waitUntil(lambda: clicked in window.heading.text(), timeout=RESULTS_TIMEOUT_MS)
    wait_for_top(qtbot, window, "green_triangle", count=5)
    assert clicked not in grid_names(window, window.results.rowCount())
