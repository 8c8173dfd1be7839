"""Desktop integration files: the .desktop entry, AppStream metainfo, the icon and its installer.

The structural checks always run; the official validators (desktop-file-validate from
desktop-file-utils, appstreamcli from appstream) run too where they are installed, and are
skipped, saying so, where they are not: CI machines need not have them.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import photofind
from photofind.gui.icon import APP_ID, ICON_SIZES, app_icon, icon_dir, icon_files

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
DESKTOP = RESOURCES / f"{APP_ID}.desktop"
METAINFO = RESOURCES / f"{APP_ID}.metainfo.xml"
INSTALLER = ROOT / "packaging" / "install-desktop-entry.sh"
SVG = icon_dir() / "photofind.svg"

# Keys of the Desktop Entry spec (1.4) that an Application entry may use.
_KNOWN_KEYS = {
    "Type", "Version", "Name", "GenericName", "NoDisplay", "Comment", "Icon", "Hidden",
    "OnlyShowIn", "NotShowIn", "DBusActivatable", "TryExec", "Exec", "Path", "Terminal",
    "Actions", "MimeType", "Categories", "Implements", "Keywords", "StartupNotify",
    "StartupWMClass", "PrefersNonDefaultGPU",
}  # fmt: skip


def _read_desktop(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    assert parser.sections() == ["Desktop Entry"], parser.sections()
    return dict(parser["Desktop Entry"])


def _validator(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install desktop-file-utils appstream)")
    return path


# -- the .desktop entry -------------------------------------------------------------------------


def test_desktop_entry_is_a_well_formed_application_entry() -> None:
    entry = _read_desktop(DESKTOP)
    assert set(entry) <= _KNOWN_KEYS, f"unknown keys: {set(entry) - _KNOWN_KEYS}"
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Photofind"
    assert entry["Comment"] and entry["GenericName"]
    assert entry["Exec"] == "photofind"  # the installer points it at the real executable
    assert entry["Icon"] == APP_ID  # the installed icon's name
    assert entry["Terminal"] == "false"
    # On X11 desktops match the window to this entry by WM_CLASS, whose class Qt takes from the
    # application name (app.py: setApplicationName("Photofind")).
    assert entry["StartupWMClass"] == "Photofind"
    for key in ("Categories", "Keywords"):
        assert entry[key].endswith(";"), f"{key} is a list and must end with ';'"
    assert "Graphics" in entry["Categories"].split(";")  # a main category


def test_desktop_entry_passes_desktop_file_validate() -> None:
    validator = _validator("desktop-file-validate")
    result = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


# -- the AppStream metainfo ---------------------------------------------------------------------


def test_metainfo_describes_the_app_under_the_same_id() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.tag == "component"
    assert component.get("type") == "desktop-application"

    def text(path: str) -> str:
        node = component.find(path)
        assert node is not None and node.text, f"<{path}> is missing or empty"
        return node.text.strip()

    assert text("id") == APP_ID
    assert text("launchable[@type='desktop-id']") == DESKTOP.name
    assert text("metadata_license") == "CC0-1.0"
    assert text("project_license") == "MIT"  # as in pyproject.toml
    assert text("name") == "Photofind"
    assert text("summary")
    assert text("provides/binary") == "photofind"
    assert component.find("description/p") is not None
    assert component.find("content_rating") is not None
    releases = [r.get("version") for r in component.findall("releases/release")]
    assert releases and releases[0] == photofind.__version__, "the newest release comes first"


def test_metainfo_screenshot_is_one_the_repository_has() -> None:
    component = ET.parse(METAINFO).getroot()
    images = [node.text or "" for node in component.findall("screenshots/screenshot/image")]
    assert images, "no screenshot"
    for url in images:
        assert url.startswith("https://"), url
        relative = url.split("/main/", 1)[1]
        assert (ROOT / relative).is_file(), f"{relative} is not in the repository"


def test_metainfo_passes_appstreamcli_validate() -> None:
    validator = _validator("appstreamcli")
    result = subprocess.run(
        [validator, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the icon -----------------------------------------------------------------------------------


def test_icon_svg_is_square() -> None:
    svg = ET.parse(SVG).getroot()
    _, _, width, height = (float(v) for v in svg.get("viewBox", "").split())
    assert width == height


def test_every_png_size_is_there_with_its_size_and_transparency(qapp: object) -> None:
    from PySide6.QtGui import QImage

    files = icon_files()
    assert sorted(files) == sorted(ICON_SIZES) == [16, 32, 48, 64, 128, 256, 512]
    for size, path in files.items():
        image = QImage(str(path))
        assert not image.isNull(), path
        assert (image.width(), image.height()) == (size, size), path
        assert image.hasAlphaChannel(), path
        assert image.pixelColor(0, size - 1).alpha() == 0, f"{path}: a corner should be clear"


def test_pngs_are_renders_of_the_current_svg(qapp: object) -> None:
    """Edit the SVG, then run packaging/render_icons.py: this fails until the PNGs follow."""
    spec = importlib.util.spec_from_file_location(
        "render_icons", ROOT / "packaging" / "render_icons.py"
    )
    assert spec is not None and spec.loader is not None
    render_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_icons)
    assert render_icons.SIZES == ICON_SIZES
    assert render_icons.stale_sizes() == []


def test_app_icon_offers_every_size(qapp: object) -> None:
    icon = app_icon()
    assert not icon.isNull()
    assert sorted(s.width() for s in icon.availableSizes()) == list(ICON_SIZES)


def test_icons_are_package_data() -> None:
    """The wheel (and so the bundle) carries the icons: pyproject's package-data covers them."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["photofind"]
    package = ROOT / "photofind"
    for path in [*icon_files().values(), SVG]:
        relative = path.relative_to(package)
        assert any(relative.match(pattern) for pattern in patterns), relative


