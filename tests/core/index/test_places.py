"""Photos below a place that cannot be reached right now (a drive mounted below a library
folder, a link into a drive, a library folder's bare mount point with a stray file in it) are
kept and hidden, never removed, and come back without re-encoding. Checked with real tmpfs
mounts (as root) and real symbolic links; a folder or link that someone removed still loses
its photos."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from shapes import generate_folder

from photofind.core.library import Library
from photofind.core.search.search import Hit


def _can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    probe = Path("/tmp") / f"photofind-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(probe)], capture_output=True)
        if ok.returncode == 0:
            subprocess.run(["umount", str(probe)], check=True)
        return ok.returncode == 0
    finally:
        probe.rmdir()


needs_mount = pytest.mark.skipif(
    not _can_mount(), reason="mounting a tmpfs needs root (CAP_SYS_ADMIN) and mount(8)"
)


@contextlib.contextmanager
def drive(at: Path, contents: Path) -> Iterator[Path]:
    """A removable drive plugged in at `at`: a fresh tmpfs (a device of its own) holding a
    copy of `contents` with its modification times; unplugged (unmounted) at the end."""
    at.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(at)], check=True)
    try:
        shutil.copytree(contents, at, dirs_exist_ok=True)
        yield at
    finally:
        subprocess.run(["umount", str(at)], check=True)


def _index(library: Library) -> dict[str, int]:
    *_, done = library.index()
    return done.counts.as_dict()


def _shown(library: Library, below: Path) -> tuple[int, list[str]]:
    """How many of the library's photos below `below` a search would show, and the places
    it says cannot be reached."""
    paths = library.store.paths(list(range(1, 1000)))
    hits = [Hit(pid, p, 0.5) for pid, p in paths.items() if p.startswith(str(below) + os.sep)]
    kept, missing = library.without_unavailable(hits)
    return len(kept), missing


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """What is on the drive: six photos in a folder of their own, dated back."""
    contents = tmp_path / "drive-contents"
    generate_folder(contents / "trip", per_class=1, seed=5, age_seconds=3600)
    for extra in sorted((contents / "trip").iterdir())[6:]:
        extra.unlink()
    return contents


@pytest.fixture
def library(tmp_path: Path, model_dir: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "data", str(model_dir), "cpu")
    yield lib
    lib.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A library folder with one photo of its own, on the disk."""
    folder = tmp_path / "Pictures"
    generate_folder(folder, per_class=1, seed=9, age_seconds=3600)
    for extra in sorted(folder.iterdir())[1:]:
        extra.unlink()
    return folder


@needs_mount
def test_a_drive_mounted_below_a_library_folder_keeps_its_photos_while_unplugged(
    library: Library, home: Path, photos: Path
) -> None:
    library.add_folders([str(home)])
    usb = home / "usb"
    with drive(usb, photos):
        assert _index(library)["encoded"] == 7
        assert _shown(library, usb) == (6, [])
    # Unplugged: the bare mount point is an empty folder on the disk.
    counts = _index(library)
    assert counts["removed"] == 0 and counts["unchanged"] == 1
    assert _shown(library, usb) == (0, [str(usb)])
    # Plugged in again (a new device number, as another port gives): nothing re-encoded.
    with drive(usb, photos):
        counts = _index(library)
        assert counts["encoded"] == 0 and counts["removed"] == 0 and counts["unchanged"] == 7
        assert _shown(library, usb) == (6, [])


@needs_mount
def test_a_link_into_an_unplugged_drive_keeps_its_photos(
    library: Library, home: Path, photos: Path, tmp_path: Path
) -> None:
    media = tmp_path / "media" / "USB-STICK"
    (home / "trip").symlink_to(media / "trip", target_is_directory=True)
    library.add_folders([str(home)])
    with drive(media, photos):
        assert _index(library)["encoded"] == 7
    # Unplugged: the link dangles.
    assert not (home / "trip").exists()
    counts = _index(library)
    assert counts["removed"] == 0
    assert _shown(library, home / "trip") == (0, [str(home / "trip")])
    with drive(media, photos):
        counts = _index(library)
        assert counts["encoded"] == 0 and counts["removed"] == 0
        assert _shown(library, home / "trip") == (6, [])


@needs_mount
def test_a_bare_mount_point_with_a_stray_file_is_not_taken_for_the_drive(
    library: Library, photos: Path, tmp_path: Path
) -> None:
    card = tmp_path / "mnt" / "card"
    with drive(card, photos):
        library.add_folders([str(card)])
        assert _index(library)["encoded"] == 6
    (card / "NOT_MOUNTED").write_text("the card is not in the reader\n")
    counts = _index(library)
    assert counts["removed"] == 0
    assert _shown(library, card) == (0, [str(card)])
    (card / "NOT_MOUNTED").unlink()
    with drive(card, photos):
        counts = _index(library)
        assert counts["encoded"] == 0 and counts["removed"] == 0


@needs_mount
def test_photos_deleted_from_a_plugged_in_drive_go(
    library: Library, home: Path, photos: Path
) -> None:
    usb = home / "usb"
    library.add_folders([str(home)])
    with drive(usb, photos):
        _index(library)
        for photo in sorted((usb / "trip").iterdir())[:2]:
            photo.unlink()
        assert _index(library)["removed"] == 2
        assert _shown(library, usb) == (4, [])


def test_a_dangling_link_keeps_its_photos_and_a_removed_one_loses_them(
    library: Library, home: Path, photos: Path, tmp_path: Path
) -> None:
    """Without mounts: the link's target is moved away (as an unplugged drive's folder
    would be) and back; then the link itself is deleted, which the user meant."""
    target = tmp_path / "elsewhere" / "trip"
    shutil.copytree(photos / "trip", target)
    (home / "trip").symlink_to(target, target_is_directory=True)
    library.add_folders([str(home)])
    assert _index(library)["encoded"] == 7

    target.rename(tmp_path / "away")
    assert _index(library)["removed"] == 0
    assert _shown(library, home / "trip") == (0, [str(home / "trip")])
    (tmp_path / "away").rename(target)
    counts = _index(library)
    assert counts["encoded"] == 0 and counts["unchanged"] == 7

    (home / "trip").unlink()
    assert _index(library)["removed"] == 6
    assert _shown(library, home) == (1, [])


def test_a_deleted_subfolder_loses_its_photos(library: Library, home: Path, photos: Path) -> None:
    shutil.copytree(photos / "trip", home / "trip")
    library.add_folders([str(home)])
    assert _index(library)["encoded"] == 7
    shutil.rmtree(home / "trip")
    assert _index(library)["removed"] == 6
