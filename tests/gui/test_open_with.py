"""Open With: the desktop's applications for a photo's type, default first, and a real launch."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from window_helpers import OpenWindow, right_click, type_query, wait_for_model, wait_for_top

from photofind.gui.open_with import Application, applications_for


@pytest.fixture
def desktop_apps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A desktop of its own: two photo viewers (one the user's default), one hidden entry,
    one removed from JPEGs by the user, and a text editor. Returns the file the default
    viewer writes the paths it was started with to."""
    data, config = tmp_path / "data", tmp_path / "config"
    apps = data / "applications"
    apps.mkdir(parents=True)
    config.mkdir()
    launched = tmp_path / "launched.txt"
    viewer = tmp_path / "viewer.sh"
    viewer.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {launched}\n')
    viewer.chmod(viewer.stat().st_mode | stat.S_IXUSR)

    def entry(name: str, file: str, mime: str, exec_line: str, extra: str = "") -> None:
        (apps / file).write_text(
            f"[Desktop Entry]\nType=Application\nName={name}\nExec={exec_line}\n"
            f"MimeType={mime}\n{extra}"
        )

    entry("Zed Viewer", "zed.desktop", "image/jpeg;image/png;", f"{viewer} %F")
    entry("Another Viewer", "another.desktop", "image/png;image/jpeg;", "another %f --x %i")
    entry(
        "Hidden Helper", "hidden.desktop", "image/jpeg;image/png;", "hidden %f", "NoDisplay=true\n"
    )
    entry("Removed Viewer", "removed.desktop", "image/jpeg;image/png;", "removed %U")
    entry("Text Editor", "editor.desktop", "text/plain;", "editor %F")
    (config / "mimeapps.list").write_text(
        "[Default Applications]\nimage/jpeg=zed.desktop;\nimage/png=zed.desktop;\n"
        "[Removed Associations]\nimage/jpeg=removed.desktop;\nimage/png=removed.desktop;\n"
    )
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "no-system-apps"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "no-system-config"))
    return launched


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="desktop entries are XDG's")
def test_the_applications_for_a_photo_are_listed_default_first(
    desktop_apps: Path, shapes_dir: Path
) -> None:
    photo = str(next(shapes_dir.glob("*.jpg")))
    apps = applications_for(photo)
    assert [(a.name, a.is_default) for a in apps] == [
        ("Zed Viewer", True),  # the default comes first, whatever its name
        ("Another Viewer", False),
    ]
    another = apps[1]
    # One process per photo where the entry takes one file; its icon field code is dropped.
    assert another.commands(["/a b.png", "/c.png"]) == [
        ["another", "/a b.png", "--x"],
        ["another", "/c.png", "--x"],
    ]
    percent = Application("P", "p --label=100%% %U")
    assert percent.commands(["/a.png", "/b.png"]) == [["p", "--label=100%", "/a.png", "/b.png"]]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="desktop entries are XDG's")
def test_open_with_from_the_right_click_menu_starts_the_application_on_the_photo(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path, desktop_apps: Path
) -> None:
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    type_query(qtbot, window, "red circle")
    wait_for_top(qtbot, window, "red_circle")
    menu = right_click(window, 0)
    open_with = window.photo_actions.open_with
    assert open_with.menuAction() in menu.actions()
    open_with.popup(menu.pos())  # as hovering "Open With" does
    labels = [a.text() for a in open_with.actions() if not a.isSeparator()]
    assert labels == ["Zed Viewer (default)", "Another Viewer", "Other Application…"]
    open_with.actions()[0].trigger()
    open_with.close()
    menu.close()
    qtbot.waitUntil(
        lambda: bool(desktop_apps.exists() and desktop_apps.read_text()), timeout=10_000
    )
    assert desktop_apps.read_text().splitlines() == [window.results.hit(0).path]
