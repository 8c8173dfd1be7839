"""`photofind duplicates` with the tiny real CLIP: copies of a photo (exact, re-encoded,
resized) group together; photos of different shapes or colours never do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import last_json, run_cli
from PIL import Image
from shapes import generate_folder


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
    # The fixture model sees any two photos of one kind as alike (cosine 0.98-0.9994,
    # measured), so at 0.95 they group as above; its copies are closer still (>= 0.99998).
    data, folder = library
    code, out, _ = cli(data, model_dir, "duplicates", "--threshold", "0.9999", "--json")
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
    code, out, _ = cli(library[0], model_dir, "duplicates", "--threshold", "0.9999")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "4 alike:"
    assert lines[1].split()[0] == "1.000" and len(lines) == 5


@pytest.mark.parametrize("value", ["0", "1.5", "many"])
def test_a_bad_threshold_exits_2_with_one_line(model_dir: Path, tmp_path: Path, value: str) -> None:
    code, out, err = cli(tmp_path / "d", model_dir, "duplicates", "--threshold", value)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_an_empty_library_has_no_duplicates(model_dir: Path, tmp_path: Path) -> None:
    code, out, _ = cli(tmp_path / "d", model_dir, "duplicates", "--json")
    assert code == 0 and last_json(out) == []
