"""Tags in the window: the tag filter keeps only photos carrying the tag, and the preview says
what the photo looks like."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot
from shapes import CLASSES
from window_helpers import OpenWindow, type_query, wait_for_model, wait_for_top


def test_tag_filter_and_preview_tags(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    (indexed_data_dir / "tags.txt").write_text(
        "".join(f"{c} {s} = a {c} {s}\n" for c, s in CLASSES)
    )
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    combo = window.page.tag_filter
    qtbot.waitUntil(lambda: combo.count() == len(CLASSES) + 1)
    assert combo.itemText(0) == "Any tag"

    type_query(qtbot, window, "a circle")  # circles of every colour
    qtbot.waitUntil(lambda: window.results.rowCount() > 0)
    combo.setCurrentIndex(combo.findText("red circle"))
    wait_for_top(qtbot, window, "red_circle")
    names = [window.results.hit(r).path for r in range(window.results.rowCount())]
    assert all("red_circle" in n for n in names)

    window.grid.setCurrentIndex(window.results.index(0))
    window.photo_actions.preview.trigger()
    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(lambda: preview.tags.text().startswith("red circle"))
