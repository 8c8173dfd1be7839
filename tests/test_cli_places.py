"""Places from the command line (issue #18): photos' GPS positions named offline, a place in a
query narrowing it ("a red circle in Portugal"), and `--place`. A photo without a position is
never placed anywhere. With the tiny real CLIP and real EXIF GPS directories."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from geotagged import GPS_IFD, gps_fields
from helpers import last_json, run_cli
from PIL import Image
from shapes import make_photo

LISBON = (38.7223, -9.1393)
PORTO = (41.1579, -8.6291)
TOKYO = (35.6895, 139.6917)

# name: (colour, shape, position or None)
PHOTOS = {
    "lisbon-red-1.jpg": ("red", "circle", LISBON),
    "lisbon-red-2.jpg": ("red", "circle", LISBON),
    "porto-red.jpg": ("red", "circle", PORTO),
    "lisbon-blue.jpg": ("blue", "square", LISBON),
    "porto-green.jpg": ("green", "triangle", PORTO),
    "tokyo-red-1.jpg": ("red", "circle", TOKYO),
    "tokyo-red-2.jpg": ("red", "circle", TOKYO),
    "tokyo-yellow.jpg": ("yellow", "square", TOKYO),
    "nowhere-red-1.jpg": ("red", "circle", None),
    "nowhere-red-2.jpg": ("red", "circle", None),
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("places") / "Trips"
    folder.mkdir()
    for i, (name, (colour, shape, position)) in enumerate(PHOTOS.items()):
        exif = Image.Exif()
        if position is not None:
            exif.get_ifd(GPS_IFD).update(gps_fields(*position))
        image = make_photo(colour, shape, np.random.default_rng(70 + i))
        image.save(folder / name, format="JPEG", exif=exif)
    data = tmp_path_factory.mktemp("places-data")
    code, out, err = cli(data, model_dir, "index", str(folder), "--json")
    assert code == 0, err
    assert last_json(out)["encoded"] == len(PHOTOS)
    return data, folder


def cli(data: Path, model: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli("--data-dir", str(data), "--model", str(model), *argv)


def found(library: tuple[Path, Path], model: Path, query: str, *argv: str) -> list[str]:
    data, _ = library
    code, out, err = cli(data, model, "search", query, "--json", "--top", "20", *argv)
    assert code == 0, err
    return [Path(hit["path"]).name for hit in json.loads(out)]


def test_a_red_circle_in_a_country_is_only_that_countrys_red_circles_first(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    names = found(library, model_dir, "a photo of a red circle in Portugal")
    assert set(names) == {n for n, (_, _, p) in PHOTOS.items() if p in (LISBON, PORTO)}
    assert set(names[:3]) == {"lisbon-red-1.jpg", "lisbon-red-2.jpg", "porto-red.jpg"}


def test_a_city_in_the_query_narrows_to_that_city(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    names = found(library, model_dir, "a photo of a red circle in Tokyo")
    assert set(names[:2]) == {"tokyo-red-1.jpg", "tokyo-red-2.jpg"}
    assert set(names) == {"tokyo-red-1.jpg", "tokyo-red-2.jpg", "tokyo-yellow.jpg"}


def test_a_place_alone_shows_the_photos_taken_there(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    assert set(found(library, model_dir, "Lisbon")) == {
        "lisbon-red-1.jpg", "lisbon-red-2.jpg", "lisbon-blue.jpg"
    }  # fmt: skip


@pytest.mark.parametrize("place", ["Japan", "jp", "TOKYO", "Tōkyō"])
def test_the_place_option_takes_a_country_its_code_or_a_city(
    library: tuple[Path, Path], model_dir: Path, place: str
) -> None:
    names = found(library, model_dir, "a photo of a red circle", "--place", place)
    assert set(names) == {"tokyo-red-1.jpg", "tokyo-red-2.jpg", "tokyo-yellow.jpg"}


def test_a_photo_without_a_position_is_never_placed_anywhere(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    for place in ("Portugal", "Japan", "Lisbon", "Porto", "Tokyo"):
        names = found(library, model_dir, "a photo of a red circle", "--place", place)
        assert not [n for n in names if n.startswith("nowhere")], place
    everywhere = found(library, model_dir, "a photo of a red circle")
    assert {"nowhere-red-1.jpg", "nowhere-red-2.jpg"} <= set(everywhere)


def test_a_place_with_no_photos_finds_nothing_and_an_empty_place_exits_2(
    library: tuple[Path, Path], model_dir: Path
) -> None:
    assert found(library, model_dir, "a photo of a red circle", "--place", "Chile") == []
    data, _ = library
    code, _, err = cli(data, model_dir, "search", "red", "--place", " ")
    assert code == 2 and len(err.strip().splitlines()) == 1
