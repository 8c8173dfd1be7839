"""Where photos were taken and the words written in them, as the window shows them: the
status bar while text is read, the viewer's Place row and text (the quoted words marked on
the photo), the Filters popup's Place, and queries that name a place or quote words."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from geotagged import GPS_IFD, gps_fields
from helpers import index_into
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from shapes import make_photo
from texts import make_receipt
from window_helpers import (
    INDEX_TIMEOUT_MS,
    RESULTS_TIMEOUT_MS,
    OpenWindow,
    grid_names,
    type_query,
    wait_for_model,
)

from photofind.core.api import IndexProgress
from photofind.core.index.store import PhotoText, TextLine
from photofind.gui.filters_popup import ANYWHERE, place_choices
from photofind.gui.main_window import MainWindow
from photofind.gui.photo_details import (
    TEXT_MAX_HEIGHT,
    DetailsPanel,
    coordinates,
    marked_text,
    place_name,
)
from photofind.gui.preview import PreviewDialog
from photofind.gui.status_text import index_status

LISBON = (38.7167, -9.1333)
PARIS = (48.8566, 2.3522)
PER_PLACE = 2  # photos of each shape in each city
INVOICE_LINES = ["Lighthouse Bakery", "INVOICE 2024", "Croissant 2.50", "Total 2.50"]
BOOKS_LINES = ["Harbour Books", "Notebook 4.20", "Total 4.20"]
# In Lisbon: the shapes and the bakery's receipt; in Paris: the shapes.
IN_LISBON = 2 * PER_PLACE + 1
IN_PARIS = 2 * PER_PLACE


def _save(
    folder: Path, name: str, image: Image.Image, position: tuple[float, float] | None
) -> None:
    """A JPEG with the GPS position a phone would record (none for `position` None)."""
    exif = Image.Exif()
    if position is not None:
        exif.get_ifd(GPS_IFD).update(gps_fields(*position))
    image.save(folder / name, quality=90, exif=exif.tobytes())


def _write_photos(folder: Path) -> None:
    """Red circles and blue squares taken in Lisbon and in Paris, a green triangle taken
    nowhere recorded, a receipt reading "INVOICE 2024" taken in Lisbon and one from a
    bookshop taken nowhere recorded; all written an hour ago (the app leaves files still
    being written for later)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(18)
    for city, position in (("lisbon", LISBON), ("paris", PARIS)):
        for colour, shape in (("red", "circle"), ("blue", "square")):
            for i in range(PER_PLACE):
                photo = make_photo(colour, shape, rng)
                _save(folder, f"{city}_{colour}_{shape}_{i}.jpg", photo, position)
    _save(folder, "green_triangle.jpg", make_photo("green", "triangle", rng), None)
    _save(folder, "receipt_invoice.jpg", make_receipt(INVOICE_LINES, rng), LISBON)
    _save(folder, "receipt_books.jpg", make_receipt(BOOKS_LINES, rng), None)
    then = time.time() - 3600
    for path in folder.iterdir():
        os.utime(path, (then, then))


@pytest.fixture(scope="module")
def trip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trip") / "photos"
    _write_photos(folder)
    return folder


