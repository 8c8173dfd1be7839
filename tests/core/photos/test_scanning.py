"""Walking folders: hidden files, non-photos, symlink loops, excluded subfolders."""

from __future__ import annotations

import os
from pathlib import Path

from photofind.core.photos.scanning import is_within, scan_folders


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


def test_hidden_appledouble_and_non_photos_are_skipped(tmp_path: Path) -> None:
    for name in ["a.jpg", "b/c.PNG", ".hidden.jpg", "._a.jpg", ".trash/d.jpg", "notes.txt"]:
        _touch(tmp_path / name)
    found = sorted(
        Path(f.path).relative_to(tmp_path).as_posix() for f in scan_folders([str(tmp_path)])
    )
    assert found == ["a.jpg", "b/c.PNG"]


def test_symlink_loops_end_and_each_folder_is_walked_once(tmp_path: Path) -> None:
    _touch(tmp_path / "lib" / "sub" / "a.jpg")
    os.symlink(tmp_path / "lib", tmp_path / "lib" / "sub" / "loop")
    os.symlink(tmp_path / "lib" / "sub", tmp_path / "lib" / "again")
    found = list(scan_folders([str(tmp_path / "lib")]))
    assert len(found) == 1


def test_excluded_subfolders_and_dangling_links(tmp_path: Path) -> None:
    _touch(tmp_path / "keep" / "a.jpg")
    _touch(tmp_path / "skip" / "b.jpg")
    os.symlink(tmp_path / "missing.jpg", tmp_path / "dangling.jpg")
    found = [Path(f.path).name for f in scan_folders([str(tmp_path)], [str(tmp_path / "skip")])]
    assert found == ["a.jpg"]


def test_is_within_respects_path_boundaries() -> None:
    assert is_within("/a/b/c.jpg", "/a/b")
    assert is_within("/a/b", "/a/b")
    assert not is_within("/a/bc/d.jpg", "/a/b")
