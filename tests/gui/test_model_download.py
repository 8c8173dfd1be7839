"""A first run with a hub model: the window shows the download's progress, Cancel pauses it
with a clear message, and Resume carries on from the bytes already received (served by a
stand-in hub, tests/hub_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_server import FIXTURE_REPO, Hold, HubServer
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from window_helpers import MODEL_TIMEOUT_MS, OpenWindow, wait_for_model

from photofind.gui.results_page import DOWNLOADING_PLACEHOLDER

WEIGHTS = "model.safetensors"


def test_download_shows_progress_cancels_and_resumes(
    qtbot: QtBot, open_window: OpenWindow, hub: HubServer, cache: Path
) -> None:
    hold = hub.hold[WEIGHTS] = Hold(after=1_000_000)
    window = open_window(model=FIXTURE_REPO)
    bar = window.page.download

    # Part of the weights has arrived; the server holds the rest back.
    qtbot.waitUntil(lambda: hold.reached.is_set(), timeout=MODEL_TIMEOUT_MS)
    qtbot.waitUntil(lambda: bar.isVisible() and bar.bar.value() > 0, timeout=MODEL_TIMEOUT_MS)
    assert FIXTURE_REPO in bar.title.text()
    assert " of " in bar.status.text() and "MB" in bar.status.text()
    assert window.search.placeholderText() == DOWNLOADING_PLACEHOLDER

    qtbot.mouseClick(bar.cancel_button, Qt.MouseButton.LeftButton)
    hold.release.set()  # the next piece arrives, and the cancel is noticed
    qtbot.waitUntil(window.banner.isVisible, timeout=MODEL_TIMEOUT_MS)
    assert not bar.isVisible()
    assert window.banner.title.text() == "The model download is paused"
    assert window.banner.retry_button.text() == "Resume Download"
    assert "Traceback" not in window.banner.message.text()

    qtbot.mouseClick(window.banner.retry_button, Qt.MouseButton.LeftButton)
    wait_for_model(qtbot, window)
    assert not window.banner.isVisible() and not bar.isVisible()
    resumed = hub.gets(WEIGHTS)[-1]
    assert resumed.range_start > 0, "the download carried on, not started over"


def test_offline_first_run_explains_in_the_windows_words(
    qtbot: QtBot, open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    window = open_window(model="openai/clip-vit-base-patch32")
    qtbot.waitUntil(window.banner.isVisible, timeout=MODEL_TIMEOUT_MS)
    banner = window.banner
    assert banner.title.text() == "The search model is not on this computer yet"
    assert "openai/clip-vit-base-patch32" in banner.message.text()
    assert "internet" in banner.message.text()
    shown = " ".join(label.text() for label in (banner.title, banner.message, banner.advice))
    assert "--model" not in shown and "PHOTOFIND_MODEL" not in shown
    assert banner.retry_button.text() == "Retry"
