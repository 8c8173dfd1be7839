"""Results a moment after launch: the window answers a query typed at once from the text
tower and the stored vectors, while the whole model (torch, transformers) is still loading."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from shapes import CLASSES, generate_folder
from window_helpers import INDEX_TIMEOUT_MS, LIBRARY_SIZE, OpenWindow, wait_for_top

from photofind.core.index.store import Store
from photofind.core.model.model_process import ModelProcess


@pytest.fixture
def model_held_back(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The app's model process waits until the returned event is set before it starts: the
    whole model is "still loading" for as long as the test wants (released at the end)."""
    release = threading.Event()
    asked = threading.Event()
    real_start = ModelProcess.start.__func__  # type: ignore[attr-defined]

    def held_start(cls: type[ModelProcess], *args: object, **kwargs: object) -> ModelProcess:
        asked.set()
        release.wait()
        return real_start(cls, *args, **kwargs)

    monkeypatch.setattr(ModelProcess, "start", classmethod(held_start))
    release.asked = asked  # type: ignore[attr-defined]
    yield release
    release.set()


def test_a_query_typed_at_once_is_answered_before_the_model_loads(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_data_dir: Path,
    tmp_path: Path,
    model_held_back: threading.Event,
) -> None:
    # A folder of new photos in the library, so indexing wants the whole model at once.
    added = tmp_path / "new-today"
    generate_folder(added, per_class=1, seed=99, age_seconds=3600)
    store = Store.open(indexed_data_dir)
    store.add_folder(str(added))
    store.close()

    window = open_window(indexed_data_dir)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)
    typed_into = QApplication.focusWidget()
    qtbot.keyClicks(typed_into, "a photo of a red circle")
    qtbot.keyClick(typed_into, Qt.Key.Key_Return)
    wait_for_top(qtbot, window, "red_circle", count=5)
    assert not model_held_back.is_set(), "answered while the whole model was held back"

    # Indexing waits for the model, and says so, while searches go on.
    qtbot.waitUntil(model_held_back.asked.is_set, timeout=INDEX_TIMEOUT_MS)  # type: ignore[attr-defined]
    qtbot.waitUntil(
        lambda: "Loading the model" in window.index_status.label.text(),
        timeout=INDEX_TIMEOUT_MS,
    )
    window.search.selectAll()
    qtbot.keyClicks(window.search, "a photo of a blue square")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    wait_for_top(qtbot, window, "blue_square", count=5)

    # Once it has loaded, the new photos are indexed.
    model_held_back.set()
    everything = f"{LIBRARY_SIZE + len(CLASSES):,} photos"
    qtbot.waitUntil(
        lambda: everything in window.index_status.library.text(), timeout=INDEX_TIMEOUT_MS
    )
