"""Place names in search queries, from the gazetteer that names photos' places."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from photofind.core.photos.location import where
from photofind.core.search.place_names import PlaceMention, find_places, fold


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def _named(text: str, cache: Path) -> list[tuple[str, str, str, str]]:
    """(the text covered, kind, country code, name) of each place found."""
    return [
        (text[m.start : m.end], m.kind, m.country_code, m.name) for m in find_places(text, cache)
    ]


def test_a_country_after_a_preposition_covers_both(cache: Path) -> None:
    found = find_places("beach in Portugal", cache)
    assert found == [PlaceMention(6, 17, "country", "PT", "Portugal")]
    assert "beach in Portugal"[: found[0].start].strip() == "beach"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lisbon 2019", [("Lisbon", "city", "PT", "Lisbon")]),
        ("tokyo tower", [("tokyo", "city", "JP", "Tokyo")]),
        ("new york skyline", [("new york", "region", "US", "New York")]),
        ("New York City at night", [("New York City", "city", "US", "New York City")]),
        ("São Paulo", [("São Paulo", "city", "BR", "São Paulo")]),
        ("Sao Paulo", [("Sao Paulo", "city", "BR", "São Paulo")]),
        ("rio de janeiro beach", [("rio de janeiro", "city", "BR", "Rio de Janeiro")]),
        ("snow in Bavaria", [("in Bavaria", "region", "DE", "Bavaria")]),
        ("england countryside", [("england", "region", "GB", "England")]),
        (
            "paris, france",
            [("paris", "city", "FR", "Paris"), ("france", "country", "FR", "France")],
        ),
        ("USA road trip", [("USA", "country", "US", "United States")]),
        ("tulips from Holland", [("from Holland", "country", "NL", "Netherlands")]),
        ("MOSCOW", [("MOSCOW", "city", "RU", "Moscow")]),
    ],
)
def test_places_are_named_as_their_photos_places_are(
    text: str, expected: list[tuple[str, str, str, str]], cache: Path
) -> None:
    assert _named(text, cache) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a red circle",
        "nice sunset",
        "turkey dinner",
        "reading a book",
        "george at the beach",
        "photos of us",
        '"Paris" receipt',
        "receipt “London”",
        "birthday in March",
        "dinner at home",
        "statue of liberty",
        "",
    ],
)
def test_ordinary_words_and_quoted_words_are_no_places(text: str, cache: Path) -> None:
    assert find_places(text, cache) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sunset in Nice", ("in Nice", "city", "FR", "Nice")),
        ("holiday in turkey", ("in turkey", "country", "TR", "Turkey")),
        ("sunset near Reading", ("near Reading", "city", "GB", "Reading")),
        ("wine from Georgia", ("from Georgia", "country", "GE", "Georgia")),
        ("flag of the US", ("US", "country", "US", "United States")),
    ],
)
def test_ordinary_words_name_places_after_a_preposition_or_in_capitals(
    text: str, expected: tuple[str, str, str, str], cache: Path
) -> None:
    assert _named(text, cache) == [expected]


def test_small_towns_count_only_after_a_preposition(cache: Path) -> None:
    assert find_places("hiking ericeira", cache) == []  # a town of ~10-15,000
    assert _named("surfing in Peniche", cache) == [("in Peniche", "city", "PT", "Peniche")]


def test_names_are_spelt_as_where_stores_them(cache: Path) -> None:
    lisbon, times_square = where(38.72, -9.14), where(40.758, -73.9855)
    assert lisbon is not None and times_square is not None
    assert _named("portugal lisbon", cache) == [
        ("portugal", "country", "PT", lisbon.country),
        ("lisbon", "city", "PT", lisbon.city),
    ]
    assert _named("new york", cache)[0][3] == times_square.region


def test_fold_ignores_case_and_accents() -> None:
    assert fold("São Paulo") == fold("SAO PAULO") == "sao paulo"
    assert fold("Île-de-France") == "ile-de-france"


def test_the_names_are_kept_for_the_next_process(cache: Path) -> None:
    find_places("Lisbon", cache)
    assert (cache / "place-names.marshal").is_file()
    # A fresh process finds the same places without reading the gazetteer again.
    script = textwrap.dedent(
        f"""
        import photofind.core.photos.location as location
        from pathlib import Path

        def refuse():
            raise AssertionError("gazetteer read")

        location.gazetteer = refuse
        from photofind.core.search.place_names import find_places
        found = find_places("sunset in Nice", Path({str(cache)!r}))
        print(found[0].name, found[0].country_code)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Nice", "FR"]


def test_a_damaged_names_file_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "place-names.marshal").write_bytes(b"not marshal")
    assert _named("Lisbon", tmp_path) == [("Lisbon", "city", "PT", "Lisbon")]
    _, (places, _) = marshal.loads((tmp_path / "place-names.marshal").read_bytes())
    assert places["lisbon"].startswith("city\tPT\tLisbon")


def test_a_name_with_a_tab_is_found_whole(tmp_path: Path) -> None:
    """Names are kept as tab-joined fields: a tab in a name must not split it."""
    script = textwrap.dedent(
        """
        from photofind.core.photos import location
        from photofind.core.photos.gazetteer import Gazetteer
        from photofind.core.search.place_names import find_places

        countries = location.gazetteer().countries
        odd = Gazetteer(["Tab\\tTown"], ["PT"], ["Lisbon"], [500_000], [38.7], [-9.1], countries)
        location.gazetteer = lambda: odd
        found = find_places("sunset in tab town")
        print(repr(found[0].name), found[0].kind)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PHOTOFIND_CACHE_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["'Tab", "Town'", "city"]
