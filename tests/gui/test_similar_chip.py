"""Find Similar shows a chip, "Similar to [thumbnail] name ×", in the search field instead of
the photo's path; × or Esc returns to the query before it, and Back (Alt+Left) to its results
(issue #16, everyday use). Keys go where a person's would: to the focused widget."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from window_helpers import (
    RESULTS_TIMEOUT_MS,
    type_query,
    wait_for_top,
)

from photofind.gui.main_window import MainWindow


def _focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def _similar_to_third(qtbot: QtBot, window: MainWindow) -> None:
    """Show photos like the third result for "green triangle"."""
    type_query(qtbot, window, "green triangle")
    wait_for_top(qtbot, window, "green_triangle")
    path = window.results.hit(2).path
    window.find_similar(path)
    chip = window.flow.chip
    qtbot.waitUntil(lambda: Path(path).name in window.heading.text(), timeout=RESULTS_TIMEOUT_MS)
    assert window.search.text() == ""  # no path in the field
    assert chip.isVisible()
    assert not window.page.suggestions.isVisible()  # the box holds a photo, not nothing
    assert chip.caption.text() == "Similar to" and chip.name.text() == Path(path).name
    qtbot.waitUntil(
        lambda: chip.thumbnail.pixmap() is not None and not chip.thumbnail.pixmap().isNull()
    )
    # Typed text starts after the chip, not under it.
    assert window.search.textMargins().left() >= chip.geometry().right()


def _back_to_words(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.search.text() == "green triangle")
    assert not window.flow.chip.isVisible()
    heading = window.heading
    qtbot.waitUntil(lambda: heading.text().endswith("best match first"), timeout=RESULTS_TIMEOUT_MS)
    wait_for_top(qtbot, window, "green_triangle")


def test_esc_in_the_field_leaves_the_chip_for_the_words_before(
    qtbot: QtBot, shared_window: MainWindow
) -> None:
    window = shared_window
    _similar_to_third(qtbot, window)
    window.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)
    qtbot.keyClick(_focused(), Qt.Key.Key_Escape)
    _back_to_words(qtbot, window)


def test_alt_left_goes_back_to_the_previous_results(
    qtbot: QtBot, shared_window: MainWindow
) -> None:
    window = shared_window
    _similar_to_third(qtbot, window)
    window.grid.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.grid)
    qtbot.keyClick(_focused(), Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    _back_to_words(qtbot, window)


def test_the_chips_cross_goes_back(qtbot: QtBot, shared_window: MainWindow) -> None:
    window = shared_window
    _similar_to_third(qtbot, window)
    qtbot.mouseClick(window.flow.chip.close_button, Qt.MouseButton.LeftButton)
    _back_to_words(qtbot, window)
