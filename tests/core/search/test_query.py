"""The query language's grammar and arithmetic (meaning is tested in tests/test_cli_query.py
with the fixture model)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from photofind.core.errors import QueryError
from photofind.core.search.query import LocatedQueryError, combine, parse_query


def _terms(text: str) -> list[tuple[str, str, float, str]]:
    """(kind, value, weight, the term's own span of the text) of each term."""
    return [(t.kind, t.value, t.weight, text[t.start : t.end]) for t in parse_query(text).terms]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        (
            "beach + sunset - people",
            [
                ("text", "beach", 1.0, "beach"),
                ("text", "sunset", 1.0, "sunset"),
                ("text", "people", -1.0, "people"),
            ],
        ),
        (
            "2:dog - 0.5:cat",
            [("text", "dog", 2.0, "2:dog"), ("text", "cat", -0.5, "0.5:cat")],
        ),
        ("-0.5:cat", [("text", "cat", -0.5, "0.5:cat")]),
        ("1.5: dog", [("text", "dog", 1.5, "1.5: dog")]),
        ("dog -cat", [("text", "dog", 1.0, "dog"), ("text", "cat", -1.0, "cat")]),
        ("  a red  car  ", [("text", "a red  car", 1.0, "a red  car")]),
        # + and - inside a word, and a time, are text
        ("t-shirt", [("text", "t-shirt", 1.0, "t-shirt")]),
        ("C++ code", [("text", "C++ code", 1.0, "C++ code")]),
        ("10:30 meeting", [("text", "10:30 meeting", 1.0, "10:30 meeting")]),
        ("kid's party", [("text", "kid's party", 1.0, "kid's party")]),
        # quotes keep operators and spaces inside one term
        (
            '"black - white" + cat',
            [("words", "black - white", 1.0, '"black - white"'), ("text", "cat", 1.0, "cat")],
        ),
        (
            "\u201cred\u201d+circle",
            [("words", "red", 1.0, "\u201cred\u201d"), ("text", "circle", 1.0, "circle")],
        ),
        # photos: a path-like term, or a photo extension
        (
            "/p/beach.jpg + sunset",
            [("photo", "/p/beach.jpg", 1.0, "/p/beach.jpg"), ("text", "sunset", 1.0, "sunset")],
        ),
        (
            '"/p/my photos/a - b.jpg" - snow',
            [
                ("photo", "/p/my photos/a - b.jpg", 1.0, '"/p/my photos/a - b.jpg"'),
                ("text", "snow", -1.0, "snow"),
            ],
        ),
        (
            "/p/my photos/beach 1.png",
            [("photo", "/p/my photos/beach 1.png", 1.0, "/p/my photos/beach 1.png")],
        ),
        ("holiday.HEIC", [("photo", "holiday.HEIC", 1.0, "holiday.HEIC")]),
        ("2:./a.webp", [("photo", "./a.webp", 2.0, "2:./a.webp")]),
        # one kind of quote inside the other is part of the term
        ('"a \u201cb\u201d c"', [("words", "a \u201cb\u201d c", 1.0, '"a \u201cb\u201d c"')]),
        ('\u201csay "hi"\u201d', [("words", 'say "hi"', 1.0, '\u201csay "hi"\u201d')]),
        ("\u201ddog\u201d", [("words", "dog", 1.0, "\u201ddog\u201d")]),
        ('"a"-b', [("words", "a", 1.0, '"a"'), ("text", "b", -1.0, "b")]),
        # a quoted phrase beside other terms needs no operator, as in a web search
        ('cat "dog"', [("text", "cat", 1.0, "cat"), ("words", "dog", 1.0, '"dog"')]),
        ('"cat"dog', [("words", "cat", 1.0, '"cat"'), ("text", "dog", 1.0, "dog")]),
        # straight quotes do not nest: the second one closes the first
        (
            '"a "b" c"',
            [
                ("words", "a", 1.0, '"a "'),
                ("text", "b", 1.0, "b"),
                ("words", "c", 1.0, '" c"'),
            ],
        ),
        # a term takes one weight: what looks like a second one is text
        ("2: 3:dog", [("text", "3:dog", 2.0, "2: 3:dog")]),
        (
            '- 0.5:"/p/my photos/a b.jpg" + sea',
            [
                ("photo", "/p/my photos/a b.jpg", -0.5, '0.5:"/p/my photos/a b.jpg"'),
                ("text", "sea", 1.0, "sea"),
            ],
        ),
    ],
)
def test_terms_signs_weights_and_photos(text: str, terms: list) -> None:
    assert _terms(text) == terms


