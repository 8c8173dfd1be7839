"""`photofind locate PHOTO TEXT --out heat.png` with the tiny real CLIP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from composites import composite, quadrant_of
from helpers import last_json, run_cli
from PIL import Image


def cli(tmp_path: Path, model: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli("--data-dir", str(tmp_path / "data"), "--model", str(model), *argv)


def test_locate_writes_a_heatmap_hottest_over_the_red_circle(
    model_dir: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "four shapes.jpg"
    composite(2, seed=21).save(photo, quality=92)
    out = tmp_path / "heat.png"
    code, stdout, err = cli(
        tmp_path, model_dir, "locate", str(photo), "a photo of a red circle", "--out", str(out)
    )
    assert code == 0, err
    assert "Best match at" in stdout and str(out) in stdout
    with Image.open(out) as heat:
        assert heat.format == "PNG" and heat.size == (448, 448)
        shown = np.asarray(heat.convert("RGB"), float)
    # the overlay is brightest (yellow) over the bottom-left quadrant
    brightness = shown.sum(axis=2)
    quadrants = [brightness[:224, :224], brightness[:224, 224:], brightness[224:, :224]]
    quadrants.append(brightness[224:, 224:])
    assert int(np.argmax([q.mean() for q in quadrants])) == 2

    code, stdout, _ = cli(
        tmp_path, model_dir, "locate", str(photo), "red + circle", "--out", str(out), "--json"
    )
    assert code == 0
    result = last_json(stdout)
    assert result["out"] == str(out) and isinstance(result["score"], float)
    assert quadrant_of(result["peak"]["x"], result["peak"]["y"], 448, 448) == 2


@pytest.mark.parametrize(
    ("photo", "text", "out", "message"),
    [
        ("missing.jpg", "a dog", "heat.png", "photo not found"),
        ("notes.jpg", "a dog", "heat.png", "cannot read"),
        ("ok.jpg", "dog +", "heat.png", "nothing after '+' at position 5"),
        ("ok.jpg", "a dog", "no/such/folder/heat.png", "cannot write"),
    ],
)
def test_locate_mistakes_exit_2_with_one_line(
    model_dir: Path, tmp_path: Path, photo: str, text: str, out: str, message: str
) -> None:
    composite(0, seed=1).save(tmp_path / "ok.jpg")
    (tmp_path / "notes.jpg").write_text("not a photo")
    code, stdout, err = cli(
        tmp_path, model_dir, "locate", str(tmp_path / photo), text, "--out", str(tmp_path / out)
    )
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
