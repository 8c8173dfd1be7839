"""The results model on its own, without a view."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from photofind.core.search.search import Hit
from photofind.gui.results_model import PATH_ROLE, PHOTO_ID_ROLE, SCORE_ROLE, ResultsModel


def _hits(n: int) -> list[Hit]:
    return [Hit(i, f"/photos/{i // 100:03d}/IMG_{i:05d}.jpg", 1.0 - i / n) for i in range(n)]


def test_rows_hold_path_score_and_id_best_first(qtbot: QtBot) -> None:
    model = ResultsModel()
    hits = _hits(10_000)
    with qtbot.waitSignal(model.modelReset):
        model.set_hits(hits)
    assert model.rowCount() == 10_000
    assert model.rowCount(model.index(0)) == 0  # a flat list: rows have no children
    last = model.index(9_999)
    assert last.data() == "IMG_09999.jpg"
    assert last.data(PATH_ROLE) == "/photos/099/IMG_09999.jpg"
    assert last.data(SCORE_ROLE) == hits[-1].score
    assert last.data(PHOTO_ID_ROLE) == 9_999
    assert model.index(0).data(SCORE_ROLE) > model.index(1).data(SCORE_ROLE)
    assert model.row_of("/photos/050/IMG_05000.jpg") == 5_000
    assert model.row_of("/elsewhere.jpg") is None
    assert model.data(QModelIndex()) is None
    assert model.index(10_000).data() is None


def test_replacing_and_clearing_results(qtbot: QtBot) -> None:
    model = ResultsModel()
    model.set_hits(_hits(5))
    model.set_hits([Hit(7, "/a/b.jpg", 0.3)])
    assert model.rowCount() == 1 and model.row_of("/a/b.jpg") == 0
    assert model.row_of("/photos/000/IMG_00000.jpg") is None
    with qtbot.waitSignal(model.modelReset):
        model.clear()
    assert model.rowCount() == 0


def test_tooltip_shows_the_score_and_never_interprets_markup() -> None:
    model = ResultsModel()
    model.set_hits([Hit(1, "/p/<img src=x>&amp;.jpg", 0.31234)])
    tip = str(model.index(0).data(Qt.ItemDataRole.ToolTipRole))
    assert "Match score 0.312" in tip
    assert "<img" not in tip and "&lt;img src=x&gt;&amp;amp;.jpg" in tip


def test_selected_photos_drag_and_copy_as_files_and_text() -> None:
    model = ResultsModel()
    model.set_hits(_hits(3))
    mime = model.mimeData([model.index(2), model.index(0)])
    assert [u.toLocalFile() for u in mime.urls()] == [
        "/photos/000/IMG_00000.jpg",
        "/photos/000/IMG_00002.jpg",
    ]
    assert mime.text() == "/photos/000/IMG_00000.jpg\n/photos/000/IMG_00002.jpg"
    flags = model.flags(model.index(0))
    assert flags & Qt.ItemFlag.ItemIsSelectable and flags & Qt.ItemFlag.ItemIsDragEnabled
