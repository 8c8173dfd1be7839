"""Searches as the front ends ask for them: a query's CLIP terms, quoted words and places
(core.search.query_plan), a tag and filters, combined into one ranking.

Words written in photos take part in two ways. A quoted phrase is a condition, as in a web
search: only photos holding it are ranked (by CLIP, or by how well the text matches when
the query is nothing but quoted words). A plain query is also looked for as words: photos
whose text holds every word of it (of three letters or more) are lifted by the query's own
spread of scores, the gap between its best match and a typical photo (see core.search.
filters), so a receipt that reads "Lighthouse Bakery" comes up among the best matches of
lighthouse bakery whatever CLIP makes of it."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from photofind.core.errors import QueryError
from photofind.core.index.store import Store
from photofind.core.search.filters import (
    CUTOFF_PERCENTILE,
    Filters,
    places_mentioned,
)
from photofind.core.search.query import parse_query
from photofind.core.search.query_plan import QueryPlan, plan_query
from photofind.core.search.search import Hit, Searcher
from photofind.core.search.tags import Tagger

# Words shorter than this are not looked for in a plain query's blend ("a", "of").
BLEND_MIN_LETTERS = 3
# At most this many text matches are lifted into a plain query's ranking, best first.
BLEND_MAX = 1000
# The score of a photo found only by its words (a query of nothing but quoted words).
WORDS_SCORE = 1.0


class Finder:
    """Runs searches over a store and its Searcher; `tagger` gives the tags on demand."""

    def __init__(self, store: Store, searcher: Searcher, tagger: Callable[[], Tagger]) -> None:
        self.store = store
        self.searcher = searcher
        self._tagger = tagger
        self._filtered_out: tuple[tuple[object, ...], frozenset[int]] | None = None

    def search(
        self, text: str, top: int, tag: str | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """Photos matching a query (core.search.query), with its words and places applied,
        only those carrying `tag` if given, narrowed, cut and ordered by `filters`."""
        filters = filters or Filters()
        plan = plan_query(parse_query(text))
        leave_out = self._left_out(tag, filters) | self._not_asked_for(plan)
        if plan.query is None:
            hits = self._by_words(plan.words, top, leave_out)
            return filters.arrange(hits, self.store, lambda: np.zeros(0, dtype=np.float32))
        vector, named = self.searcher.query_vector(plan.query)
        hits = self.searcher.rank(vector, top, named | leave_out)
        if plan.query.is_plain_text and not plan.words:
            hits = self._blend(hits, plan.query.text, vector, top, named | leave_out)
        return filters.arrange(hits, self.store, lambda: self.searcher.sample_scores(vector))

    def similar(
        self, photo: str | Path, top: int, tag: str | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """Photos like `photo` (see Searcher.similar), with a tag and filters as `search`."""
        filters = filters or Filters()
        vector, photo_id = self.searcher.photo_vector(photo)
        itself = frozenset({photo_id}) if photo_id is not None else frozenset()
        hits = self.searcher.rank(vector, top, itself | self._left_out(tag, filters))
        return filters.arrange(hits, self.store, lambda: self.searcher.sample_scores(vector))

    def browse(self, top: int, tag: str | None = None, filters: Filters | None = None) -> list[Hit]:
        """The indexed photos without a query, newest first (see Library.browse)."""
        filters = filters or Filters()
        model_id = self.store.find_model(self.searcher.index.model_name)
        if model_id is None:
            return []  # nothing indexed with this model yet
        rows = self.store.newest(
            model_id, self._left_out(tag, filters), top, oldest=filters.sort == "oldest"
        )
        return [Hit(pid, path, math.nan, taken) for pid, path, taken in rows]

    def query_vector(self, text: str) -> np.ndarray:
        """What CLIP looks for in a query: its text and photo terms, without its quoted words
        and place names (Highlight Match shows where that is in a photo)."""
        plan = plan_query(parse_query(text))
        if plan.query is None:
            raise QueryError(
                "the query asks only for words written in photos; describe what to look for"
            )
        return self.searcher.query_vector(plan.query)[0]

    def photos_without_tag(self, tag: str) -> frozenset[int]:
        """The indexed photos that do not carry `tag` (to leave out of a search)."""
        tagger = self._tagger()
        index = self.searcher.index
        index.refresh()
        if not len(index):
            return frozenset()
        has = np.concatenate([tagger.mask(m, tag) for m in index.segments()])
        return frozenset(int(i) for i in index.ids[~has])

    def _not_asked_for(self, plan: QueryPlan) -> frozenset[int]:
        """The photos a query's words and places leave out."""
        left_out: set[int] = set()
        if plan.places:
            left_out |= self.store.ids_taken_elsewhere(places_mentioned(self.store, plan.places))
        if plan.words:
            index = self.searcher.index
            index.refresh()
            holding = self.store.ids_with_words(plan.words)
            left_out |= {int(i) for i in index.ids if int(i) not in holding}
        for words in plan.not_words:
            left_out |= set(self.store.ids_with_words([words]))
        return frozenset(left_out)

    def _by_words(self, words: tuple[str, ...], top: int, leave_out: frozenset[int]) -> list[Hit]:
        """The photos holding the words, best text match first."""
        matches = self.store.ids_with_words(words)
        best = sorted((pid for pid in matches if pid not in leave_out), key=lambda p: -matches[p])
        paths = self.store.paths(best[:top])
        return [Hit(pid, paths[pid], WORDS_SCORE) for pid in best[:top] if pid in paths]

    def _blend(
        self, hits: list[Hit], text: str, vector: np.ndarray, top: int, leave_out: frozenset[int]
    ) -> list[Hit]:
        """`hits` with the photos whose text holds every word of `text` lifted into them
        (see the module's doc)."""
        words = [w for w in text.split() if len(w) >= BLEND_MIN_LETTERS]
        matches = self.store.ids_with_words(words) if words else {}
        lifted = sorted((p for p in matches if p not in leave_out), key=lambda p: -matches[p])
        model_id = self.store.find_model(self.searcher.index.model_name)
        if not lifted or model_id is None:
            return hits
        vectors = self.store.vectors_of(lifted[:BLEND_MAX], model_id)
        sample = self.searcher.sample_scores(vector)
        best = max([h.score for h in hits] + [float(v @ vector) for v in vectors.values()])
        lift = (
            max(0.0, best - float(np.percentile(sample, CUTOFF_PERCENTILE))) if len(sample) else 0.0
        )
        scores = {h.photo_id: h.score for h in hits}
        for pid, v in vectors.items():
            scores[pid] = float(v @ vector) + lift
        ranked = sorted(scores, key=lambda p: -scores[p])[:top]
        paths = self.store.paths(ranked)
        return [Hit(pid, paths[pid], scores[pid]) for pid in ranked if pid in paths]

    def _left_out(self, tag: str | None, filters: Filters) -> frozenset[int]:
        """The photos a tag and filters leave out."""
        exclude = self._excluded_by(filters)
        return exclude | self.photos_without_tag(tag) if tag else exclude

    def _excluded_by(self, filters: Filters) -> frozenset[int]:
        """What `filters` leave out, kept until they or the library change: each query typed
        in the app would otherwise read every photo's row again."""
        if not filters.narrows:
            return frozenset()
        f = filters
        key = (f.date_from, f.date_to, f.folder, f.extensions, f.place, self.store.revision())
        if self._filtered_out is None or self._filtered_out[0] != key:
            self._filtered_out = (key, filters.excluded(self.store))
        return self._filtered_out[1]
