"""The first minute: once the library has photos, the empty search offers example queries and
the tags with their counts, and a click runs one; the ? help teaches phrasing first."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolButton, QWidget
from pytestqt.qtbot import QtBot
from window_helpers import MODEL_TIMEOUT_MS, OpenWindow, wait_for_model

from photofind.gui.query_help import QueryHelp
from photofind.gui.suggestions import EXAMPLE_QUERIES


def test_examples_and_tag_counts_are_offered_and_run_on_a_click(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    suggestions = window.page.suggestions
    qtbot.waitUntil(
        lambda: suggestions.isVisible() and bool(suggestions.tags), timeout=MODEL_TIMEOUT_MS
    )
    assert [b.text() for b in suggestions.examples] == EXAMPLE_QUERIES
    # "name (count)", most common first.
    counts = [
        int(b.text().rsplit("(", 1)[1].rstrip(")").replace(",", "")) for b in suggestions.tags
    ]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0

    with qtbot.waitSignal(window.search.querySubmitted) as submitted:
        qtbot.mouseClick(suggestions.examples[1], Qt.MouseButton.LeftButton)
    assert submitted.args == [EXAMPLE_QUERIES[1]]
    assert window.search.text() == EXAMPLE_QUERIES[1]
    qtbot.waitUntil(lambda: not suggestions.isVisible())

    window.search.clear()
    qtbot.waitUntil(suggestions.isVisible)
    tag = suggestions.tags[0].text().rsplit(" (", 1)[0]
    qtbot.mouseClick(suggestions.tags[0], Qt.MouseButton.LeftButton)
    assert window.page.tag() == tag


def test_help_teaches_phrasing_before_the_advanced_arithmetic(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    texts = [label.text() for label in QueryHelp(parent).findChildren(QLabel)]
    advanced = texts.index("Advanced")
    assert any("Describe what is in the photo" in t for t in texts[:advanced])
    assert not any("+" in t or "-" in t for t in texts[:advanced])
    assert any("+" in t for t in texts[advanced:])


def test_help_has_a_visible_close_button(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    help_popup = QueryHelp(parent)
    help_popup.show_under(parent)
    qtbot.waitUntil(help_popup.isVisible)
    close = next(b for b in help_popup.findChildren(QToolButton) if b.text() == "×")
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not help_popup.isVisible())
