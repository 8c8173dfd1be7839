"""Preferences: stored in the data dir, overridden from the command line, applied live."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from window_helpers import OpenWindow, type_query, wait_for_model, wait_for_top

from photofind.core.encoder import DEFAULT_MODEL
from photofind.gui.app import effective_preferences
from photofind.gui.settings import (
    SETTINGS_FILE,
    THUMBNAIL_DEFAULT,
    THUMBNAIL_MAX,
    THUMBNAIL_STEP,
    AppSettings,
    Preferences,
)
from photofind.gui.settings_dialog import SettingsDialog


def test_preferences_round_trip_through_an_ini_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = AppSettings(tmp_path / "data")
    assert settings.load() == Preferences()
    prefs = Preferences(
        model="/models/clip",
        device="cpu",
        thumbnail_size=224,
        index_on_start=False,
        search_index="approximate",
    )
    settings.save(prefs)
    assert (tmp_path / "data" / SETTINGS_FILE).is_file()
    assert AppSettings(tmp_path / "data").load() == prefs


def test_bad_stored_values_fall_back_to_defaults(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / SETTINGS_FILE).write_text(
        "[model]\ndevice=quantum\n[view]\nthumbnail_size=huge\n[library]\nindex_on_start=false\n"
    )
    prefs = AppSettings(data).load()
    assert prefs.device == "auto"
    assert prefs.thumbnail_size == THUMBNAIL_DEFAULT
    assert prefs.index_on_start is False
    (data / SETTINGS_FILE).write_text("[view]\nthumbnail_size=100000\n")
    assert AppSettings(data).load().thumbnail_size == THUMBNAIL_MAX


def test_command_line_model_and_device_override_the_saved_ones() -> None:
    saved = Preferences(model="/saved/model", device="cpu")
    assert effective_preferences(saved, DEFAULT_MODEL, "auto") == saved
    given = effective_preferences(saved, "/given/model", "cuda")
    assert (given.model, given.device) == ("/given/model", "cuda")


def test_settings_dialog_edits_every_preference(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Preferences(model="/a/model", device="cpu", thumbnail_size=128))
    qtbot.addWidget(dialog)
    assert dialog.model.text() == "/a/model"
    assert dialog.device.currentText() == "CPU"
    assert [dialog.device.itemText(i) for i in range(dialog.device.count())] == [
        "Automatic",
        "CPU",
        "GPU",
    ]
    dialog.model.setText("  ")
    dialog.device.setCurrentIndex(0)
    dialog.thumbnail_size.setValue(256)
    dialog.index_on_start.setChecked(False)
    assert dialog.search_index.currentData() == "exact"
    dialog.search_index.setCurrentIndex(dialog.search_index.findData("approximate"))
    assert dialog.preferences() == Preferences(
        model=DEFAULT_MODEL,
        device="auto",
        thumbnail_size=256,
        index_on_start=False,
        search_index="approximate",
    )


def test_thumbnail_size_follows_ctrl_plus_and_minus_and_is_remembered(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    type_query(qtbot, window, "red square")
    wait_for_top(qtbot, window, "red_square")
    start = window.size_slider.value()
    cell = window.grid.gridSize()
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.size_slider.value() == start + THUMBNAIL_STEP
    assert window.grid.thumbnail_size == start + THUMBNAIL_STEP
    assert window.grid.gridSize().height() == cell.height() + THUMBNAIL_STEP
    qtbot.keyClick(window.grid, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.grid, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert window.size_slider.value() == start - THUMBNAIL_STEP
    window.close()
    assert AppSettings(indexed_data_dir).load().thumbnail_size == start - THUMBNAIL_STEP


def test_applying_new_settings_saves_them_and_reloads_the_model(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path, model_dir: Path
) -> None:
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    loads: list[str] = []
    window.worker.modelLoading.connect(loads.append)
    prefs = Preferences(model=str(model_dir), device="auto", thumbnail_size=288)
    window.apply_preferences(prefs)
    assert window.size_slider.value() == 288
    assert AppSettings(indexed_data_dir).load() == prefs
    qtbot.waitUntil(lambda: loads == [str(model_dir)])
    wait_for_model(qtbot, window)
