"""Zero-shot tags with the tiny real CLIP: an editable vocabulary (tags.txt), tags from the
stored vectors (no re-encoding), `search --tag`, and `describe`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import last_json, run_cli
from shapes import CLASSES, generate_folder

from photofind.core.search.tags import DEFAULT_TAGS


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tags") / "photos"
    generate_folder(folder, per_class=4, seed=77)
    data = tmp_path_factory.mktemp("tags-data")
    assert cli(data, model_dir, "index", str(folder))[0] == 0
    return data, folder


def cli(data: Path, model: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli("--data-dir", str(data), "--model", str(model), *argv)


def _class_vocabulary(data: Path) -> None:
    lines = [f"{c} {s} = a {c} {s}" for c, s in CLASSES]
    (data / "tags.txt").write_text("# the test's own tags\n" + "\n".join(lines) + "\n")


def test_the_default_vocabulary_is_written_for_the_user_to_edit(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    data, _ = library
    (data / "tags.txt").unlink(missing_ok=True)
    code, out, _ = cli(data, model_dir, "tags", "--json")
    assert code == 0
    assert list(json.loads(out)) == list(DEFAULT_TAGS)
    assert re.search(r"^beach +=  *a beach by the sea$", (data / "tags.txt").read_text(), re.M)
    code, out, err = cli(data, model_dir, "tags")
    assert code == 0 and out.startswith("screenshot") and "tags.txt" in err


def test_each_photo_is_described_by_its_own_kind(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    data, folder = library
    _class_vocabulary(data)
    right = 0
    photos = sorted(folder.glob("*_000.jpg"))
    for photo in photos:
        code, out, _ = cli(data, model_dir, "describe", str(photo), "--json")
        assert code == 0
        best = last_json(out)[0]
        right += best["tag"] == photo.name.rsplit("_", 1)[0].replace("_", " ")
    assert right >= 0.9 * len(photos)


def test_search_by_tag_keeps_only_photos_carrying_it_and_edits_apply_at_once(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    data, _ = library
    _class_vocabulary(data)
    code, out, _ = cli(data, model_dir, "search", "a photo", "--tag", "red circle", "--json")
    assert code == 0
    names = [Path(h["path"]).name for h in json.loads(out)]
    assert names and all(n.startswith("red_circle") for n in names)

    # A new vocabulary takes effect without re-indexing anything.
    colours = ("red", "green", "blue", "yellow")
    (data / "tags.txt").write_text("".join(f"{c} = a {c} shape\n" for c in colours))
    code, out, _ = cli(data, model_dir, "search", "a photo", "--tag", "blue", "--json")
    found = [Path(h["path"]).name for h in json.loads(out)]
    assert code == 0 and found and all(n.startswith("blue_") for n in found)
    code, out, _ = cli(data, model_dir, "index", str(library[1]), "--json")
    assert last_json(out)["encoded"] == 0


def test_unknown_tags_and_malformed_vocabularies_are_one_line_errors(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    data, _ = library
    _class_vocabulary(data)
    code, _, err = cli(data, model_dir, "search", "a photo", "--tag", "unicorn")
    assert code == 2 and "no tag 'unicorn'" in err and len(err.strip().splitlines()) == 1
    (data / "tags.txt").write_text("red circle = a red circle\n= nameless\n")
    code, _, err = cli(data, model_dir, "tags")
    assert code == 2 and "line 2" in err and len(err.strip().splitlines()) == 1


def test_similar_by_tag_keeps_only_photos_carrying_it(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    data, folder = library
    _class_vocabulary(data)
    photo = sorted(folder.glob("red_circle_*.jpg"))[0]
    code, out, _ = cli(data, model_dir, "similar", str(photo), "--tag", "blue square", "--json")
    names = [Path(h["path"]).name for h in json.loads(out)]
    assert code == 0 and names and all(n.startswith("blue_square") for n in names)
