"""Changing the model in Settings re-encodes the library in the background with the new
model; searches use one model's vectors only; switching back reuses the stored vectors."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot
from window_helpers import INDEX_TIMEOUT_MS, LIBRARY_SIZE, OpenWindow, wait_for_model, wait_for_top

from photofind.core.index.indexer import IndexProgress
from photofind.core.index.store import Store
from photofind.core.model.ref import model_key
from photofind.gui.main_window import MainWindow
from photofind.gui.settings_dialog import SettingsDialog


def _choose_model(window: MainWindow, model: str) -> None:
    """As the user does: Settings, another model, OK."""
    window.show_settings()
    (dialog,) = [d for d in window.findChildren(SettingsDialog) if d.isVisible()]
    dialog.model.setText(model)
    dialog.accept()


def test_switching_models_reencodes_in_the_background_and_back_reuses(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path, model_dir: Path, tmp_path: Path
) -> None:
    # Another checkpoint: the same weights under another folder are another model to the
    # library (vectors are kept per model), which is all this test needs.
    other = tmp_path / "other-model"
    shutil.copytree(model_dir, other)
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    finished: list[IndexProgress] = []
    window.worker.indexFinished.connect(finished.append)

    _choose_model(window, str(other))
    qtbot.waitUntil(
        lambda: any(p.counts.encoded == LIBRARY_SIZE for p in finished), timeout=INDEX_TIMEOUT_MS
    )
    qtbot.keyClicks(window.search, "a photo of a red circle")
    qtbot.keyClick(window.search, "\r")
    wait_for_top(qtbot, window, "red_circle")

    store = Store.open(indexed_data_dir)
    try:
        old, new = store.find_model(model_key(str(model_dir))), store.find_model(str(other))
        assert old is not None and new is not None
        # Both models' vectors are kept, each for every photo.
        assert len(store.vectors(old)[0]) == len(store.vectors(new)[0]) == LIBRARY_SIZE
    finally:
        store.close()

    finished.clear()
    _choose_model(window, str(model_dir))
    qtbot.waitUntil(lambda: bool(finished), timeout=INDEX_TIMEOUT_MS)
    assert finished[-1].counts.encoded == 0, "switching back reuses the stored vectors"
    wait_for_top(qtbot, window, "red_circle")
