"""Reviewing near-duplicates in the app: copies of a photo are grouped, shown side by side
with the largest kept, and the ticked copies go to the desktop's trash (and out of the
library)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from planted import MODEL, chain, photo, plant
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from shapes import make_photo
from window_helpers import INDEX_TIMEOUT_MS, FindDuplicates, OpenWindow, wait_for_model

from photofind.core.api import Duplicate
from photofind.core.index.indexer import IndexProgress
from photofind.gui.duplicates_dialog import duplicate_label, kept_reason
from photofind.units import human_size


def test_copies_are_grouped_and_ticked_ones_go_to_the_trash(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    original = make_photo("red", "circle", np.random.default_rng(1), size=(320, 240))
    original.save(folder / "red_circle.png")
    original.save(folder / "red_circle copy.png")
    original.save(folder / "red_circle small.jpg", quality=70)
    for i, (colour, shape) in enumerate([("blue", "square"), ("green", "triangle")]):
        make_photo(colour, shape, np.random.default_rng(10 + i)).save(folder / f"{shape}.png")

    window = open_window(tmp_path / "data")
    wait_for_model(qtbot, window)
    finished: list[IndexProgress] = []
    window.worker.indexFinished.connect(finished.append)
    window.add_folder(str(folder))
    # Not any run's end (one may be under way already): the run that indexed the folder.
    qtbot.waitUntil(lambda: any(p.counts.encoded for p in finished), timeout=INDEX_TIMEOUT_MS)

    window.duplicates_action.trigger()
    dialog = window.duplicates_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    dialog.threshold.setValue(0.999)
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.find_button.isEnabled(), timeout=60_000)
    assert dialog.group_list.count() == 1, dialog.summary.text()
    names = [os.path.basename(d.path) for d in dialog.groups[0]]
    assert sorted(names) == ["red_circle copy.png", "red_circle small.jpg", "red_circle.png"]
    assert dialog.photos.count() == 3
    kept = dialog.photos.item(0)
    assert kept.checkState() == Qt.CheckState.Unchecked
    # Its name, that it is kept and why (its copy is as large: the name decided), and the
    # sizes that made it the one kept.
    assert kept.text().splitlines() == [
        "red_circle.png",
        "Kept (as large as another, with a shorter name)",
        kept.text().splitlines()[2],
    ]
    assert kept.text().splitlines()[2].startswith("320 × 240 · ")
    assert dialog.photos.item(1).text().splitlines()[1].startswith("similarity ")
    # Nothing is highlighted: the buttons act on the ticked photos, not a selected one.
    assert not dialog.photos.selectedItems()
    ticked = [d.path for d in dialog.ticked()]
    assert len(ticked) == 2 and dialog.trash_button.text() == "Move 2 of This Group to Trash"

    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    finished.clear()
    qtbot.mouseClick(dialog.trash_button, Qt.MouseButton.LeftButton)
    assert not any(Path(p).exists() for p in ticked)
    assert {Path(p).name for p in ticked} <= _in_trash()
    assert dialog.group_list.count() == 0  # one photo left: no longer a group
    qtbot.waitUntil(lambda: bool(finished), timeout=INDEX_TIMEOUT_MS)
    assert finished[-1].counts.removed == 2
    assert Image.open(folder / "red_circle.png").size == (320, 240)


def _in_trash() -> set[str]:
    """Names in the desktop's trash: a folder of this test session's (conftest sets
    XDG_DATA_HOME before send2trash is first imported, which is when it reads it)."""
    from send2trash import plat_other

    return set(os.listdir(Path(plat_other.HOMETRASH) / "files"))


def test_only_photos_alike_the_kept_one_are_ticked_and_changed_files_stay(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, find_duplicates: FindDuplicates
) -> None:
    # A burst of six frames, each 0.96 alike the next, the first the largest; a smaller copy
    # of the first; and a link to the second frame.
    folder = tmp_path / "burst"
    frames = [photo(folder / f"frame{k}.jpg", (320 - 20 * k, 240 - 15 * k)) for k in range(6)]
    copy = photo(folder / "frame0 copy.jpg", (160, 120))
    link = folder / "frame1 link.jpg"
    link.symlink_to(frames[1].name)
    vectors = dict(zip(frames, chain(6, 0.96), strict=True))
    plant(tmp_path / "data", {**vectors, copy: vectors[frames[0]], link: vectors[frames[1]]})

    dialog = find_duplicates(tmp_path / "data", MODEL, 0.95)
    (group,) = dialog.groups
    labels = [dialog.photos.item(i).text().splitlines() for i in range(len(group))]
    names = [lines[0] for lines in labels]
    assert names[:3] == ["frame0.jpg", "frame1.jpg", "frame0 copy.jpg"]
    assert "frame1 link.jpg" not in names and "also at frame1 link.jpg" in labels[1]
    # Only the two alike the kept frame are ticked; the frames beyond, alike it only
    # through the others (0.84 down to 0.06), are shown unticked, and say so.
    assert [d.path for d in dialog.ticked()] == [str(frames[1]), str(copy)]
    for lines in labels[3:]:
        assert "less alike — not ticked" in lines
    assert not any("less alike" in line for lines in labels[:3] for line in lines)

    os.utime(copy, (1e9, 1e9))  # changed since it was indexed
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    gone: list[list[str]] = []
    dialog.trashed.connect(gone.append)
    size = human_size(frames[1].stat().st_size)
    qtbot.mouseClick(dialog.trash_button, Qt.MouseButton.LeftButton)
    (text,) = asked
    assert text.startswith(f"Move 1 photo ({size}) to the trash?")
    assert "frame1 link.jpg" in text  # goes with the frame it links to
    assert f"{copy}: it changed since it was indexed" in text

    assert copy.exists() and frames[0].exists()  # the changed copy stays, as does the kept
    assert not os.path.lexists(frames[1]) and not os.path.lexists(link)  # nothing dangles
    assert {"frame1.jpg", "frame1 link.jpg"} <= _in_trash()
    assert gone == [[str(frames[1]), str(link)]]
    assert len(dialog.groups[0]) == 6 and dialog.photos.count() == 6


@pytest.mark.parametrize(
    ("photos", "reason"),
    [
        ([("a.jpg", 4000, 3000, 10), ("b.jpg", 2000, 1500, 20)], "Kept (the most pixels)"),
        (
            [("a.jpg", 800, 600, 900), ("b.jpg", 800, 600, 500), ("c.jpg", 640, 480, 999)],
            "Kept (the largest file)",
        ),
        (
            [("IMG_1.jpg", 800, 600, 500), ("IMG_1 copy.jpg", 800, 600, 500)],
            "Kept (as large as another, with a shorter name)",
        ),
        (
            [("/a/IMG_1.jpg", 800, 600, 500), ("/b/IMG_1.jpg", 800, 600, 500)],
            "Kept (as large as another; first by path)",
        ),
        # The photo first kept went to the trash: the first left is not the likeliest original.
        ([("small.jpg", 200, 150, 10), ("big.jpg", 4000, 3000, 10)], "Kept"),
    ],
)
def test_the_kept_photo_says_why_it_is_the_one_kept(
    photos: list[tuple[str, int, int, int]], reason: str
) -> None:
    group = [
        Duplicate(i, path if path.startswith("/") else f"/p/{path}", 1.0, w, h, size)
        for i, (path, w, h, size) in enumerate(photos)
    ]
    assert kept_reason(group) == reason
    assert duplicate_label(group[0], kept_reason(group)).splitlines()[1] == reason
