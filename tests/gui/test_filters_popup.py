"""Filters in the window: only close matches unless asked for all, and the Filters popup's date,
folder, type and order, each re-running the search, with what is active on the button."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from helpers import PER_CLASS, index_into
from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QDateEdit, QFileDialog
from pytestqt.qtbot import QtBot
from shapes import make_photo
from window_helpers import (
    LIBRARY_SIZE,
    RESULTS_TIMEOUT_MS,
    OpenWindow,
    grid_names,
    type_query,
    wait_for_model,
    wait_for_top,
)

from photofind.gui.filters_popup import OTHER_FOLDER
from photofind.gui.main_window import MainWindow


def _tick(qtbot: QtBot, check: QCheckBox) -> None:
    """Click a check box where its box is (the rest of a wide one does not take clicks)."""
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=QPoint(8, check.height() // 2))


def _names(window: MainWindow) -> list[str]:
    return grid_names(window, window.results.rowCount())


def test_only_close_matches_until_all_are_asked_for(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    page = window.page
    assert page.filters_button.text() == "Filters"  # close matches only is the default
    assert "Only close matches" in page.filters_button.toolTip()

    type_query(qtbot, window, "a photo of a red circle")
    wait_for_top(qtbot, window, "red_circle", count=PER_CLASS)
    names = _names(window)
    # Red shapes or circles may stay (tests/core/search/test_filters.py); nothing else.
    assert all(n.startswith("red_") or "_circle_" in n for n in names), names
    assert window.heading.text() == f"{len(names)} close matches, best match first"
    # Every photo says how well it matches.
    tooltip = str(window.results.index(len(names) - 1).data(Qt.ItemDataRole.ToolTipRole))
    assert "Match score" in tooltip

    assert page.show_all.isVisible()
    qtbot.mouseClick(page.show_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.results.rowCount() == LIBRARY_SIZE, timeout=RESULTS_TIMEOUT_MS)
    assert window.heading.text() == f"{LIBRARY_SIZE} photos, best match first"
    assert page.filters_button.text() == "Filters"
    assert not page.show_all.isVisible()
    assert not page.filters_popup.close_only.isChecked()


def _photo(path: Path, colour: str, shape: str, when: str, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    make_photo(colour, shape, np.random.default_rng(seed)).save(path)
    stamp = datetime.fromisoformat(when).timestamp()
    os.utime(path, (stamp, stamp))


@pytest.fixture
def trips(tmp_path: Path, model_dir: Path) -> tuple[Path, Path]:
    """A library of one folder, Trips, with a subfolder per year (file dates only)."""
    trips = tmp_path / "Trips"
    _photo(trips / "2020" / "rome.jpg", "red", "circle", "2020-05-01 10:00", 1)
    _photo(trips / "2020" / "paris.jpg", "red", "circle", "2020-05-03 10:00", 2)
    _photo(trips / "2023" / "oslo.png", "red", "circle", "2023-02-01 10:00", 3)
    _photo(trips / "2023" / "bergen.png", "red", "circle", "2023-02-02 10:00", 4)
    _photo(trips / "2023" / "fjord.jpg", "blue", "square", "2023-02-03 10:00", 5)
    # Most of a library is not what a search is for.
    for i, (colour, shape) in enumerate([("green", "triangle"), ("yellow", "square")] * 3):
        _photo(trips / "2022" / f"other_{i}.jpg", colour, shape, "2022-07-01 10:00", 10 + i)
    return index_into(tmp_path / "data", model_dir, [trips]), trips


def _set_date(qtbot: QtBot, check: QCheckBox, edit: QDateEdit, day: date) -> None:
    _tick(qtbot, check)
    edit.setDate(QDate(day.year, day.month, day.day))


def test_the_filters_popup_narrows_orders_and_resets_the_search(
    qtbot: QtBot,
    open_window: OpenWindow,
    trips: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, folder = trips
    window = open_window(data, index_on_start=False)
    wait_for_model(qtbot, window)
    page, popup = window.page, window.page.filters_popup
    type_query(qtbot, window, "a photo of a red circle")
    qtbot.waitUntil(lambda: window.results.rowCount() >= 4, timeout=RESULTS_TIMEOUT_MS)

    qtbot.mouseClick(page.filters_button, Qt.MouseButton.LeftButton)
    assert popup.isVisible()
    # The library's folders are offered, and any other folder can be chosen.
    assert popup.folder.findData(str(folder)) > 0
    _tick(qtbot, popup.close_only)
    qtbot.waitUntil(lambda: window.results.rowCount() == 11, timeout=RESULTS_TIMEOUT_MS)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(folder / "2023"))
    popup.folder.setCurrentIndex(popup.folder.findText(OTHER_FOLDER))
    popup.folder.activated.emit(popup.folder.currentIndex())
    qtbot.waitUntil(
        lambda: sorted(_names(window)) == ["bergen.png", "fjord.jpg", "oslo.png"],
        timeout=RESULTS_TIMEOUT_MS,
    )
    assert page.filters_button.text() == "Filters (1)"
    assert "2023" in page.filters_button.toolTip()

    # Newest first, by the files' dates.
    popup.sort.setCurrentIndex(popup.sort.findData("newest"))
    qtbot.waitUntil(
        lambda: _names(window) == ["fjord.jpg", "bergen.png", "oslo.png"],
        timeout=RESULTS_TIMEOUT_MS,
    )
    assert window.heading.text() == "3 photos, newest first"

    # Nothing there is a JPEG of February 2nd or later… but the fjord.
    _tick(qtbot, popup.type_checks["jpeg"])
    _set_date(qtbot, popup.from_check, popup.from_date, date(2023, 2, 2))
    qtbot.waitUntil(lambda: _names(window) == ["fjord.jpg"], timeout=RESULTS_TIMEOUT_MS)
    assert page.filters_button.text() == "Filters (3)"
    _set_date(qtbot, popup.to_check, popup.to_date, date(2023, 2, 2))
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.message)
    assert window.message.title.text() == "No photos pass the filters"
    # The dates are one filter, the folder and the type the others.
    assert page.filters_button.text() == "Filters (3)"
    assert "On 2 Feb 2023" in page.filters_button.toolTip()

    qtbot.mouseClick(popup.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: sorted(_names(window)) == ["bergen.png", "oslo.png", "paris.jpg", "rome.jpg"],
        timeout=RESULTS_TIMEOUT_MS,
    )
    assert page.filters_button.text() == "Filters"
    assert window.heading.text() == "4 close matches, best match first"
