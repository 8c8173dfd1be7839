"""File names a terminal or a JSON reader could be fooled by: printed escaped, one line per
result, and given losslessly in JSON (issue #15, point 11)."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

from helpers import index_into, run_cli_process

# A name that would retitle the terminal and split one result into two lines, and one whose
# bytes are not UTF-8 (Linux allows any bytes but / and NUL).
RETITLE = "red_circle_\x1b]0;pwned\x07\n0.999  fake.jpg"
NOT_UTF8 = b"red_circle_\xff\xfe.jpg"


def test_hostile_names_print_escaped_and_json_keeps_their_bytes(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    red = sorted(shapes_dir.glob("red_circle_*.jpg"))[0]
    shutil.copy(red, folder / f"{RETITLE}.jpg")
    shutil.copy(red, os.path.join(os.fsencode(folder), NOT_UTF8))
    shutil.copy(sorted(shapes_dir.glob("blue_square_*.jpg"))[0], folder / "blue_square.jpg")
    data = index_into(tmp_path / "data", model_dir, [folder])
    argv = ["--data-dir", str(data), "--model", str(model_dir), "--device", "cpu"]

    text = run_cli_process(*argv, "search", "a photo of a red circle", "--top", "3")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert len(lines) == 3, "one line per result"
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout
    assert any("red_circle_\\x1b]0;pwned\\x07\\n0.999  fake.jpg.jpg" in line for line in lines)
    assert any("red_circle_\\xff\\xfe.jpg" in line for line in lines)

    listed = run_cli_process(*argv, "search", "a photo of a red circle", "--top", "3", "--json")
    hits = json.loads(listed.stdout.strip().splitlines()[-1])
    odd = [h for h in hits if "path_bytes" in h]
    assert len(odd) == 1 and odd[0]["path"].endswith("red_circle_\ufffd\ufffd.jpg")
    assert os.path.isfile(base64.b64decode(odd[0]["path_bytes"])), "the exact file"
    assert any(h["path"] == str(folder / f"{RETITLE}.jpg") for h in hits)
    assert all(os.path.isfile(h["path"]) for h in hits if "path_bytes" not in h)
