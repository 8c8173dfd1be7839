"""Choosing a model in Settings: a short list with each model's download, its speed measured
on this computer, its languages and its published search quality; any hub id or folder still
works."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QPushButton
from pytestqt.qtbot import QtBot

from photofind.core.model.catalog import MODELS
from photofind.core.model.ref import DEFAULT_MODEL
from photofind.gui.model_table import COLUMNS, SPEED_COLUMN
from photofind.gui.settings import Preferences
from photofind.gui.settings_dialog import SettingsDialog

MULTILINGUAL = "google/siglip-base-patch16-256-multilingual"
SPEED = re.compile(r"\d+(\.\d+)? photos/s")


def _row(dialog: SettingsDialog, row: int) -> dict[str, str]:
    return {name: dialog.models.item(row, c).text() for c, name in enumerate(COLUMNS)}


def _click_row(qtbot: QtBot, dialog: SettingsDialog, row: int) -> None:
    rect = dialog.models.visualItemRect(dialog.models.item(row, 0))
    qtbot.mouseClick(dialog.models.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _ok(dialog: SettingsDialog) -> None:
    buttons = dialog.findChild(QDialogButtonBox)
    buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_the_list_shows_each_models_download_languages_and_published_quality(
    qtbot: QtBot,
) -> None:
    dialog = SettingsDialog(Preferences())
    qtbot.addWidget(dialog)
    assert dialog.models.rowCount() == len(MODELS)
    for row, model in enumerate(MODELS):
        cells = _row(dialog, row)
        assert cells["Model"].startswith(model.name)
        assert cells["Download"] == model.download
        assert cells["Languages"] == model.languages
        assert cells["Search quality (XM3600)"] == model.quality
        quality = dialog.models.item(row, COLUMNS.index("Search quality (XM3600)"))
        assert "Immich" in quality.toolTip()
    default = [m.hub_id for m in MODELS].index(DEFAULT_MODEL)
    assert _row(dialog, default)["Model"].endswith("(default)")
    assert [i.row() for i in dialog.models.selectionModel().selectedRows()] == [default]


def test_choosing_the_multilingual_model_and_accepting_saves_it(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Preferences())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    row = [m.hub_id for m in MODELS].index(MULTILINGUAL)
    assert "Multilingual" in _row(dialog, row)["Languages"]
    _click_row(qtbot, dialog, row)
    assert dialog.model.text() == MULTILINGUAL
    with qtbot.waitSignal(dialog.accepted):
        _ok(dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.preferences().model == MULTILINGUAL


def test_any_other_hub_id_or_model_folder_still_works(
    qtbot: QtBot, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = SettingsDialog(Preferences())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.model.clear()
    qtbot.keyClicks(dialog.model, "someone/their-clip")
    assert dialog.models.selectedItems() == []
    assert dialog.preferences().model == "someone/their-clip"

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(model_dir))
    browse = next(b for b in dialog.findChildren(QPushButton) if "Folder" in b.text())
    browse.click()
    assert dialog.preferences().model == str(model_dir)
    assert dialog.models.selectedItems() == []
    # Typing a listed id selects it in the list.
    dialog.model.clear()
    qtbot.keyClicks(dialog.model, MULTILINGUAL)
    assert dialog.models.selectedItems()[0].row() == [m.hub_id for m in MODELS].index(MULTILINGUAL)


def test_speeds_are_measured_in_the_background_and_remembered(
    qtbot: QtBot, model_dir: Path, tmp_path: Path
) -> None:
    # Every entry gets the tiny fixture's shape, so measuring takes moments, not minutes.
    tiny = json.loads((model_dir / "config.json").read_text())
    models = [replace(model, shape=tiny) for model in MODELS]
    dialog = SettingsDialog(Preferences(device="cpu"), data_dir=tmp_path, models=models)
    qtbot.addWidget(dialog)
    speeds = [dialog.models.item(row, SPEED_COLUMN) for row in range(len(models))]
    assert {item.text() for item in speeds} == {"measuring…"}
    qtbot.waitUntil(lambda: all(SPEED.fullmatch(item.text()) for item in speeds), timeout=120_000)
    assert "CPU" in speeds[0].toolTip()
    dialog.reject()

    again = SettingsDialog(Preferences(device="cpu"), data_dir=tmp_path, models=models)
    qtbot.addWidget(again)
    remembered = [again.models.item(row, SPEED_COLUMN) for row in range(len(models))]
    qtbot.waitUntil(lambda: all(SPEED.fullmatch(item.text()) for item in remembered), timeout=5000)
    assert [item.text() for item in remembered] == [item.text() for item in speeds]
    again.reject()


def test_without_a_data_dir_nothing_is_measured(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Preferences())
    qtbot.addWidget(dialog)
    column = {dialog.models.item(r, SPEED_COLUMN).text() for r in range(len(MODELS))}
    assert column == {"not measured"}


def test_a_device_this_computer_lacks_says_its_speeds_could_not_be_measured(
    qtbot: QtBot, model_dir: Path, tmp_path: Path
) -> None:
    import torch

    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this computer has a GPU, so its speeds can be measured")
    tiny = json.loads((model_dir / "config.json").read_text())
    models = [replace(model, shape=tiny) for model in MODELS[:2]]
    dialog = SettingsDialog(Preferences(device="cpu"), data_dir=tmp_path, models=models)
    qtbot.addWidget(dialog)
    dialog.device.setCurrentIndex(dialog.device.findText("GPU"))
    speeds = [dialog.models.item(row, SPEED_COLUMN) for row in range(len(models))]
    qtbot.waitUntil(lambda: all(item.text() == "not measured" for item in speeds), timeout=120_000)
    assert "log" in speeds[0].toolTip()
    dialog.reject()
