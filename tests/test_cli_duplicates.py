"""`photofind duplicates` with the tiny real CLIP: copies of a photo (exact, re-encoded,
resized) group together; photos of different shapes or colours never do."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import last_json, run_cli
from PIL import Image
from shapes import generate_folder, make_photo


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> tuple[Path, Path]:
    """(data dir, photo folder): two photos of each kind, and three copies of one of them."""
    folder = tmp_path_factory.mktemp("dups") / "photos"
    generate_folder(folder, per_class=2, seed=1234)
    original = folder / "red_circle_000.jpg"
    variants = folder / "variants"
    variants.mkdir()
    shutil.copy(original, variants / "copy.jpg")
    with Image.open(original) as im:
        im.save(variants / "quality70.jpg", quality=70)
        smaller = (round(im.width * 0.9), round(im.height * 0.9))
        im.resize(smaller, Image.Resampling.LANCZOS).save(variants / "smaller.jpg", quality=90)
    data = tmp_path_factory.mktemp("dups-data")
    assert cli(data, model_dir, "index", str(folder))[0] == 0
    return data, folder


def cli(data: Path, model: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli("--data-dir", str(data), "--model", str(model), *argv)


def _kind(path: str) -> tuple[str, str]:
    name = Path(path).name
    if Path(path).parent.name == "variants":
        return ("red", "circle")  # copies of red_circle_000.jpg
    colour, shape, _ = name.split("_")
    return colour, shape


def test_copies_group_together_and_other_shapes_do_not(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    data, folder = library
    code, out, err = cli(data, model_dir, "duplicates", "--json")
    assert code == 0, err
    groups = last_json(out)
    original = str(folder / "red_circle_000.jpg")
    copies = {str(folder / "variants" / n) for n in ("copy.jpg", "quality70.jpg", "smaller.jpg")}
    (theirs,) = [g for g in groups if original in [d["path"] for d in g]]
    assert {original, *copies} <= {d["path"] for d in theirs}
    for group in groups:
        assert len({_kind(d["path"]) for d in group}) == 1, group  # one kind of photo each
        assert group[0]["score"] == pytest.approx(1.0)
        assert all(0.95 <= d["score"] <= 1.0 for d in group)
    assert "group(s) of near-duplicates" in err


def test_a_strict_threshold_keeps_only_the_copies(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    # The fixture model sees two photos of one kind as alike (cosine up to about 0.97,
    # measured), so at 0.95 they group as above; its copies are closer still (>= 0.9998).
    data, folder = library
    code, out, _ = cli(data, model_dir, "duplicates", "--threshold", "0.9995", "--json")
    assert code == 0
    (group,) = last_json(out)
    paths = [d["path"] for d in group]
    assert set(paths) == {
        str(folder / "red_circle_000.jpg"),
        *(str(folder / "variants" / n) for n in ("copy.jpg", "quality70.jpg", "smaller.jpg")),
    }
    # the full-size ones (original and exact copy) first: the likeliest originals
    assert set(paths[:2]) == {str(folder / "red_circle_000.jpg"), str(folder / "variants/copy.jpg")}
    assert [d["score"] for d in group][:2] == [1.0, 1.0]


def test_text_output(library: tuple[Path, Path], model_dir: Path) -> None:
    code, out, _ = cli(library[0], model_dir, "duplicates", "--threshold", "0.9995")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "4 alike:"
    assert lines[1].split()[0] == "1.000" and len(lines) == 5


def test_paths_to_one_file_are_one_photo(tmp_path: Path, model_dir: Path) -> None:
    # As seen: best.jpg, a link to the camera's file, was kept (the shorter name) and the file
    # it points to listed as its duplicate, for the trash.
    folder = tmp_path / "photos"
    folder.mkdir()
    real = folder / "IMG_20230101_120000.jpg"
    make_photo("red", "circle", np.random.default_rng(5), size=(320, 240)).save(real)
    (folder / "best.jpg").symlink_to(real.name)
    hard = folder / "IMG_20230101_120000 (hard link).jpg"
    os.link(real, hard)
    make_photo("blue", "square", np.random.default_rng(6)).save(folder / "other.jpg")
    data = tmp_path / "data"
    assert cli(data, model_dir, "index", str(folder))[0] == 0
    code, out, _ = cli(data, model_dir, "duplicates", "--json")
    assert code == 0 and last_json(out) == []  # three paths, one photo: no duplicates

    with Image.open(real) as im:
        im.resize((160, 120), Image.Resampling.LANCZOS).save(folder / "small.jpg", quality=90)
    assert cli(data, model_dir, "index", str(folder))[0] == 0
    code, out, _ = cli(data, model_dir, "duplicates", "--json")
    (group,) = last_json(out)
    assert [d["path"] for d in group] == [str(real), str(folder / "small.jpg")]
    assert sorted(a["path"] for a in group[0]["aliases"]) == sorted(
        [str(folder / "best.jpg"), str(hard)]
    )
    assert group[1]["aliases"] == [] and [d["alike_kept"] for d in group] == [True, True]


@pytest.mark.parametrize("value", ["0", "1.5", "many"])
def test_a_bad_threshold_exits_2_with_one_line(model_dir: Path, tmp_path: Path, value: str) -> None:
    code, out, err = cli(tmp_path / "d", model_dir, "duplicates", "--threshold", value)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_an_empty_library_has_no_duplicates(model_dir: Path, tmp_path: Path) -> None:
    code, out, _ = cli(tmp_path / "d", model_dir, "duplicates", "--json")
    assert code == 0 and last_json(out) == []