# -- the installer ------------------------------------------------------------------------------

needs_bash = pytest.mark.skipif(
    os.name != "posix" or shutil.which("bash") is None, reason="the installer is a bash script"
)


def _install(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
    env["HOME"] = str(home)
    return subprocess.run(
        ["bash", str(INSTALLER), *args], env=env, capture_output=True, text=True, timeout=60
    )


def _fake_executable(folder: Path) -> Path:
    folder.mkdir(parents=True)
    exe = folder / "photofind"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    return exe


def _installed(home: Path) -> list[Path]:
    share = home / ".local" / "share"
    return [
        share / "applications" / f"{APP_ID}.desktop",
        share / "metainfo" / f"{APP_ID}.metainfo.xml",
        share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
        *(share / "icons" / "hicolor" / f"{s}x{s}" / "apps" / f"{APP_ID}.png" for s in ICON_SIZES),
    ]


@needs_bash
def test_install_puts_entry_and_icons_in_the_users_data_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    exe = _fake_executable(tmp_path / "My Apps" / "photofind")  # a space: Exec must quote it
    result = _install(home, str(exe))
    assert result.returncode == 0, result.stderr
    for path in _installed(home):
        assert path.is_file(), f"{path} was not installed"
    assert (home / ".local/share/icons/hicolor/48x48/apps" / f"{APP_ID}.png").read_bytes() == (
        icon_files()[48].read_bytes()
    )
    entry = _read_desktop(_installed(home)[0])
    assert entry["Exec"] == f'"{exe}"'
    assert entry["TryExec"] == str(exe)
    assert entry["Icon"] == APP_ID
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(_installed(home)[0])], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout


@needs_bash
def test_install_follows_xdg_data_home(tmp_path: Path) -> None:
    exe = _fake_executable(tmp_path / "bin")
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    result = subprocess.run(
        ["bash", str(INSTALLER), str(exe)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "xdg" / "applications" / f"{APP_ID}.desktop").is_file()
    assert not (tmp_path / "home" / ".local").exists()


@needs_bash
def test_uninstall_removes_what_install_put_there(tmp_path: Path) -> None:
    home = tmp_path / "home"
    other = home / ".local/share/applications/other.desktop"
    other.parent.mkdir(parents=True)
    other.write_text("[Desktop Entry]\n")
    assert _install(home, str(_fake_executable(tmp_path / "bin"))).returncode == 0
    result = _install(home, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert not [p for p in _installed(home) if p.exists()]
    assert other.exists()  # other apps' entries are left alone
    assert _install(home, "--uninstall").returncode == 0  # and again: nothing to do is fine


@needs_bash
@pytest.mark.parametrize("problem", ["missing", "not-executable", "dollar"])
def test_install_refuses_an_unusable_executable(tmp_path: Path, problem: str) -> None:
    if problem == "missing":
        exe = tmp_path / "nowhere" / "photofind"
    elif problem == "not-executable":
        exe = tmp_path / "photofind"
        exe.write_text("")
    else:
        exe = _fake_executable(tmp_path / "$HOME")
    result = _install(tmp_path / "home", str(exe))
    assert result.returncode == 2
    assert result.stderr.startswith("install-desktop-entry: ")
    assert not (tmp_path / "home" / ".local/share/applications").exists() or not list(
        (tmp_path / "home" / ".local/share/applications").glob("*.desktop")
    )


def test_installer_and_spec_use_the_same_id() -> None:
    for path in (INSTALLER, ROOT / "packaging" / "photofind.spec"):
        assert APP_ID in path.read_text(encoding="utf-8"), path
    assert DESKTOP.stem == METAINFO.name.removesuffix(".metainfo.xml") == APP_ID
