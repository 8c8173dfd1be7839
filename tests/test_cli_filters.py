"""`search` and `similar` narrowed and ordered from the command line (issue #7's filters): dates
taken, folders, file types, order by date and the adaptive cutoff, with the tiny real CLIP."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from helpers import last_json, run_cli
from PIL import Image
from rawfiles import make_dng
from shapes import make_photo

# name: (colour, shape, EXIF date taken or None, file time)
PHOTOS = {
    "2019/beach.jpg": ("red", "circle", "2019:07:14 10:00:00", "2024-01-10 09:00"),
    "2019/party.JPG": ("red", "circle", "2019:12:31 23:30:00", "2024-01-10 09:00"),
    "2021/garden.png": ("red", "circle", None, "2021-03-05 00:10"),
    "2021/IMG_0001.DNG": ("red", "circle", "2021:08:01 09:00:00", "2021-08-02 09:00"),
    "2021/lake.webp": ("blue", "square", None, "2023-06-01 12:00"),
    "2021 extra/city.jpg": ("red", "circle", None, "2021-03-04 23:50"),
    "2021 extra/field.jpg": ("green", "triangle", None, "2021-03-04 23:55"),
}


def _save(path: Path, image: Image.Image, taken: str | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".DNG":
        path.write_bytes(make_dng(image.resize((400, 300)), taken=taken))
        return
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    image.save(path, format={".png": "PNG", ".webp": "WEBP"}.get(path.suffix, "JPEG"), exif=exif)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("filters") / "Pictures"
    for i, (name, (colour, shape, taken, mtime)) in enumerate(PHOTOS.items()):
        path = folder / name
        _save(path, make_photo(colour, shape, np.random.default_rng(40 + i)), taken)
        stamp = datetime.fromisoformat(mtime).timestamp()
        os.utime(path, (stamp, stamp))
    data = tmp_path_factory.mktemp("filters-data")
    code, out, _ = cli(data, model_dir, "index", str(folder), "--json")
    assert code == 0 and last_json(out)["encoded"] == len(PHOTOS)
    return data, folder


def cli(data: Path, model: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli("--data-dir", str(data), "--model", str(model), *argv)


def _found(library: tuple[Path, Path], model: Path, *argv: str) -> list[str]:
    """The photos a search for red circles shows, as names relative to the folder, in order."""
    data, folder = library
    code, out, err = cli(data, model, "search", "a photo of a red circle", "--json", *argv)
    assert code == 0, err
    return [str(Path(h["path"]).relative_to(folder)) for h in last_json(out)]


def test_a_date_range_uses_the_date_taken_else_the_file_date(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    assert sorted(_found(library, model_dir, "--to", "2019")) == [
        "2019/beach.jpg",
        "2019/party.JPG",
    ]
    # Taken late on New Year's Eve 2019, copied in 2024: the date taken counts.
    assert _found(library, model_dir, "--from", "2019-12-31", "--to", "2019-12") == [
        "2019/party.JPG"
    ]
    # No EXIF date: the file's own (local) date, right up to midnight.
    assert _found(library, model_dir, "--from", "2021-03-05", "--to", "2021-03-05") == [
        "2021/garden.png"
    ]
    assert sorted(_found(library, model_dir, "--from", "2021-03", "--to", "2021-03-04")) == [
        "2021 extra/city.jpg",
        "2021 extra/field.jpg",
    ]


def test_a_folder_and_file_types_narrow_the_results(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    _, folder = library
    in_2021 = _found(library, model_dir, "--folder", str(folder / "2021"))
    assert sorted(in_2021) == ["2021/IMG_0001.DNG", "2021/garden.png", "2021/lake.webp"]
    assert sorted(_found(library, model_dir, "--type", "jpeg")) == [
        "2019/beach.jpg",
        "2019/party.JPG",
        "2021 extra/city.jpg",
        "2021 extra/field.jpg",
    ]
    assert _found(library, model_dir, "--type", "RAW") == ["2021/IMG_0001.DNG"]
    assert sorted(_found(library, model_dir, "--type", "png,webp,heic")) == [
        "2021/garden.png",
        "2021/lake.webp",
    ]
    all_of_them = _found(
        library, model_dir, "--folder", str(folder), "--from", "2019", "--to", "2030"
    )
    assert len(all_of_them) == len(PHOTOS)


def test_sort_by_date_orders_the_best_matches_and_keeps_scores(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    data, _ = library
    newest = _found(library, model_dir, "--sort", "newest")
    assert newest == [
        "2021/lake.webp",  # file date 2023
        "2021/IMG_0001.DNG",  # taken 2021-08-01
        "2021/garden.png",  # file date 2021-03-05
        "2021 extra/field.jpg",  # 23:55 the day before
        "2021 extra/city.jpg",  # 23:50
        "2019/party.JPG",  # taken 2019-12-31
        "2019/beach.jpg",  # taken 2019-07-14
    ]
    assert _found(library, model_dir, "--sort", "oldest") == newest[::-1]
    # The plain output keeps its format: score, two spaces, path.
    code, out, _ = cli(data, model_dir, "search", "a red circle", "--sort", "oldest", "--top", "2")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert all(re.fullmatch(r" ?-?\d\.\d{3}  /.+", line) for line in lines), lines
    assert all(Path(line.split("  ", 1)[1]).is_file() for line in lines)
    # --top picks the best matches; --sort orders only them.
    best_two = _found(library, model_dir, "--top", "2")
    assert sorted(_found(library, model_dir, "--top", "2", "--sort", "newest")) == sorted(best_two)


def test_the_cutoff_leaves_out_what_is_far_from_the_best_match(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    close = _found(library, model_dir, "--cutoff")
    assert "2021/lake.webp" not in close and "2021 extra/field.jpg" not in close
    assert {"2019/beach.jpg", "2019/party.JPG", "2021/garden.png"} <= set(close)


def test_similar_takes_the_same_filters(library: tuple[Path, Path], model_dir: Path) -> None:
    data, folder = library
    photo = folder / "2019" / "beach.jpg"
    code, out, _ = cli(
        data, model_dir, "similar", str(photo), "--json", "--type", "jpeg", "--sort", "oldest"
    )
    assert code == 0
    names = [str(Path(h["path"]).relative_to(folder)) for h in last_json(out)]
    assert names == ["2019/party.JPG", "2021 extra/city.jpg", "2021 extra/field.jpg"]
    code, out, _ = cli(data, model_dir, "similar", str(photo), "--json", "--cutoff")
    names = [Path(h["path"]).name for h in last_json(out)]
    assert code == 0 and "lake.webp" not in names and "party.JPG" in names


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--from", "2021-02-30"), "argument --from: not a date: '2021-02-30' (no such date)"),
        (("--to", "last week"), "argument --to: not a date: 'last week'"),
        (("--from", "2022", "--to", "2021"), "--from 2022-01-01 is after --to 2021-12-31"),
        (("--type", "jpeg,psd"), "argument --type: unknown file type 'psd' (known: jpeg, png"),
        (("--folder", "/no/such/folder"), "argument --folder: folder not found: /no/such/folder"),
        (("--sort", "date"), "argument --sort: invalid choice: 'date'"),
    ],
)
def test_bad_filters_exit_2_with_one_line(
    library: tuple[Path, Path], model_dir: Path, argv: tuple[str, ...], message: str
) -> None:
    data, folder = library
    for command in (("search", "a red circle"), ("similar", str(folder / "2019" / "beach.jpg"))):
        code, out, err = cli(data, model_dir, *command, *argv)
        assert code == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and message in err, err
