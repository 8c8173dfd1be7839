"""The grid with a large result set: laid out, scrollable, and loading only what is seen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QPixmap
from pytestqt.qtbot import QtBot

from photofind.core.photos.thumbnails import ThumbnailCache
from photofind.core.search.search import Hit
from photofind.gui.background import Background
from photofind.gui.results_grid import ResultsGrid
from photofind.gui.results_model import ResultsModel
from photofind.gui.thumbnail_loader import ThumbnailLoader


def test_ten_thousand_results_request_thumbnails_only_for_visible_cells(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    background = Background(threads=2)
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "data"), background)
    requested: set[str] = set()
    original = ThumbnailLoader.pixmap

    def spy(self: ThumbnailLoader, path: str, side: int) -> QPixmap | None:
        requested.add(path)
        return original(self, path, side)

    monkeypatch.setattr(ThumbnailLoader, "pixmap", spy)
    model = ResultsModel()
    grid = ResultsGrid(model, loader, side=128)
    qtbot.addWidget(grid)
    grid.resize(900, 600)
    grid.show()
    qtbot.waitExposed(grid)
    try:
        # Paths that do not exist: each cell shows a "cannot show" placeholder, cheaply.
        model.set_hits(
            [Hit(i, str(tmp_path / f"IMG_{i:05d}.jpg"), 1 - i / 1e4) for i in range(10_000)]
        )
        last = model.index(9_999)
        qtbot.waitUntil(lambda: grid.visualRect(last).isValid())
        bar = grid.verticalScrollBar()
        assert bar.maximum() > 100 * grid.gridSize().height()
        for value in (bar.maximum() // 2, bar.maximum()):
            bar.setValue(value)
            qtbot.wait(50)
        qtbot.waitUntil(lambda: model.hit(9_999).path in requested)
        assert model.hit(5_000).path in requested or model.hit(5_010).path in requested
        # Three screens' worth, not ten thousand.
        assert len(requested) < 150
    finally:
        background.shutdown()


@pytest.mark.parametrize("count", [3, 12, 40])
def test_results_fill_each_row_across_the_width_with_or_without_a_scroll_bar(
    qtbot: QtBot, tmp_path: Path, count: int
) -> None:
    background = Background(threads=1)
    model = ResultsModel()
    grid = ResultsGrid(model, ThumbnailLoader(ThumbnailCache(tmp_path), background), side=160)
    qtbot.addWidget(grid)
    grid.resize(1016, 600)
    grid.show()
    qtbot.waitExposed(grid)
    try:
        model.set_hits([Hit(i, str(tmp_path / f"{i}.jpg"), 0.5) for i in range(count)])
        last = model.index(count - 1)
        qtbot.waitUntil(lambda: grid.visualRect(last).isValid())
        rects = [grid.visualRect(model.index(i)) for i in range(count)]
        first_row = [r for r in rects if r.top() == rects[0].top()]
        cell = grid.delegate.cell_size(grid.fontMetrics())
        width = grid.viewport().width()
        assert all(r.right() <= width for r in rects)
        if len(first_row) < count:
            # A full row leaves less than a cell's width empty at the right.
            assert width - max(r.right() for r in first_row) < cell.width(), len(first_row)
    finally:
        background.shutdown()