@pytest.fixture(scope="module")
def trip_template(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path, trip_folder: Path
) -> Path:
    """The trip's library, indexed once, every photo's text read."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHOTOFIND_OCR", "all")
        return index_into(tmp_path_factory.mktemp("trip-data") / "data", model_dir, [trip_folder])


@pytest.fixture
def trip_window(
    qtbot: QtBot, open_window: OpenWindow, trip_template: Path, tmp_path: Path
) -> MainWindow:
    data_dir = tmp_path / "data"
    shutil.copytree(trip_template, data_dir)
    window = open_window(data_dir, index_on_start=False)
    wait_for_model(qtbot, window)
    return window


def _names(window: MainWindow) -> list[str]:
    return grid_names(window, window.results.rowCount())


def _wait_for_names(qtbot: QtBot, window: MainWindow, wanted: set[str]) -> None:
    qtbot.waitUntil(
        lambda: window.pages.currentWidget() is window.grid and set(_names(window)) == wanted,
        timeout=RESULTS_TIMEOUT_MS,
    )


def _open_first(qtbot: QtBot, window: MainWindow) -> PreviewDialog:
    """Down from the search bar into the grid, Enter on its first photo."""
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    qtbot.keyClick(QApplication.focusWidget() or window.grid, Qt.Key.Key_Return)
    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is preview)
    return preview


def _lisbon_and_paris(folder: Path) -> tuple[set[str], set[str]]:
    names = {p.name for p in folder.iterdir()}
    lisbon = {n for n in names if n.startswith("lisbon_")} | {"receipt_invoice.jpg"}
    return lisbon, {n for n in names if n.startswith("paris_")}


def test_the_status_bar_follows_reading_text_and_pause_holds_it(
    qtbot: QtBot,
    open_window: OpenWindow,
    trip_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PHOTOFIND_OCR", "all")
    window = open_window(tmp_path / "data")
    wait_for_model(qtbot, window)
    status = window.index_status
    seen: list[str] = []
    bars: list[tuple[int, int]] = []

    def shown(_progress: IndexProgress) -> None:
        # Connected after the status bar's own slot: what it shows now.
        seen.append(status.label.text())
        bars.append((status.bar.value(), status.bar.maximum()))

    window.worker.indexProgress.connect(shown)
    window.add_folder(str(trip_folder))
    qtbot.waitUntil(
        lambda: status.label.text().startswith("Reading text in photos: "), timeout=INDEX_TIMEOUT_MS
    )
    # Pausing stops the reading, as it stops indexing; resuming takes it up again.
    qtbot.mouseClick(status.pause_button, Qt.MouseButton.LeftButton)
    assert status.label.text().startswith("Paused · text read in ")
    assert status.pause_button.text() == "Resume"
    qtbot.mouseClick(status.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not status.label.isVisible(), timeout=INDEX_TIMEOUT_MS)

    reading = [text for text in seen if text.startswith("Reading text in photos: ")]
    assert reading, seen
    # The first run counts every photo (each is read, PHOTOFIND_OCR=all).
    counted = reading[0].removeprefix("Reading text in photos: ").split(" · ")[0]
    done, total = (int(n) for n in counted.split(" of "))
    assert 0 <= done < total == len(list(trip_folder.iterdir()))
    # The bar counts the photos read, out of those to read.
    assert any(maximum == total for _, maximum in bars)
    # Every photo's text was read in the end: the receipt is found by its words.
    type_query(qtbot, window, '"invoice 2024"')
    _wait_for_names(qtbot, window, {"receipt_invoice.jpg"})


def test_the_viewer_shows_where_a_photo_was_taken_and_marks_the_words_searched_for(
    qtbot: QtBot, trip_window: MainWindow
) -> None:
    window = trip_window
    type_query(qtbot, window, '"invoice 2024"')
    _wait_for_names(qtbot, window, {"receipt_invoice.jpg"})
    preview = _open_first(qtbot, window)
    details = preview.details
    place, text = details.rows["Place"], details.rows["Text in photo"]
    qtbot.waitUntil(lambda: place.isVisible() and text.isVisible(), timeout=RESULTS_TIMEOUT_MS)
    # The city is also the region's name: said once.
    assert details.place.text() == "Lisbon, Portugal"
    assert details.place.toolTip() == "38.71670° N, 9.13330° W"
    words = details.text.toPlainText().split()
    assert words == [word for line in INVOICE_LINES for word in line.split()]
    # The words searched for are in bold, the others not.
    document = details.text.document()
    assert document.find("INVOICE 2024").charFormat().fontWeight() == QFont.Weight.Bold
    assert document.find("Bakery").charFormat().fontWeight() == QFont.Weight.Normal

    # The line that reads them is marked on the photo: a highlighter's yellow over the paper
    # (nothing else in a receipt is yellow), about as wide as the line.
    qtbot.waitUntil(lambda: _yellow_rows(preview) > 0, timeout=RESULTS_TIMEOUT_MS)
    height = preview.view.pixmap().height()
    assert _yellow_rows(preview) < height // 10

    # A photo with no position and no words has neither row.
    preview.close()
    type_query(qtbot, window, "green triangle")
    qtbot.waitUntil(
        lambda: (_names(window) or [""])[0] == "green_triangle.jpg", timeout=RESULTS_TIMEOUT_MS
    )
    preview = _open_first(qtbot, window)
    qtbot.waitUntil(lambda: preview.details.camera.text() != "…", timeout=RESULTS_TIMEOUT_MS)
    qtbot.wait(200)  # time for an answer that would show a row
    assert not preview.details.rows["Place"].isVisible()
    assert not preview.details.rows["Text in photo"].isVisible()


def _yellow_rows(preview: PreviewDialog) -> int:
    """How many rows of the photo shown hold yellow."""
    image = preview.view.pixmap().toImage().convertToFormat(QImage.Format.Format_RGB888)
    if image.isNull():
        return 0
    pixels = (
        np.frombuffer(image.constBits(), np.uint8)
        .reshape(image.height(), image.bytesPerLine())[:, : 3 * image.width()]
        .reshape(image.height(), image.width(), 3)
    )
    red, green, blue = (pixels[..., i].astype(int) for i in range(3))
    yellow = (red > 200) & (green > 170) & (blue < red - 60)
    return int(np.count_nonzero(yellow.any(axis=1)))


def test_choosing_a_place_in_the_filters_leaves_only_its_photos(
    qtbot: QtBot, trip_window: MainWindow, trip_folder: Path
) -> None:
    window = trip_window
    lisbon, paris = _lisbon_and_paris(trip_folder)
    page, popup = window.page, window.page.filters_popup
    qtbot.mouseClick(page.filters_button, Qt.MouseButton.LeftButton)
    assert popup.isVisible()
    combo = popup.place
    # The library's places come as the popup opens.
    qtbot.waitUntil(
        lambda: [combo.itemText(i) for i in range(combo.count())] != [ANYWHERE], timeout=5000
    )
    listed = [combo.itemText(i) for i in range(combo.count())]
    assert listed == [
        ANYWHERE,
        f"Portugal ({IN_LISBON})",
        f"Lisbon, Portugal ({IN_LISBON})",
        f"France ({IN_PARIS})",
        f"Paris, France ({IN_PARIS})",
    ]

    combo.setCurrentIndex(combo.findText(f"France ({IN_PARIS})"))
    combo.activated.emit(combo.currentIndex())
    _wait_for_names(qtbot, window, paris)
    assert page.filters_button.text() == "Filters (1)"
    assert "Taken in France" in page.filters_button.toolTip()

    # A place can be typed, in any case.
    combo.lineEdit().clear()
    qtbot.keyClicks(combo.lineEdit(), "portugal")
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    _wait_for_names(qtbot, window, lisbon)

    qtbot.mouseClick(popup.reset_button, Qt.MouseButton.LeftButton)
    _wait_for_names(qtbot, window, {p.name for p in trip_folder.iterdir()})
    assert combo.currentText() == ANYWHERE


def test_a_place_named_in_the_query_narrows_the_search(
    qtbot: QtBot, trip_window: MainWindow
) -> None:
    window = trip_window
    # CLIP ranks the red circles first, among the photos taken in Portugal alone.
    type_query(qtbot, window, "a red circle in Portugal")
    _wait_for_best(qtbot, window, "lisbon_red_circle", leaving_out="paris_")
    type_query(qtbot, window, "red circle in Paris")
    _wait_for_best(qtbot, window, "paris_red_circle", leaving_out="lisbon_")


def _wait_for_best(qtbot: QtBot, window: MainWindow, best: str, leaving_out: str) -> None:
    """Wait until the grid's first photos are the PER_PLACE named `best`…, and none is named
    `leaving_out`…"""

    def shown() -> bool:
        names = _names(window)
        return (
            len(names) >= PER_PLACE
            and all(n.startswith(best) for n in names[:PER_PLACE])
            and not any(n.startswith(leaving_out) for n in names)
        )

    qtbot.waitUntil(shown, timeout=RESULTS_TIMEOUT_MS)


def test_quoted_words_find_the_photos_that_hold_them(qtbot: QtBot, trip_window: MainWindow) -> None:
    window = trip_window
    type_query(qtbot, window, '"harbour books"')
    _wait_for_names(qtbot, window, {"receipt_books.jpg"})
    type_query(qtbot, window, '"total"')
    _wait_for_names(qtbot, window, {"receipt_books.jpg", "receipt_invoice.jpg"})
    type_query(qtbot, window, '"total" - "bakery"')
    _wait_for_names(qtbot, window, {"receipt_books.jpg"})


def test_the_words_for_places_and_reading_text() -> None:
    assert index_status(IndexProgress("places", 40, 0, 0.0)) == "Reading where photos were taken…"
    assert index_status(IndexProgress("texts", 3, 10, 0.0)) == "Reading text in photos: 3 of 10"
    assert index_status(IndexProgress("texts", 3, 10, 0.5)) == (
        "Reading text in photos: 3 of 10 · 0.5 photos/s · less than a minute left"
    )
    assert index_status(IndexProgress("texts", 3, 10, 0.5), paused=True) == (
        "Paused · text read in 3 of 10 photos"
    )
    assert place_name(("PT", "Portugal", "Lisbon", "Lisbon")) == "Lisbon, Portugal"
    assert place_name(("FR", "France", "Île-de-France", "Paris")) == "Paris, Île-de-France, France"
    assert place_name(("SG", "Singapore", "", "Singapore")) == "Singapore"
    assert coordinates(-33.8688, 151.2093) == "33.86880° S, 151.20930° E"
    assert place_choices(
        [(("PT", "Portugal", "Lisbon", "Lisbon"), 8), (("PT", "Portugal", "Porto", "Porto"), 4)]
    ) == [
        ("Portugal (12)", "Portugal"),
        ("Lisbon, Portugal (8)", "Lisbon, Portugal"),
        ("Porto, Portugal (4)", "Porto, Portugal"),
    ]
    # Quoted words are marked wherever they stand in a line, whatever their case; the rest
    # is shown as it is, never as markup.
    html = marked_text(["Total <b>2.50</b>", "INVOICE 2024"], ["invoice  2024", "total"])
    assert "&lt;b&gt;2.50&lt;/b&gt;" in html
    assert html.count("<b ") == 2 and ">INVOICE 2024</b>" in html and ">Total</b>" in html


def test_a_photo_full_of_words_scrolls_within_the_details(qtbot: QtBot) -> None:
    panel = DetailsPanel()
    qtbot.addWidget(panel)
    panel.resize(panel.width(), 700)
    panel.show()
    few = PhotoText("read", [TextLine("Total 4.20", (0, 0, 90, 20))], None)
    panel.show_extras(None, few, [])
    view = panel.text
    qtbot.waitUntil(lambda: 0 < view.height() < TEXT_MAX_HEIGHT)
    assert view.verticalScrollBar().maximum() == 0, "a line or two needs no scrolling"

    lines = [
        TextLine(f"Line {n} of the terms and conditions", (0, 20 * n, 300, 20 * n + 18))
        for n in range(60)
    ]
    panel.show_extras(None, PhotoText("read", lines, None), ["line 59"])
    qtbot.waitUntil(lambda: view.height() == TEXT_MAX_HEIGHT)
    assert view.verticalScrollBar().maximum() > 0
    assert not panel.rows["Place"].isVisible()
