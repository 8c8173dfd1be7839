"""The query language in the window: combined queries rank what they ask for first, a
malformed query says what is wrong and where, and the search bar explains the syntax."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from window_helpers import type_query, wait_for_top

from photofind.gui.main_window import MainWindow


def test_added_descriptions_find_what_both_ask_for(qtbot: QtBot, shared_window: MainWindow) -> None:
    window = shared_window
    type_query(qtbot, window, "a photo of a red shape + a photo of a circle")
    wait_for_top(qtbot, window, "red_circle")


def test_a_malformed_query_says_what_is_wrong_and_where(
    qtbot: QtBot, shared_window: MainWindow
) -> None:
    window = shared_window
    type_query(qtbot, window, "dog +")
    qtbot.waitUntil(lambda: window.message.title.text() == "This search did not work")
    body = window.message.body.text()
    assert "'+'" in body and "position 5" in body and "Traceback" not in body


def test_the_search_bar_explains_the_query_language(
    qtbot: QtBot, shared_window: MainWindow
) -> None:
    window = shared_window
    window.search.help_action.trigger()
    help_popup = window.search.help
    assert help_popup is not None
    qtbot.waitUntil(help_popup.isVisible)
    texts = [label.text() for label in help_popup.findChildren(type(window.heading))]
    assert "beach + sunset - people" in texts and "2:dog + cat" in texts
