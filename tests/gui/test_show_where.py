"""Highlight Match (show-where) in the preview colours the photo by where the query matches."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from window_helpers import MODEL_TIMEOUT_MS, OpenWindow, type_query, wait_for_model, wait_for_top


def test_show_where_overlays_the_query_on_the_previewed_photo(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    type_query(qtbot, window, "a photo of a red circle")
    wait_for_top(qtbot, window, "red_circle")
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.results.index(0))
    qtbot.keyClick(window.grid, Qt.Key.Key_Space)
    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(lambda: preview.dimensions.text().endswith("pixels"))
    photo = preview.view.pixmap().toImage()
    assert preview.where_button.isEnabled()

    qtbot.mouseClick(preview.where_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: preview.where_status.text().startswith("Yellow"), timeout=MODEL_TIMEOUT_MS
    )
    assert "a photo of a red circle" in preview.where_status.text()
    assert preview.view.pixmap().toImage() != photo, "the photo is shown coloured"
    assert preview.where_button.text() == "Hide Highlight"

    qtbot.mouseClick(preview.where_button, Qt.MouseButton.LeftButton)
    assert preview.view.pixmap().toImage() == photo and preview.where_status.text() == ""
    assert preview.where_button.text() == "Highlight Match"

    # A similar-photo search has no text to show: the button is off and disabled.
    preview.close()
    window.find_similar(window.results.hit(0).path)
    qtbot.waitUntil(lambda: "like" in window.heading.text())
    window.grid.setCurrentIndex(window.results.index(0))
    window.photo_actions.preview.trigger()
    qtbot.waitUntil(preview.isVisible)
    assert not preview.where_button.isEnabled()
