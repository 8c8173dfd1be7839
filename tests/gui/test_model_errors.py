"""A model that cannot be loaded is explained, with ways out, and never shows a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from window_helpers import (
    LIBRARY_PHOTOS,
    MODEL_TIMEOUT_MS,
    OpenWindow,
    type_query,
    wait_for_model,
    wait_for_top,
)

from photofind.gui.main_window import MainWindow
from photofind.gui.results_page import FAILED_PLACEHOLDER
from photofind.gui.settings import AppSettings


def _wait_for_problem(qtbot: QtBot, window: MainWindow) -> str:
    qtbot.waitUntil(window.banner.isVisible, timeout=MODEL_TIMEOUT_MS)
    return window.banner.message.text()


def test_a_missing_model_shows_a_message_with_choose_and_retry(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_data_dir: Path,
    tmp_path: Path,
    model_dir: Path,
) -> None:
    missing = tmp_path / "models" / "tiny-clip"
    window = open_window(indexed_data_dir, model=str(missing))
    message = _wait_for_problem(qtbot, window)
    assert str(missing) in message and "does not exist" in message
    assert "Traceback" not in message and "Error" not in message
    assert window.banner.choose_button.text() == "Choose Model Folder…"
    assert window.banner.retry_button.text() == "Retry"
    assert window.search.placeholderText() == FAILED_PLACEHOLDER

    # A text search cannot run, and says so instead of failing silently.
    type_query(qtbot, window, "red circle")
    qtbot.waitUntil(lambda: window.message.title.text() == "This search did not work")
    assert "model is not loaded" in window.message.body.text()

    # The user fixes it (e.g. finishes a download) and presses Retry.
    shutil.copytree(model_dir, missing)
    qtbot.mouseClick(window.banner.retry_button, Qt.MouseButton.LeftButton)
    wait_for_model(qtbot, window)
    assert not window.banner.isVisible()
    # The model at its new path is a new model to the library: every photo is encoded again.
    # A search meanwhile shows what is encoded so far and offers the rest as new matches, so
    # the search that must find every red circle is the one after the last photo is back.
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == LIBRARY_PHOTOS, timeout=MODEL_TIMEOUT_MS
    )
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    wait_for_top(qtbot, window, "red_circle")


def test_choosing_a_model_folder_loads_it_and_remembers_it(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_data_dir: Path,
    tmp_path: Path,
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    (not_a_model / "config.json").write_text("{ this is not json")
    window = open_window(indexed_data_dir, model=str(not_a_model))
    message = _wait_for_problem(qtbot, window)
    assert message.startswith("Cannot load folder")
    assert "\n" not in message.strip()

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(model_dir))
    qtbot.mouseClick(window.banner.choose_button, Qt.MouseButton.LeftButton)
    wait_for_model(qtbot, window)
    assert not window.banner.isVisible()
    assert AppSettings(indexed_data_dir).load().model == str(model_dir)
    type_query(qtbot, window, "green square")
    wait_for_top(qtbot, window, "green_square")
