"""Copying photos into a folder never replaces a file there, nor one photo with another."""

from __future__ import annotations

import os
from pathlib import Path

from photofind.core.photos.export import copy_to_folder


def test_taken_names_get_a_number_and_times_are_kept(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "IMG_1.jpg").write_bytes(b"first")
    (b / "IMG_1.jpg").write_bytes(b"second")
    os.utime(a / "IMG_1.jpg", (1e9, 1e9))
    out = tmp_path / "out"
    out.mkdir()
    (out / "IMG_1.jpg").write_bytes(b"already there")

    copies = copy_to_folder([str(a / "IMG_1.jpg"), str(b / "IMG_1.jpg")], out)

    assert [c.name for c in copies] == ["IMG_1 (1).jpg", "IMG_1 (2).jpg"]
    assert (out / "IMG_1.jpg").read_bytes() == b"already there"
    assert copies[0].read_bytes() == b"first" and copies[1].read_bytes() == b"second"
    assert copies[0].stat().st_mtime == 1e9