def test_home_in_a_photo_path_is_expanded() -> None:
    (term,) = parse_query("~/Pictures/a.jpg").terms
    assert term.kind == "photo" and term.value == os.path.expanduser("~/Pictures/a.jpg")


def test_only_a_lone_unweighted_text_is_plain() -> None:
    assert parse_query(" a photo of a dog ").is_plain_text
    assert parse_query("t-shirt").is_plain_text
    for text in ("2:dog", "-dog", "+dog", '"dog"', "dog + cat", "/p/a.jpg"):
        assert not parse_query(text).is_plain_text, text


@pytest.mark.parametrize(
    ("text", "message", "span"),
    [
        ("+", "nothing after '+' at position 1", (0, 1)),
        ("dog +", "nothing after '+' at position 5", (4, 5)),
        ("dog + cat -", "nothing after '-' at position 11", (10, 11)),
        ("2:", "weight '2:' at position 1 has no term after it", (0, 2)),
        ("dog + 2:", "weight '2:' at position 7 has no term after it", (6, 8)),
        ("2:-dog", "weight '2:' at position 1 must be followed by a term, not '-'", (0, 2)),
        ("0:dog", "weight '0' at position 1 must be more than 0", (0, 2)),
        (
            "dog + + cat",
            "'+' at position 5 is followed by another operator, '+' at position 7",
            (4, 7),
        ),
        ('"dog', "unterminated quote at position 1", (0, 4)),
        ('cat + "dog', "unterminated quote at position 7", (6, 10)),
        ('""', "empty quotes at position 1", (0, 2)),
        ("dog - ", "nothing after '-' at position 5", (4, 5)),
        ("+ 2:", "weight '2:' at position 3 has no term after it", (2, 4)),
        ("cat + 0.0:dog", "weight '0.0' at position 7 must be more than 0", (6, 10)),
        ('2:"dog', "unterminated quote at position 3", (2, 6)),
        ('"   "', "empty quotes at position 1", (0, 5)),
        ("cat + \u201c\u201d", "empty quotes at position 7", (6, 8)),
        # the first problem from the left is the one reported
        ('cat ""', "empty quotes at position 5", (4, 6)),
        ('dog + + "cat', "'+' at position 5 is followed by another operator", (4, 7)),
    ],
)
def test_malformed_queries_say_what_and_where(
    text: str, message: str, span: tuple[int, int]
) -> None:
    with pytest.raises(LocatedQueryError) as caught:
        parse_query(text)
    assert message in str(caught.value)
    assert f"position {caught.value.start + 1}" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert (caught.value.start, caught.value.end) == span


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_query(text: str) -> None:
    with pytest.raises(QueryError, match="the search text is empty"):
        parse_query(text)


def test_combine_is_the_normalised_weighted_sum() -> None:
    x, y = np.eye(2, dtype=np.float32)
    assert np.allclose(combine([x, y], [1.0, 1.0]), [0.7071068, 0.7071068])
    assert np.allclose(combine([x, y], [2.0, -2.0]), [0.7071068, -0.7071068])
    got = combine([x, y], [3.0, 4.0])
    assert got.dtype == np.float32 and np.allclose(got, [0.6, 0.8])
    assert np.allclose(combine([y], [-0.5]), [0.0, -1.0])


def test_a_single_term_comes_back_unchanged() -> None:
    v = np.array([0.6, 0.8], dtype=np.float32)
    assert combine([v], [2.0]) is v or np.array_equal(combine([v], [2.0]), v)


def test_terms_that_cancel_out_are_an_error() -> None:
    x = np.array([1.0, 0.0], dtype=np.float32)
    with pytest.raises(QueryError, match="cancel"):
        combine([x, x], [1.0, -1.0])
