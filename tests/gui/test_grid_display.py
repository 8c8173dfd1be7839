"""What a grid cell draws: no score badge unless asked for, photos on a common baseline or
square-cropped, optional file names, a focus ring on the current cell; the View menu's
toggles change the grid and are remembered."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem, QWidget
from pytestqt.qtbot import QtBot

from photofind.core.photos.thumbnails import ThumbnailCache
from photofind.core.search.search import Hit
from photofind.gui.background import Background
from photofind.gui.results_grid import ResultsGrid
from photofind.gui.results_model import ResultsModel
from photofind.gui.settings import AppSettings
from photofind.gui.thumbnail_delegate import PADDING, ThumbnailDelegate
from photofind.gui.thumbnail_loader import ThumbnailLoader
from photofind.gui.view_options import ViewOptions

SIDE = 100
WHITE = QColor(255, 255, 255)


class WidePhotos:
    """Stands in for the loader: every photo is a white 2:1 picture."""

    def pixmap(self, path: str, side: int) -> QPixmap:
        pixmap = QPixmap(side, side // 2)
        pixmap.fill(WHITE)
        return pixmap

    def is_broken(self, path: str) -> bool:
        return False


def render(
    delegate: ThumbnailDelegate,
    widget: QWidget,
    state: QStyle.StateFlag = QStyle.StateFlag.State_Enabled,
) -> QImage:
    """One cell, painted on a neutral grey so the white photo and dark badge stand out."""
    model = ResultsModel()
    model.set_hits([Hit(1, "/photos/beach.jpg", 0.28)])
    option = QStyleOptionViewItem()
    option.initFrom(widget)
    option.state = state
    size = delegate.cell_size(option.fontMetrics)
    option.rect = QRect(0, 0, size.width(), size.height())
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(QColor(128, 128, 128))
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(0))
    painter.end()
    return image


def dark_pixels(image: QImage) -> int:
    """Pixels of the white photo (the frame's lower half, where a 2:1 photo sits) that
    something darker, the badge's translucent black pill, covers."""
    return sum(
        1
        for y in range(PADDING + SIDE // 2 + 2, PADDING + SIDE - 1)
        for x in range(PADDING + 1, PADDING + SIDE - 1)
        if QColor(image.pixel(x, y)).lightness() < 200
    )


def make_delegate(qtbot: QtBot) -> tuple[ThumbnailDelegate, QWidget]:
    widget = QWidget()
    qtbot.addWidget(widget)
    return ThumbnailDelegate(WidePhotos(), SIDE, widget), widget  # type: ignore[arg-type]


def test_scores_are_drawn_only_when_asked_for_and_always_in_the_tooltip(qtbot: QtBot) -> None:
    delegate, widget = make_delegate(qtbot)
    model = ResultsModel()
    model.set_hits([Hit(1, "/photos/beach.jpg", 0.28)])
    assert not delegate.draws_score(model.index(0))
    assert dark_pixels(render(delegate, widget)) == 0
    assert "0.280" in str(model.index(0).data(Qt.ItemDataRole.ToolTipRole))

    delegate.show_scores = True
    assert delegate.draws_score(model.index(0))
    assert dark_pixels(render(delegate, widget)) > 50


def test_wide_photos_sit_on_the_bottom_edge_or_fill_a_square(qtbot: QtBot) -> None:
    delegate, widget = make_delegate(qtbot)
    top, bottom = PADDING + 2, PADDING + SIDE - 2
    middle = PADDING + SIDE // 2
    image = render(delegate, widget)
    # Bottom-aligned: white at the frame's foot, the backdrop above the photo.
    assert QColor(image.pixel(middle, bottom)) == WHITE
    assert QColor(image.pixel(middle, top)) != WHITE

    delegate.square = True
    image = render(delegate, widget)
    assert QColor(image.pixel(PADDING + 2, top)) == WHITE
    assert QColor(image.pixel(PADDING + SIDE - 3, bottom)) == WHITE


def test_file_names_are_optional_and_take_no_room_when_hidden(qtbot: QtBot) -> None:
    delegate, widget = make_delegate(qtbot)
    metrics = widget.fontMetrics()
    with_names = delegate.cell_size(metrics)
    delegate.show_names = False
    assert delegate.cell_size(metrics).height() < with_names.height()
    assert delegate.cell_size(metrics).height() == SIDE + 2 * PADDING


def test_the_current_cell_has_a_focus_ring_even_when_selected(qtbot: QtBot) -> None:
    delegate, widget = make_delegate(qtbot)
    flag = QStyle.StateFlag
    edge = (56, 2)  # on the ring, above the photo
    highlight = widget.palette().color(widget.palette().ColorRole.Highlight)
    for state in (flag.State_Enabled, flag.State_Selected):
        plain = render(delegate, widget, state)
        focused = render(delegate, widget, state | flag.State_HasFocus)
        assert QColor(plain.pixel(*edge)) != QColor(focused.pixel(*edge)), state
        assert QColor(focused.pixel(*edge)).hue() == highlight.hue()


def test_view_options_change_the_grid_and_are_remembered(qtbot: QtBot, tmp_path: Path) -> None:
    background = Background(threads=1)
    grid = ResultsGrid(ResultsModel(), ThumbnailLoader(ThumbnailCache(tmp_path), background), 128)
    qtbot.addWidget(grid)
    try:
        settings = AppSettings(tmp_path / "data")
        options = ViewOptions(grid, settings, grid)
        assert not grid.delegate.show_scores and grid.delegate.show_names
        assert not grid.delegate.square
        height = grid.gridSize().height()

        options.actions["show_scores"].trigger()
        options.actions["show_names"].trigger()
        options.actions["square_thumbnails"].trigger()
        assert grid.delegate.show_scores and not grid.delegate.show_names
        assert grid.delegate.square
        assert grid.gridSize().height() < height

        # A new window reads them back from the settings file.
        again = ResultsGrid(
            ResultsModel(), ThumbnailLoader(ThumbnailCache(tmp_path), background), 128
        )
        qtbot.addWidget(again)
        reopened = ViewOptions(again, AppSettings(tmp_path / "data"), again)
        assert all(
            action.isChecked() != (key == "show_names") for key, action in reopened.actions.items()
        )
        assert again.delegate.show_scores and not again.delegate.show_names
    finally:
        background.shutdown()
