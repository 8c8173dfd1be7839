"""RAW files end to end with the tiny real CLIP: a DNG is found by what its preview shows, a
RAW beside its camera JPEG is left out, and a damaged RAW is a recorded failure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from helpers import last_json, run_cli
from rawfiles import make_dng
from shapes import make_photo


def test_raw_files_are_indexed_through_their_previews(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    rng = np.random.default_rng(11)
    size = (400, 300)  # a preview large enough to be used (raw.MIN_PREVIEW_SIDE)
    (folder / "IMG_0001.DNG").write_bytes(make_dng(make_photo("blue", "triangle", rng, size)))
    # Shot as RAW + JPEG: the JPEG stands for both (the RAW's preview differs here, to tell).
    make_photo("red", "circle", rng).save(folder / "IMG_0002.JPG", quality=90)
    (folder / "IMG_0002.DNG").write_bytes(make_dng(make_photo("green", "square", rng, size)))
    (folder / "IMG_0003.CR2").write_bytes(b"II*\0\x10\0\0\0CR\x02\0" + bytes(4000))
    data = tmp_path / "data"
    base = ("--data-dir", str(data), "--model", str(model_dir))

    code, out, _ = run_cli(*base, "index", str(folder), "--json")
    assert code == 0
    assert last_json(out) == {"encoded": 2, "reused": 0, "removed": 0, "failed": 1, "unchanged": 0}

    def best(text: str) -> str:
        return Path(last_json(run_cli(*base, "search", text, "--json")[1])[0]["path"]).name

    assert best("a photo of a blue triangle") == "IMG_0001.DNG"
    assert best("a photo of a red circle") == "IMG_0002.JPG"
    hits = last_json(run_cli(*base, "search", "a photo of a green square", "--json")[1])
    assert "IMG_0002.DNG" not in [Path(h["path"]).name for h in hits]

    status = last_json(run_cli(*base, "status", "--json", "--failed")[1])
    (failure,) = status["failures"]
    assert Path(failure["path"]).name == "IMG_0003.CR2"
    assert "CR2 RAW file" in failure["reason"]

    # The JPEG goes: now the RAW is the photo.
    (folder / "IMG_0002.JPG").unlink()
    code, out, _ = run_cli(*base, "index", str(folder), "--json")
    assert last_json(out)["encoded"] == 1 and last_json(out)["removed"] == 1
    assert best("a photo of a green square") == "IMG_0002.DNG"
