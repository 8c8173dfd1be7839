"""Browsing without a query (issue #16, everyday use): an empty search box shows the library
newest first under day headers; a tag chosen with an empty box lists that tag's photos, newest
first. The date is the EXIF date taken, else the file's modification time."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import index_into
from PIL import Image
from pytestqt.qtbot import QtBot
from shapes import CLASSES, generate_folder
from window_helpers import RESULTS_TIMEOUT_MS, OpenWindow, type_query, wait_for_model

from photofind.gui.main_window import MainWindow
from photofind.gui.status_text import day_label, long_date, timeline_heading

DAY = 24 * 3600
# The one photo with an EXIF date: it was taken long ago, though its file is new.
TAKEN = "red_square_000.jpg"


def _expected_order(folder: Path) -> list[str]:
    """Give every photo its own day and return the file names newest first: one an hour old
    (today), one a day old (yesterday), TAKEN dated 12 August 2023 by EXIF with a new file,
    the rest one day each in January 2020."""
    now = time.time()
    names = sorted(p.name for p in folder.iterdir() if p.name != TAKEN)
    with Image.open(folder / TAKEN) as image:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9003] = "2023:08:12 10:00:00"
        image.save(folder / f"new-{TAKEN}", format="JPEG", exif=exif)
    os.replace(folder / f"new-{TAKEN}", folder / TAKEN)
    # At least a minute old: the app leaves files written in its last seconds for later.
    times = {names[0]: now - 120, names[1]: now - DAY, TAKEN: now - 60}
    for day, name in enumerate(names[2:], start=1):
        times[name] = datetime(2020, 1, 1 + day, 12).timestamp()
    for name, mtime in times.items():
        os.utime(folder / name, (mtime, mtime))
    return [names[0], names[1], TAKEN, *sorted(names[2:], key=lambda n: -times[n])]


@pytest.fixture(scope="module")
def timeline_template(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path
) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("timeline") / "Photos"
    generate_folder(folder, per_class=2)
    order = _expected_order(folder)
    data_dir = index_into(tmp_path_factory.mktemp("timeline-data"), model_dir, [folder])
    (data_dir / "tags.txt").write_text("".join(f"{c} {s} = a {c} {s}\n" for c, s in CLASSES))
    return data_dir, order


@pytest.fixture
def timeline(timeline_template: tuple[Path, list[str]], tmp_path: Path) -> tuple[Path, list[str]]:
    data_dir, order = timeline_template
    shutil.copytree(data_dir, tmp_path / "data")
    return tmp_path / "data", order


def _shown(window: MainWindow) -> list[str]:
    return [os.path.basename(h.path) for h in window.results.hits()]


def test_an_empty_search_box_shows_the_library_newest_first_under_day_headers(
    qtbot: QtBot, open_window: OpenWindow, timeline: tuple[Path, list[str]]
) -> None:
    data_dir, order = timeline
    window = open_window(data_dir)
    qtbot.waitUntil(lambda: window.results.rowCount() == len(order), timeout=RESULTS_TIMEOUT_MS)
    assert window.search.text() == ""
    assert window.pages.currentWidget() is window.grid
    assert _shown(window) == order
    assert window.page.heading.text() == f"{len(order)} photos, newest first"

    days = [window.results.day(row) for row in range(len(order))]
    assert [d.label for d in days[:3]] == ["Today", "Yesterday", long_date(date(2023, 8, 12))]
    assert days[3].label == long_date(date(2020, 1, 22))  # the newest of the January photos
    assert days[0].first == 0 and days[0].last == 0
    # The cells make room for the headers, and a search's cells are the plain ones again.
    timeline_height = window.grid.gridSize().height()
    wait_for_model(qtbot, window)
    type_query(qtbot, window, "red circle")
    qtbot.waitUntil(lambda: not window.results.has_days(), timeout=RESULTS_TIMEOUT_MS)
    assert window.grid.gridSize().height() < timeline_height


def test_a_tag_chosen_with_an_empty_search_box_lists_its_photos_newest_first(
    qtbot: QtBot, open_window: OpenWindow, timeline: tuple[Path, list[str]]
) -> None:
    data_dir, order = timeline
    window = open_window(data_dir)
    wait_for_model(qtbot, window)
    combo = window.page.tag_filter
    qtbot.waitUntil(lambda: combo.count() == len(CLASSES) + 1)
    qtbot.waitUntil(lambda: window.results.rowCount() == len(order), timeout=RESULTS_TIMEOUT_MS)

    combo.setCurrentIndex(combo.findText("red circle"))
    red = [name for name in order if name.startswith("red_circle")]
    qtbot.waitUntil(lambda: _shown(window) == red, timeout=RESULTS_TIMEOUT_MS)
    assert window.search.text() == ""


def test_day_headers_and_the_timeline_heading_read_as_a_person_would() -> None:
    today = date(2023, 8, 14)
    assert day_label(today, today) == "Today"
    assert day_label(date(2023, 8, 13), today) == "Yesterday"
    assert day_label(date(2023, 8, 12), today) == long_date(date(2023, 8, 12))
    # The user's own long format, which the viewer's details use too.
    assert all(part in long_date(date(2023, 8, 12)) for part in ("12", "August", "2023"))
    assert timeline_heading(1, 1000, "relevance") == "1 photo, newest first"
    assert timeline_heading(12, 1000, "oldest", so_far=True) == "12 photos so far, oldest first"
    assert timeline_heading(1000, 1000, "newest") == "The 1,000 newest photos"
