"""Open With…: the applications that open a photo's type, and the system's chooser for any other.

Linux lists the desktop's applications from their desktop entries (the XDG menu and MIME
specifications; pyxdg parses the entries), the user's default first. macOS and Windows have
no list an app can read cheaply; there "Other Application…" opens the system's own chooser
(Windows) or an application picker in /Applications (macOS)."""

from __future__ import annotations

import configparser
import logging
import os
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from PySide6.QtCore import QMimeDatabase, QProcess
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from photofind.gui.desktop import open_files

log = logging.getLogger(__name__)

# Desktop-entry field codes: where the files go (%f one, %F several; %u/%U as URLs, which a
# local path also is) and codes for the icon, name and entry file that a launcher may drop.
_FILE_CODES = {"%f", "%u"}
_FILES_CODES = {"%F", "%U"}
_DROPPED_CODES = {"%i", "%c", "%k", "%d", "%D", "%n", "%N", "%v", "%m"}


@dataclass(frozen=True)
class Application:
    name: str
    exec_line: str  # the entry's Exec line, field codes and all
    is_default: bool = False

    def commands(self, paths: Sequence[str]) -> list[list[str]]:
        """The command lines that open `paths`: one for all where the entry takes several
        files, else one per file."""
        words = shlex.split(self.exec_line)
        if any(w in _FILES_CODES for w in words):
            return [_expand(words, paths)]
        return [_expand(words, [p]) for p in paths]


def _expand(words: list[str], paths: Sequence[str]) -> list[str]:
    out: list[str] = []
    placed = False
    for word in words:
        if word in _FILE_CODES | _FILES_CODES:
            out += paths
            placed = True
        elif word not in _DROPPED_CODES:
            out.append(word.replace("%%", "%"))
    return out if placed else out + list(paths)


def applications_for(path: str) -> list[Application]:
    """The applications the desktop offers for this file's type, the default first, then by
    name. Empty where the platform keeps no such list (macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return []
    mime = QMimeDatabase().mimeTypeForFile(path).name()
    defaults, added, removed = _associations(mime)
    found: dict[str, Application] = {}
    for desktop_id, entry in _desktop_entries():
        if desktop_id in found or desktop_id in removed:
            continue
        if mime not in entry.getMimeTypes() and desktop_id not in added:
            continue
        if entry.getNoDisplay() or entry.getHidden() or not entry.getExec():
            continue
        found[desktop_id] = Application(
            entry.getName(), entry.getExec(), is_default=desktop_id in defaults[:1]
        )
    return sorted(found.values(), key=lambda a: (not a.is_default, a.name.casefold()))


def launch(commands: list[list[str]]) -> bool:
    """Start each command detached from photofind; False if any could not be started."""
    started = True
    for command in commands:
        if not command or not QProcess.startDetached(command[0], command[1:])[0]:
            log.warning("could not start %s", command)
            started = False
    return started


def other_application_commands(program: str, paths: Sequence[str]) -> list[list[str]]:
    """Open `paths` with a program the user picked: an .app bundle on macOS, an executable
    elsewhere."""
    if sys.platform == "darwin":
        return [["open", "-a", program, *paths]]
    return [[program, *paths]]


def system_chooser_commands(path: str) -> list[list[str]] | None:
    """The system's own "Open with" dialog for one file, where there is one (Windows); None
    elsewhere, where the app lets the user pick a program instead."""
    if sys.platform == "win32":
        return [["rundll32.exe", "shell32.dll,OpenAs_RunDLL", path]]
    return None


def _data_dirs() -> list[Path]:
    """The XDG data folders, the user's first (platformdirs reads XDG_DATA_HOME/_DIRS)."""
    return _user_then_site(platformdirs.user_data_dir(), platformdirs.site_data_dir(multipath=True))


def _config_dirs() -> list[Path]:
    return _user_then_site(
        platformdirs.user_config_dir(), platformdirs.site_config_dir(multipath=True)
    )


def _user_then_site(user: str, site: str) -> list[Path]:
    return [Path(d) for d in [user, *site.split(os.pathsep)] if d]


def _desktop_entries() -> Iterator[tuple[str, object]]:
    """(desktop id, parsed entry) of every application entry, earlier data dirs first (they
    override later ones of the same id)."""
    from xdg.DesktopEntry import DesktopEntry

    for base in _data_dirs():
        folder = base / "applications"
        if not folder.is_dir():
            continue
        for file in sorted(folder.rglob("*.desktop")):
            desktop_id = str(file.relative_to(folder)).replace(os.sep, "-")
            try:
                entry = DesktopEntry(str(file))
            except Exception as exc:  # a malformed entry is the other app's problem
                log.info("skipping desktop entry %s: %s", file, exc)
                continue
            if entry.getType() == "Application":
                yield desktop_id, entry


def _associations(mime: str) -> tuple[list[str], set[str], set[str]]:
    """The user's and the system's choices for a type from mimeapps.list: the default apps in
    order of preference, apps added for it and apps removed from it."""
    defaults: list[str] = []
    added: set[str] = set()
    removed: set[str] = set()
    files = [d / "mimeapps.list" for d in _config_dirs()]
    files += [d / "applications" / "mimeapps.list" for d in _data_dirs()]
    for file in files:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read(file, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError) as exc:
            log.info("skipping %s: %s", file, exc)
            continue
        defaults += _ids(parser, "Default Applications", mime)
        added.update(_ids(parser, "Added Associations", mime))
        removed.update(_ids(parser, "Removed Associations", mime))
    return defaults, added, removed


def _ids(parser: configparser.ConfigParser, section: str, mime: str) -> list[str]:
    value = parser.get(section, mime, fallback="")
    return [i for i in value.split(";") if i]


class OpenWithMenu(QMenu):
    """ "Open With": the applications for the photos' type, then "Other Application…". Filled
    each time it opens, for the photos selected then."""

    def __init__(
        self, paths: Callable[[], list[str]], parent: QWidget, *, offer_default: bool = False
    ) -> None:
        super().__init__("Open With", parent)
        self._paths = paths
        # Where no "Open" sits beside this menu (the viewer), it offers the default app too.
        self._offer_default = offer_default
        self.failed: Callable[[str], None] = lambda message: None
        self.aboutToShow.connect(self._fill)

    def _fill(self) -> None:
        self.clear()
        paths = self._paths()
        if not paths:
            return
        apps = applications_for(paths[0])
        if self._offer_default and not any(a.is_default for a in apps):
            self.addAction("Default Application", lambda: open_files(paths))
        for app in apps:
            label = f"{app.name} (default)" if app.is_default else app.name
            self.addAction(label, lambda a=app: self._run(a.commands(paths), a.name))
        if self.actions():
            self.addSeparator()
        self.addAction("Other Application…", lambda: self._other(paths))

    def _other(self, paths: list[str]) -> None:
        chooser = system_chooser_commands(paths[0])
        if chooser is not None:
            self._run(chooser, "the system's chooser")
            return
        start = "/Applications" if sys.platform == "darwin" else "/usr/bin"
        program, _ = QFileDialog.getOpenFileName(self.parentWidget(), "Open With", start)
        if program:
            self._run(other_application_commands(program, paths), Path(program).name)

    def _run(self, commands: list[list[str]], name: str) -> None:
        if not launch(commands):
            self.failed(f"Cannot start {name}")
