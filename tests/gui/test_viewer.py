"""The photo viewer, opened from the grid as a person opens it and driven by real key events
sent to whichever widget has the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from pytestqt.qtbot import QtBot
from shapes import make_photo
from window_helpers import OpenWindow, type_query, wait_for_model, wait_for_top

from photofind.core.photos.thumbnails import ThumbnailCache
from photofind.core.search.search import Hit
from photofind.gui.background import Background
from photofind.gui.photo_images import PREVIEW_MAX_SIDE
from photofind.gui.photo_view import ZOOM_STEP
from photofind.gui.preview import PreviewDialog
from photofind.gui.results_model import ResultsModel
from photofind.gui.thumbnail_loader import ThumbnailLoader


def _press(qtbot: QtBot, key: Qt.Key, fallback: QWidget) -> None:
    """A key pressed as a person presses it: it goes to the widget with the focus."""
    qtbot.keyClick(QApplication.focusWidget() or fallback, key)


def test_keys_step_through_the_photos_whatever_has_the_focus(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    type_query(qtbot, window, "red circle")
    wait_for_top(qtbot, window, "red_circle")
    count = window.results.rowCount()
    names = [str(window.results.index(row).data()) for row in range(count)]

    # Down from the search bar into the grid, Enter on the first photo.
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    _press(qtbot, Qt.Key.Key_Return, window.grid)
    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is preview)
    assert preview.name.text() == names[0]

    _press(qtbot, Qt.Key.Key_Right, preview)
    assert preview.name.text() == names[1]
    assert not isinstance(QApplication.focusWidget(), QAbstractButton), "no button has the keys"
    assert preview.position.text() == f"2 of {count}"
    assert window.grid.currentIndex().row() == 1, "the grid follows"
    _press(qtbot, Qt.Key.Key_End, preview)
    assert preview.name.text() == names[-1] and preview.position.text() == f"{count} of {count}"
    _press(qtbot, Qt.Key.Key_Right, preview)
    assert preview.name.text() == names[-1], "no step past the last"
    _press(qtbot, Qt.Key.Key_Home, preview)
    assert preview.name.text() == names[0]
    _press(qtbot, Qt.Key.Key_Left, preview)
    assert preview.name.text() == names[0] and not preview.previous_button.isEnabled()
    qtbot.mouseClick(preview.next_button, Qt.MouseButton.LeftButton)
    assert preview.position.text() == f"2 of {count}"
    qtbot.mouseClick(preview.previous_button, Qt.MouseButton.LeftButton)
    assert preview.position.text() == f"1 of {count}"

    # Enter presses no button (Highlight Match was the default); Space closes, as in Quick Look.
    _press(qtbot, Qt.Key.Key_Return, preview)
    assert preview.isVisible() and not preview.where_button.isChecked()
    _press(qtbot, Qt.Key.Key_Space, preview)
    assert not preview.isVisible()

    # Full screen with F11; Esc leaves full screen first, then closes.
    _press(qtbot, Qt.Key.Key_Return, window.grid)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is preview)
    _press(qtbot, Qt.Key.Key_F11, preview)
    qtbot.waitUntil(preview.isFullScreen)
    _press(qtbot, Qt.Key.Key_Escape, preview)
    qtbot.waitUntil(lambda: not preview.isFullScreen())
    assert preview.isVisible()
    _press(qtbot, Qt.Key.Key_Escape, preview)
    assert not preview.isVisible()


@pytest.fixture
def viewer(qtbot: QtBot, tmp_path: Path) -> Iterator[PreviewDialog]:
    """The viewer alone, over four photos: a large one with its camera and date in EXIF
    first, then three small ones."""
    folder = tmp_path / "photos"
    folder.mkdir()
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R6"  # Make, Model
    exif.get_ifd(0x8769)[0x9003] = "2021:07:14 18:30:05"  # DateTimeOriginal
    big = make_photo("red", "circle", np.random.default_rng(1), size=(3200, 2400))
    paths = [folder / "big.jpg"]
    big.save(paths[0], quality=90, exif=exif)
    for i, (colour, shape) in enumerate([("blue", "square"), ("green", "triangle")] * 2):
        paths.append(folder / f"small_{i}.jpg")
        make_photo(colour, shape, np.random.default_rng(i)).save(paths[-1])
    paths = paths[:4]
    model = ResultsModel()
    model.set_hits([Hit(i, str(p), 0.5 - i / 10) for i, p in enumerate(paths)])
    photo_jobs, thumbnail_jobs = Background(threads=2), Background()
    thumbnails = ThumbnailLoader(ThumbnailCache(tmp_path / "data"), thumbnail_jobs)
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = PreviewDialog(model, photo_jobs, thumbnails, parent)
    dialog.photo_jobs, dialog.thumbnails = photo_jobs, thumbnails  # type: ignore[attr-defined]
    dialog.results = model  # type: ignore[attr-defined]
    yield dialog
    dialog.close()
    photo_jobs.shutdown()
    thumbnail_jobs.shutdown()


def _shown(qtbot: QtBot, viewer: PreviewDialog) -> None:
    viewer.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer)


def test_the_thumbnail_shows_at_once_then_the_photo_and_its_details(
    qtbot: QtBot, viewer: PreviewDialog
) -> None:
    path = viewer.results.hit(0).path  # type: ignore[attr-defined]
    loader = viewer.thumbnails  # type: ignore[attr-defined]
    loader.pixmap(path, 128)
    qtbot.waitUntil(lambda: loader.cached(path) is not None)
    viewer.show_row(0)
    # Before any event is handled, so before any decode can have come back.
    assert viewer.view.pixmap().width() == loader.cached(path).width() <= 128
    _shown(qtbot, viewer)
    qtbot.waitUntil(lambda: viewer.view.pixmap().width() == PREVIEW_MAX_SIDE)
    assert viewer.dimensions.text() == "3,200 × 2,400 pixels"
    assert viewer.details.camera.text() == "Canon EOS R6"
    assert "2021" in viewer.taken.text() and "not recorded" not in viewer.taken.text()
    assert viewer.details.file_size.text().endswith(("kB", "MB"))
    assert viewer.location.text().endswith("big.jpg")
    assert viewer.location.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse

    # I hides the details and shows them again.
    _press(qtbot, Qt.Key.Key_I, viewer)
    assert not viewer.details.isVisible()
    _press(qtbot, Qt.Key.Key_I, viewer)
    assert viewer.details.isVisible()


def test_the_photos_either_side_are_decoded_before_stepping_to_them(
    qtbot: QtBot, viewer: PreviewDialog
) -> None:
    _shown(qtbot, viewer)
    jobs = viewer.photo_jobs  # type: ignore[attr-defined]
    for row, key in ((0, Qt.Key.Key_Left), (2, Qt.Key.Key_Right)):
        viewer.show_row(1)
        assert jobs.pool.waitForDone(30_000)
        QApplication.processEvents()  # the decoded photos, handed back to this thread
        _press(qtbot, key, viewer)
        # No thumbnail was ever loaded: only a photo decoded in advance is there at once.
        assert viewer.stage.currentWidget() is viewer.view, f"row {row} was not prefetched"
        assert viewer.dimensions.text().endswith("pixels")


def test_zoom_by_keys_and_wheel_and_pan_by_dragging(qtbot: QtBot, viewer: PreviewDialog) -> None:
    viewer.show_row(0)
    _shown(qtbot, viewer)
    view = viewer.view
    qtbot.waitUntil(lambda: view.pixmap().width() == PREVIEW_MAX_SIDE)
    assert view.is_fitted() and view.zoom() < 1 and viewer.fit_action.isChecked()
    fitted = view.zoom()

    _press(qtbot, Qt.Key.Key_1, viewer)
    assert view.zoom() == pytest.approx(1.0) and viewer.zoom_label.text() == "100%"
    assert not viewer.fit_action.isChecked()
    # At 1:1 the photo's own pixels are shown, not the decode made for the screen.
    qtbot.waitUntil(lambda: view.pixmap().width() == 3200)

    # The wheel zooms around the pointer: the photo's point under it stays under it.
    pointer = QPointF(200, 150)
    under = view.mapToScene(pointer.toPoint())
    _wheel(view, pointer, notches=1)
    assert view.zoom() == pytest.approx(ZOOM_STEP)
    assert (view.mapFromScene(under) - pointer.toPoint()).manhattanLength() <= 2

    # Dragging pans.
    bars = view.horizontalScrollBar(), view.verticalScrollBar()
    before = [bar.value() for bar in bars]
    start = view.viewport().rect().center()
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), start - QPoint(120, 80))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=start - QPoint(120, 80))
    assert [bar.value() - b for bar, b in zip(bars, before, strict=True)] == [120, 80]

    _press(qtbot, Qt.Key.Key_Minus, viewer)
    assert view.zoom() == pytest.approx(1.0)
    _press(qtbot, Qt.Key.Key_0, viewer)
    assert view.is_fitted() and view.zoom() == pytest.approx(fitted)
    _press(qtbot, Qt.Key.Key_Plus, viewer)
    assert view.zoom() == pytest.approx(fitted * ZOOM_STEP)
    _press(qtbot, Qt.Key.Key_F, viewer)
    assert view.is_fitted()
    # Stepping on shows the next photo whole.
    _press(qtbot, Qt.Key.Key_1, viewer)
    _press(qtbot, Qt.Key.Key_Right, viewer)
    assert view.is_fitted()


def _wheel(view: QWidget, at: QPointF, notches: int) -> None:
    viewport = view.viewport()  # type: ignore[attr-defined]
    event = QWheelEvent(
        at,
        QPointF(viewport.mapToGlobal(at.toPoint())),
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)
