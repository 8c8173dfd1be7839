"""The query language: text and photos, added and taken away, with weights.

    beach + sunset - people          add two descriptions, take one away
    2:dog + cat                      a weight before a term (a positive number and a colon)
    red car - 0.5:rain               a weight after a minus takes away that much
    ~/Pictures/beach.jpg + sunset    a photo (a path) mixed with text
    "~/My Photos/a - b.jpg" - snow   double quotes keep spaces, + and - inside one term
    "invoice 2024" - "paid"          quoted words: the words written in the photo (OCR)

A term is text unless it looks like a path to a photo: it starts with `/`, `~`, `./` or
`../`, or ends with a photo extension (`.jpg`, `.png`, …). Quoted text that is not a photo
is words to find written in photos, as in a web search: a photo must hold them (or, after
a minus, must not). A quoted term needs no `+` beside
another (`receipt "invoice 2024"`). `+` and `-` are operators only at
the start of a term or after a space, so `t-shirt` and `C++` stay text; weights are read only
at the start of a term, and never in front of a digit (`10:30` is text).

The query vector is the normalised weighted sum of the terms' unit vectors (`combine`). A
query with one term and no weight is the plain search it always was.

`_tokenize` reads the text into tokens that keep their positions, and `_Parser` has one
method per rule of the grammar in its docstring: a new operator is a token kind and a rule.
A malformed query raises LocatedQueryError (`start`/`end`: offsets into the query) with a
one-line message naming the first problem from the left and its position, counted in
characters from 1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto
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
    """One part of a query: text to describe, words written in the photo, or a photo (its
    path, `~` expanded)."""

    kind: str  # "text", "words" or "photo"
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


class _Kind(Enum):
    OPERATOR = auto()  # + or -
    WEIGHT = auto()  # a number and a colon
    QUOTED = auto()
    UNCLOSED = auto()  # a quote with no closing quote after it
    WORDS = auto()  # a run of unquoted words
    END = auto()


_QUOTE_KINDS = (_Kind.QUOTED, _Kind.UNCLOSED)


@dataclass(frozen=True)
class _Token:
    """One piece of a query as the tokenizer reads it; `start`/`end` are offsets into the
    query text (end exclusive)."""

    kind: _Kind
    value: str  # the operator, the weight's number, a quote's inside or the words
    start: int
    end: int


def _tokenize(text: str) -> list[_Token]:
    """The query's tokens, ending with an `end` token. Reading never fails: whether a token
    may stand where it does, or a quote is closed, is the parser's call, so that the first
    problem from the left is the one reported."""
    tokens: list[_Token] = []
    i = _skip_space(text, 0)
    while i < len(text):
        # A term takes at most one weight: `2: 3:dog` weighs the text "3:dog".
        weight_allowed = not tokens or tokens[-1].kind != _Kind.WEIGHT
        tokens.append(_next_token(text, i, weight_allowed))
        i = _skip_space(text, tokens[-1].end)
    tokens.append(_Token(_Kind.END, "", len(text), len(text)))
    return tokens


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _next_token(text: str, i: int, weight_allowed: bool) -> _Token:
    """The token starting at `i`, a character that is not a space."""
    c = text[i]
    if c in OPERATORS:
        return _Token(_Kind.OPERATOR, c, i, i + 1)
    match = _WEIGHT.match(text, i) if weight_allowed else None
    if match:
        return _Token(_Kind.WEIGHT, match.group(1), i, match.end())
    if c in _QUOTES:
        close = text.find(_QUOTES[c], i + 1)
        if close < 0:
            return _Token(_Kind.UNCLOSED, text[i + 1 :], i, len(text))
        return _Token(_Kind.QUOTED, text[i + 1 : close].strip(), i, close + 1)
    words = text[i : _end_of_words(text, i)].rstrip()
    return _Token(_Kind.WORDS, words, i, i + len(words))


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


class _Parser:
    """Recursive descent over the tokens, one method per rule:

        query         = signed_term { signed_term }    (no sign: added)
        signed_term   = [ operator ] weighted_term
        weighted_term = [ weight ] term
        term          = quoted | words

    Each problem is reported where it stands, the first one from the left."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.at = 0

    def _peek(self) -> _Token:
        return self.tokens[self.at]

    def _take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def query(self) -> Query:
        if self._peek().kind == _Kind.END:
            raise QueryError("the search text is empty")
        terms = [self._signed_term()]
        while self._peek().kind != _Kind.END:
            terms.append(self._signed_term())
        return Query(self.text, tuple(terms))

    def _signed_term(self) -> Term:
        operator = self._peek()
        if operator.kind != _Kind.OPERATOR:
            # Words run up to an operator, so only a quote or what follows one gets here
            # without one: a quoted phrase beside the rest of a query, as in a web search.
            return self._weighted_term(1.0)
        self._take()
        following = self._peek()
        if following.kind == _Kind.OPERATOR:
            raise LocatedQueryError(
                f"{operator.value!r} at position {operator.start + 1} is followed by another "
                f"operator, {following.value!r} at position {following.start + 1}; put a term "
                "between them",
                operator.start,
                following.end,
            )
        if following.kind == _Kind.END:
            raise LocatedQueryError(
                f"nothing after {operator.value!r} at position {operator.start + 1}",
                operator.start,
            )
        return self._weighted_term(1.0 if operator.value == "+" else -1.0)

    def _weighted_term(self, sign: float) -> Term:
        if self._peek().kind != _Kind.WEIGHT:
            return self._term(sign, self._peek().start)
        weight = self._take()
        if float(weight.value) <= 0:
            raise LocatedQueryError(
                f"weight {weight.value!r} at position {weight.start + 1} must be more than 0",
                weight.start,
                weight.end,
            )
        written = f"{self.text[weight.start : weight.end].strip()!r} at position {weight.start + 1}"
        following = self._peek()
        if following.kind == _Kind.OPERATOR:
            raise LocatedQueryError(
                f"weight {written} must be followed by a term, not {following.value!r}",
                weight.start,
                weight.end,
            )
        if following.kind == _Kind.END:
            raise LocatedQueryError(
                f"weight {written} has no term after it", weight.start, weight.end
            )
        return self._term(sign * float(weight.value), weight.start)

    def _term(self, weight: float, start: int) -> Term:
        """A quoted or unquoted term (the tokenizer leaves nothing else here), weighed and
        starting at `start` (its weight's position, if it has one)."""
        token = self._take()
        if token.kind == _Kind.UNCLOSED:
            raise LocatedQueryError(
                f"unterminated quote at position {token.start + 1}", token.start, token.end
            )
        if token.kind == _Kind.QUOTED and not token.value:
            raise LocatedQueryError(
                f"empty quotes at position {token.start + 1}", token.start, token.end
            )
        if is_photo_term(token.value):
            return Term("photo", os.path.expanduser(token.value), weight, start, token.end)
        kind = "words" if token.kind == _Kind.QUOTED else "text"
        return Term(kind, token.value, weight, start, token.end)


def parse_query(text: str) -> Query:
    """Split a query into signed, weighted terms; raises QueryError if it is malformed."""
    return _Parser(text).query()


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
