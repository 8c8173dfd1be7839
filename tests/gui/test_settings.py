"""Preferences: stored in the data dir, overridden from the command line, applied live."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from window_helpers import OpenWindow, type_query, wait_for_model, wait_for_top

from photofind.core.index.store import Store
from photofind.core.model.ref import DEFAULT_MODEL
from photofind.core.photos.thumbnails import ThumbnailCache
from photofind.gui.app import effective_preferences
from photofind.gui.settings import (
    CACHE_GB_MIN,
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
        thumbnail_cache_gb=2.5,
        text_reading="all",
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
    (data / SETTINGS_FILE).write_text("[library]\ntext_reading=sometimes\n")
    assert AppSettings(data).load().text_reading == "auto"
    (data / SETTINGS_FILE).write_text("[view]\nthumbnail_size=100000\n")
    assert AppSettings(data).load().thumbnail_size == THUMBNAIL_MAX
    for stored, loaded in [("lots", 1.0), ("nan", 1.0), ("0", CACHE_GB_MIN), ("1e9", 100.0)]:
        (data / SETTINGS_FILE).write_text(f"[view]\nthumbnail_cache_gb={stored}\n")
        assert AppSettings(data).load().thumbnail_cache_gb == loaded


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
    assert dialog.thumbnail_cache.text() == "1.0 GB"
    dialog.thumbnail_cache.setValue(0.5)
    assert dialog.text_reading.currentData() == "auto"
    dialog.text_reading.setCurrentIndex(dialog.text_reading.findData("off"))
    assert dialog.preferences() == Preferences(
        model=DEFAULT_MODEL,
        device="auto",
        thumbnail_size=256,
        index_on_start=False,
        search_index="approximate",
        thumbnail_cache_gb=0.5,
        text_reading="off",
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


def test_the_thumbnail_cache_is_pruned_once_the_library_opens_and_to_a_new_cap(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path, model_dir: Path, tmp_path: Path
) -> None:
    store = Store.open(indexed_data_dir)
    in_library = Path(store.all_paths()[0])
    store.close()
    outside = tmp_path / "outside.jpg"
    Image.new("RGB", (300, 200), "red").save(outside)
    cache = ThumbnailCache(indexed_data_dir)
    for photo in (in_library, outside):
        cache.get(photo, 256)
    ours, stray = cache.entry_path(in_library, 256), cache.entry_path(outside, 256)

    window = open_window(indexed_data_dir, index_on_start=False)
    qtbot.waitUntil(lambda: not stray.exists())
    assert ours.exists()
    one_byte = 1 / 2**30
    prefs = Preferences(str(model_dir), "cpu", index_on_start=False, thumbnail_cache_gb=one_byte)
    window.apply_preferences(prefs)
    qtbot.waitUntil(lambda: not ours.exists())
