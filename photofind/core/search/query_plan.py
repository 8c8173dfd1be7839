"""What each part of a parsed query asks of the search: words written in photos (quoted
terms, found by the text index), places (names recognised in the text, which narrow the
search to photos taken there) and what is left for CLIP to rank.

    "invoice 2024"              photos whose text holds "invoice 2024", best match first
    beach in Portugal           CLIP ranks "beach" among the photos taken in Portugal
    Lisbon                      the photos taken in Lisbon, most photo-like first
    "total" + receipt - blur    CLIP ranks "receipt - blur" among the photos reading "total"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from photofind.core.search.place_names import PlaceMention, find_places
from photofind.core.search.query import Query, Term

# What CLIP is asked when a query names only a place: the place's photos, photos first
# (rather than screenshots and documents).
ANY_PHOTO = "a photo"
# Words that are left when a place is cut out of a text term, and mean nothing on their own.
_FILLER = re.compile(
    r"^[\s,.;:!?'\"()\-–—]*(?:(?:in|at|near|from|around|of|the|and|photos?|pictures?)\b[\s,.;:!?]*)*$",
    re.I,
)


@dataclass(frozen=True)
class QueryPlan:
    query: Query | None  # the text and photo terms, for CLIP; None when there are none
    words: tuple[str, ...]  # quoted words a photo must hold
    not_words: tuple[str, ...]  # quoted words after a minus: a photo must not hold them
    places: tuple[PlaceMention, ...]  # places named in the text terms

    @property
    def ranks_by_words(self) -> bool:
        """Only quoted words were asked for: their matches are ranked by the text index."""
        return self.query is None and not self.places


def plan_query(query: Query) -> QueryPlan:
    """Split a parsed query into its words, places and CLIP terms (see the module's doc)."""
    words = tuple(t.value for t in query.terms if t.kind == "words" and t.weight > 0)
    not_words = tuple(t.value for t in query.terms if t.kind == "words" and t.weight < 0)
    terms: list[Term] = []
    places: list[PlaceMention] = []
    for term in query.terms:
        if term.kind == "words":
            continue
        if term.kind == "text" and term.weight > 0:
            found = find_places(term.value)
            places.extend(found)
            term = _without(term, found)
            if term is None:
                continue
        terms.append(term)
    if places and not any(t.weight > 0 for t in terms) and not words:
        terms.append(Term("text", ANY_PHOTO, 1.0, 0, 0))
    clip = _as_query(query.text, terms, bool(places))
    return QueryPlan(clip, words, not_words, tuple(places))


def _without(term: Term, places: list[PlaceMention]) -> Term | None:
    """The term with the places named in it cut out (None if nothing meaningful is left)."""
    if not places:
        return term
    text, last = "", 0
    for place in sorted(places, key=lambda p: p.start):
        text += term.value[last : place.start] + " "
        last = place.end
    text = " ".join((text + term.value[last:]).split())
    if _FILLER.match(text):
        return None
    return Term("text", text, term.weight, term.start, term.end)


def _as_query(text: str, terms: list[Term], changed: bool) -> Query | None:
    if not terms:
        return None
    if changed and len(terms) == 1 and terms[0].weight == 1.0 and terms[0].kind == "text":
        # A plain search for what is left once the place is cut out.
        return Query(terms[0].value, tuple(terms))
    return Query(text, tuple(terms))
