"""The query language: text and photos, added and taken away, with weights.

    beach + sunset - people          add two descriptions, take one away
    2:dog + cat                      a weight before a term (a positive number and a colon)
    red car - 0.5:rain               a weight after a minus takes away that much
    ~/Pictures/beach.jpg + sunset    a photo (a path) mixed with text
    "~/My Photos/a - b.jpg" - snow   double quotes keep spaces, + and - inside one term

A term is text unless it looks like a path to a photo: it starts with `/`, `~`, `./` or
`../`, or ends with a photo extension (`.jpg`, `.png`, …). `+` and `-` are operators only at
the start of a term or after a space, so `t-shirt` and `C++` stay text; weights are read only
at the start of a term, and never in front of a digit (`10:30` is text).

The query vector is the normalised weighted sum of the terms' unit vectors (`combine`). A
query with one term and no weight is the plain search it always was.

A malformed query raises QueryError located on the text (`QueryError.start`/`end`, offsets
into the query) with a one-line message naming the problem and its position, counted in
characters from 1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from photofind.core.errors import QueryError
from photofind.core.photos.imaging import PHOTO_EXTENSIONS

OPERATORS = "+-"
# Straight and typographic double quotes (a phone keyboard or a word processor makes “…”).
_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201d": "\u201d"}
_WEIGHT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*:(?!\d)")
_PATH_PREFIXES = ("/", "~", "./", "../", ".\\", "..\\")
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:[\\/]")
# Weighted terms whose sum is shorter than this cancel out: no direction to search in.
_CANCELLED = 1e-4


class LocatedQueryError(QueryError):
    """A problem with one part of a query: `start` and `end` are offsets into the query text
    (end exclusive), for a front end to underline; the message says the position too."""

    def __init__(self, message: str, start: int, end: int | None = None) -> None:
        super().__init__(message)
        self.start = start
        self.end = max(end if end is not None else start + 1, start + 1)


@dataclass(frozen=True)
class Term:
    """One part of a query: text to describe, or a photo (its path, `~` expanded)."""

    kind: str  # "text" or "photo"
    value: str
    weight: float  # signed: a term after "-" takes away
    start: int  # where it stands in the query text (end exclusive)
    end: int


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[Term, ...]

    @property
    def is_plain_text(self) -> bool:
        """One text term with no operator or weight: the search as it was before the query
        language (the whole text encoded as it is)."""
        return (
            len(self.terms) == 1
            and self.terms[0].kind == "text"
            and self.terms[0].weight == 1.0
            and self.terms[0].value == self.text.strip()
        )


def is_photo_term(value: str) -> bool:
    """Whether a term names a photo file rather than describing one."""
    return (
        value.startswith(_PATH_PREFIXES)
        or bool(_WINDOWS_DRIVE.match(value))
        or PurePath(value).suffix.lower() in PHOTO_EXTENSIONS
    )


def parse_query(text: str) -> Query:
    """Split a query into signed, weighted terms; raises QueryError if it is malformed."""
    terms: list[Term] = []
    sign, operator_at = 1.0, -1  # the pending operator (-1: none yet)
    weight, weight_at, weight_end = 1.0, -1, -1  # the pending weight (-1: none)
    expect_term = True
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            break
        c = text[i]
        if c in OPERATORS:
            if expect_term and weight_at >= 0:
                raise LocatedQueryError(
                    f"weight {text[weight_at:weight_end].strip()!r} at position "
                    f"{weight_at + 1} must be followed by a term, not {c!r}",
                    weight_at,
                    weight_end,
                )
            if expect_term and operator_at >= 0:
                raise LocatedQueryError(
                    f"{text[operator_at]!r} at position {operator_at + 1} is followed by "
                    f"another operator, {c!r} at position {i + 1}; put a term between them",
                    operator_at,
                    i + 1,
                )
            sign, operator_at, expect_term = (1.0 if c == "+" else -1.0), i, True
            i += 1
            continue
        if not expect_term:
            # A run of words ends only before an operator, a quote or the end of the text.
            where = "before the quote" if c in _QUOTES else "after the quoted term"
            raise LocatedQueryError(f"expected '+' or '-' {where}, at position {i + 1}", i)
        match = _WEIGHT.match(text, i) if weight_at < 0 else None
        if match:
            weight, weight_at, weight_end = float(match.group(1)), i, match.end()
            if weight <= 0:
                raise LocatedQueryError(
                    f"weight {match.group(1)!r} at position {i + 1} must be more than 0",
                    i,
                    match.end(),
                )
            i = match.end()
            continue
        start = weight_at if weight_at >= 0 else i
        if c in _QUOTES:
            close = text.find(_QUOTES[c], i + 1)
            if close < 0:
                raise LocatedQueryError(f"unterminated quote at position {i + 1}", i, n)
            value, end = text[i + 1 : close].strip(), close + 1
            if not value:
                raise LocatedQueryError(f"empty quotes at position {i + 1}", i, end)
        else:
            value = text[i : _end_of_words(text, i)].rstrip()
            end = i + len(value)
        if is_photo_term(value):
            terms.append(Term("photo", os.path.expanduser(value), sign * weight, start, end))
        else:
            terms.append(Term("text", value, sign * weight, start, end))
        i = end
        sign, operator_at, expect_term = 1.0, -1, False
        weight, weight_at, weight_end = 1.0, -1, -1
    if weight_at >= 0:
        raise LocatedQueryError(
            f"weight {text[weight_at:weight_end].strip()!r} at position {weight_at + 1} "
            "has no term after it",
            weight_at,
            weight_end,
        )
    if operator_at >= 0:
        raise LocatedQueryError(
            f"nothing after {text[operator_at]!r} at position {operator_at + 1}", operator_at
        )
    if not terms:
        raise QueryError("the search text is empty")
    return Query(text, tuple(terms))


def _end_of_words(text: str, i: int) -> int:
    """Where a run of words starting at `i` ends: at an operator that follows a space, at a
    quote, or at the end of the text."""
    j = i
    while j < len(text):
        c = text[j]
        if c in _QUOTES or (c in OPERATORS and text[j - 1].isspace()):
            break
        j += 1
    return j


def combine(vectors: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """The unit vector of the weighted sum of unit vectors (float32); raises QueryError when
    the terms cancel out. A single positively weighted vector comes back as it is."""
    if len(vectors) == 1 and weights[0] > 0:
        return np.asarray(vectors[0], dtype=np.float32)
    total = np.zeros_like(np.asarray(vectors[0], dtype=np.float64))
    for vector, weight in zip(vectors, weights, strict=True):
        total += weight * np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(total))
    if norm < _CANCELLED:
        raise QueryError("the query's terms cancel each other out; there is nothing to look for")
    return (total / norm).astype(np.float32)
