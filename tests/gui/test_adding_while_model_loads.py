"""The first minute: a folder added while the model loads or downloads is in the library at
once and says when its indexing starts; the first-run page offers the Pictures folder, the
folder picker starts there, and the model's download says its size before it starts."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_server import FIXTURE_REPO, HubServer
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from shapes import CLASSES, generate_folder
from window_helpers import INDEX_TIMEOUT_MS, MODEL_TIMEOUT_MS, OpenWindow, wait_for_model

from photofind.core.index.store import Store
from photofind.core.model import download
from photofind.core.model.text_tower import ClipTextTower


@pytest.fixture
def text_model_held_back(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The text tower, which searching and indexing wait for, loads only once the returned
    event is set: the model is "still loading" for as long as the test wants."""
    release = threading.Event()
    asked = threading.Event()
    real_load = ClipTextTower.load.__func__  # type: ignore[attr-defined]

    def held_load(cls: type[ClipTextTower], *args: object, **kwargs: object) -> object:
        asked.set()
        release.wait()
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(ClipTextTower, "load", classmethod(held_load))
    release.asked = asked  # type: ignore[attr-defined]
    yield release
    release.set()


def _pictures() -> Path:
    return Path(os.environ["HOME"]) / "Pictures"


def test_a_folder_added_while_the_model_loads_is_in_the_library_at_once(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, text_model_held_back: threading.Event
) -> None:
    generate_folder(_pictures(), per_class=2, seed=31)
    window = open_window(tmp_path / "data")
    qtbot.waitUntil(text_model_held_back.asked.is_set, timeout=MODEL_TIMEOUT_MS)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.message.button.isVisible())
    assert window.message.button.text() == "Use ~/Pictures"
    assert window.message.other_button.text() == "Choose Another Folder…"

    qtbot.mouseClick(window.message.button, Qt.MouseButton.LeftButton)
    waiting = "~/Pictures added; indexing starts when the model is ready"
    qtbot.waitUntil(lambda: window.index_status.library.text() == "0 photos in the library")
    store = Store.open(tmp_path / "data")
    try:
        assert store.folders() == [str(_pictures())]
    finally:
        store.close()
    assert window.statusBar().currentMessage() == waiting
    assert window.message.title.text() == "What are you looking for?"  # no more Add Folder
    assert not window.index_status.label.isVisible()  # nothing that looks stuck
    assert not text_model_held_back.is_set()

    text_model_held_back.set()
    wait_for_model(qtbot, window)
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == f"{2 * len(CLASSES)} photos in the library",
        timeout=INDEX_TIMEOUT_MS,
    )
    assert window.statusBar().currentMessage() != waiting


def test_the_folder_picker_starts_in_pictures_else_at_home(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[object, ...]] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: asked.append(a) or "")
    window = open_window(tmp_path / "data")
    qtbot.waitUntil(lambda: window.message.button.isVisible())
    assert window.message.button.text() == "Add Folder…"  # no Pictures folder to offer
    assert not window.message.other_button.isVisible()
    qtbot.mouseClick(window.message.button, Qt.MouseButton.LeftButton)
    assert asked[-1][2] == os.environ["HOME"]

    _pictures().mkdir()
    window.folders_action.trigger()
    assert window.folders_dialog is not None
    qtbot.mouseClick(window.folders_dialog.add_button, Qt.MouseButton.LeftButton)
    assert asked[-1][2] == str(_pictures())


def test_the_download_says_its_size_before_it_starts(
    qtbot: QtBot, open_window: OpenWindow, hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hub's file list, which has the sizes, is held back: what shows meanwhile is known
    # without it.
    monkeypatch.setitem(download.APPROXIMATE_SIZES, FIXTURE_REPO, 600_000_000)
    listed = hub.hold_listing = threading.Event()
    window = open_window(model=FIXTURE_REPO)
    bar = window.page.download
    try:
        qtbot.waitUntil(bar.isVisible, timeout=MODEL_TIMEOUT_MS)
        assert bar.explanation.text() == (
            "Photofind needs to download its model once (about 600 MB). "
            "Searching starts as soon as it is done."
        )
        assert bar.status.text() == "Starting the download…"
    finally:
        listed.set()
    # Then the exact size, from the hub's list, and the progress.
    qtbot.waitUntil(lambda: " of " in bar.status.text(), timeout=MODEL_TIMEOUT_MS)
    assert "about" not in bar.explanation.text() and " MB)" in bar.explanation.text()
    wait_for_model(qtbot, window)
