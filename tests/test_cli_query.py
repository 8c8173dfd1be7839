"""The query language through `photofind search`, with the tiny real CLIP: sums, differences,
weights and photo terms mean what they say; malformed queries are one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import last_json, run_cli
from shapes import CLASSES, caption, make_photo

from photofind.core.library import Library


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, model_dir: Path, shapes_dir: Path) -> Path:
    data = tmp_path_factory.mktemp("query-data")
    assert cli(data, model_dir, "index", str(shapes_dir))[0] == 0
    return data


def cli(data: Path, model: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli("--data-dir", str(data), "--model", str(model), *argv)


@pytest.fixture(scope="module")
def library(indexed: Path, model_dir: Path) -> Iterator[Library]:
    """The same library in-process: one model load for the tests that ask many queries."""
    library = Library(indexed, str(model_dir), "cpu")
    yield library
    library.close()


def _kind(path: str) -> tuple[str, str]:
    colour, shape, _ = Path(path).name.split("_")
    return colour, shape


def kinds(data: Path, model: Path, query: str, top: int) -> list[tuple[str, str]]:
    """What `photofind search QUERY` finds, as (colour, shape) of each photo."""
    code, out, err = cli(data, model, "search", query, "--top", str(top), "--json")
    assert code == 0, err
    return [_kind(h["path"]) for h in last_json(out)]  # type: ignore[union-attr]


def found(library: Library, query: str, top: int) -> list[tuple[str, str]]:
    """The same through Searcher.query, the call the CLI makes."""
    return [_kind(h.path) for h in library.searcher.query(query, top)]


def test_red_plus_circle_ranks_red_circles_first(indexed: Path, model_dir: Path) -> None:
    assert kinds(indexed, model_dir, "red + circle", 10) == [("red", "circle")] * 10


def test_a_colour_plus_a_shape_finds_what_neither_word_finds_alone(library: Library) -> None:
    # The fixture model reads a lone colour as that colour's circle and a lone shape as one
    # colour of it (measured: "circle" alone finds blue circles); the sum finds the pair.
    summed, alone = [], []
    for colour, shape in CLASSES:
        summed.append(found(library, f"{colour} + {shape}", 12).count((colour, shape)) / 12)
        for word in (colour, shape):
            alone.append(found(library, word, 12).count((colour, shape)) / 12)
    assert min(summed) >= 0.9, summed
    assert np.mean(summed) >= 0.95
    assert np.mean(alone) <= 0.5  # measured 0.25: the words alone mostly miss


@pytest.mark.parametrize(("colour", "shape"), CLASSES)
def test_taking_the_colour_away_brings_the_other_colours_up(
    library: Library, colour: str, shape: str
) -> None:
    described = caption(colour, shape)
    assert found(library, described, 10) == [(colour, shape)] * 10
    rest = found(library, f"{described} - {colour}", 10)
    assert all(s == shape for _, s in rest), rest
    # Measured: none of the colour taken away among the ten, but two blue triangles in
    # "a photo of a blue triangle - blue", which the fixture model reads less well.
    assert sum(c != colour for c, _ in rest) >= 8, rest


def test_a_photo_of_a_red_circle_minus_red_on_the_command_line(
    indexed: Path, model_dir: Path
) -> None:
    rest = kinds(indexed, model_dir, "a photo of a red circle - red", 10)
    assert all(s == "circle" and c != "red" for c, s in rest), rest


def test_a_weight_sets_how_much_a_term_counts(library: Library) -> None:
    # Taking half of "red" away is not enough to leave red circles; all of it is.
    assert found(library, "a photo of a red circle - 0.5:red", 5)[0] == ("red", "circle")
    assert ("red", "circle") not in found(library, "a photo of a red circle - 1:red", 5)


def test_a_library_photo_as_a_term_ranks_photos_like_it(
    indexed: Path, model_dir: Path, shapes_dir: Path
) -> None:
    query = sorted(shapes_dir.glob("green_square_*.jpg"))[0]
    code, out, _ = cli(indexed, model_dir, "search", str(query), "--top", "5", "--json")
    assert code == 0
    hits = last_json(out)
    assert str(query) not in [h["path"] for h in hits]  # never its own result
    assert all(Path(h["path"]).name.startswith("green_square_") for h in hits)
    # the same as `similar`
    assert hits == last_json(
        cli(indexed, model_dir, "similar", str(query), "--top", "5", "--json")[1]
    )


@pytest.mark.parametrize(
    ("colour", "shape", "seed"), [("blue", "triangle", 99), ("red", "square", 7)]
)
def test_a_photo_outside_the_library_mixed_with_text(
    indexed: Path, model_dir: Path, tmp_path: Path, colour: str, shape: str, seed: int
) -> None:
    folder = tmp_path / "my photos"
    folder.mkdir()
    photo = folder / "a - query.png"  # a space and " - " in it: quoted
    make_photo(colour, shape, np.random.default_rng(seed)).save(photo)
    assert kinds(indexed, model_dir, f'"{photo}"', 5) == [(colour, shape)] * 5
    found = kinds(indexed, model_dir, f'"{photo}" - {colour}', 5)
    assert all(s == shape and c != colour for c, s in found), found


def test_a_plain_query_is_the_search_it_always_was(
    indexed: Path, model_dir: Path, library: Library
) -> None:
    for text in ("a photo of a red circle", "blue t-shirt", "C++ 10:30 kid's yellow"):
        code, out, _ = cli(indexed, model_dir, "search", text, "--top", "20", "--json")
        assert code == 0
        before = [
            {"path": h.path, "score": round(h.score, 6)} for h in library.searcher.text(text, 20)
        ]
        assert last_json(out) == before


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("+", "nothing after '+' at position 1"),
        ("2:", "weight '2:' at position 1 has no term after it"),
        ("dog +", "nothing after '+' at position 5"),
        ('red + "circle', "unterminated quote at position 7"),
        ("red + + circle", "followed by another operator"),
        ("red - red", "cancel each other out"),
        ("red + /no/such/photo.jpg", "photo not found: /no/such/photo.jpg (position 7)"),
    ],
)
def test_malformed_queries_exit_2_with_one_line(
    indexed: Path, model_dir: Path, query: str, message: str
) -> None:
    code, out, err = cli(indexed, model_dir, "search", query)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert out == ""
