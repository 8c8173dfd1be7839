"""Ranking indexed photos against a text or photo query by dot product."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from photofind.core.errors import PhotoLoadError, QueryError
from photofind.core.index import snapshot
from photofind.core.index.store import Store
from photofind.core.model.encoder import Encoder, TextEncoder
from photofind.core.photos.imaging import load_photo_file
from photofind.core.search.ann_index import ApproximateIndex
from photofind.core.search.query import LocatedQueryError, Query, combine, parse_query
from photofind.core.search.rescoring import RESCORED, rescore_head
from photofind.core.search.scoring import dot_scores

# Libraries smaller than this load from SQLite in well under a second: no snapshot needed.
SNAPSHOT_MIN_PHOTOS = 20_000
# The snapshot is rewritten once the library has grown this much beyond it.
SNAPSHOT_REFRESH = 1.25
APPEND_HEADROOM_ROWS = 4096
# Enough photos for a query's score distribution (core.search.filters' cutoff), at any library size.
SCORE_SAMPLE = 4096
# "exact" scans every vector (the default); "approximate" asks an HNSW graph (ann_index), for
# libraries of a million photos and more.
INDEX_KINDS = ("exact", "approximate")


def load_query_photo(path: str | Path) -> Image.Image:
    """A photo a query names, decoded. Raises QueryError, saying why, when there is no such
    file or it is not a photo."""
    if not os.path.isfile(path):
        raise QueryError(f"photo not found: {path}")
    try:
        return load_photo_file(Path(path)).image
    except PhotoLoadError as exc:
        raise QueryError(f"cannot read {path} as a photo: {exc}") from exc


@dataclass(frozen=True)
class Hit:
    photo_id: int
    path: str
    score: float  # NaN when browsing: no query to match
    taken: str = ""  # when the photo was taken (ISO, local time); only browsing tells it


class VectorIndex:
    """The active model's vectors, kept up to date with the store, in float16: half the
    memory of float32 (1 KB a photo at 512 dimensions). Unit vectors lose nothing that
    changes a ranking in practice (top-10 recall against float32 is measured by the
    benchmarks), and the head of each ranking is re-scored from the stored float32 vectors.

    Reading every vector from SQLite takes seconds at a million photos, so it happens as
    rarely as possible. A snapshot of the matrix in `snapshot_dir` (core.index.snapshot) is mapped
    into memory by the next process, which reads only the rows written since; while
    indexing only adds photos, a refresh appends just the new rows. So the vectors are two
    segments: the mapped snapshot, and the rows held in memory beside it. Removals, which
    are rare, mean a full reload."""

    def __init__(self, store: Store, model_name: str, snapshot_dir: Path | None = None) -> None:
        self.store = store
        self.model_name = model_name
        self.snapshot_dir = snapshot_dir
        self._base_ids = np.zeros(0, dtype=np.int64)  # the mapped snapshot's
        self._base = np.zeros((0, 0), dtype=np.float16)
        self._tail_ids = np.zeros(0, dtype=np.int64)
        self._rows = np.zeros((0, 0), dtype=np.float16)  # capacity >= tail, for appends
        self._tail = 0
        self._all_ids: np.ndarray | None = None
        self._model_id: int | None = None
        self._revision: int | None = None

    def __len__(self) -> int:
        return len(self._base_ids) + self._tail

    @property
    def ids(self) -> np.ndarray:
        if self._all_ids is None:
            self._all_ids = np.concatenate([self._base_ids, self._tail_ids[: self._tail]])
        return self._all_ids

    def segments(self) -> list[np.ndarray]:
        """The matrix in its parts, in the order of `ids`; use them to avoid a copy."""
        return [m for m in (self._base, self._rows[: self._tail]) if len(m)]

    @property
    def matrix(self) -> np.ndarray:
        """The whole matrix (a copy when it is in two segments)."""
        parts = self.segments()
        return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else self._rows

    @property
    def nbytes(self) -> int:
        """Memory held for the vectors (mapped or not), spare capacity for appends included."""
        return int(self._base.nbytes + self._rows.nbytes + self.ids.nbytes)

    def refresh(self) -> None:
        revision = self.store.revision()
        if revision == self._revision:
            return
        model_id = self.store.find_model(self.model_name)
        if model_id is None:
            self._replace(np.zeros(0, dtype=np.int64), np.zeros((0, 0), np.float16))
        elif (
            self._revision is not None
            and model_id == self._model_id
            and not self.store.removed_since(self._revision)
        ):
            self._append(*self.store.vectors(model_id, np.float16, since=self._revision))
        elif not self._load_snapshot(model_id):
            self._replace(*self.store.vectors(model_id, np.float16))
            self._save_snapshot(model_id, revision)
        self._model_id = model_id
        self._revision = revision
        if len(self._base_ids) and len(self) > len(self._base_ids) * SNAPSHOT_REFRESH:
            self._save_snapshot(model_id, revision)

    def _replace(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        """All the vectors in memory, none mapped."""
        self._base_ids, self._base = np.zeros(0, dtype=np.int64), np.zeros((0, 0), np.float16)
        self._tail_ids, self._rows, self._tail = ids, matrix, len(ids)
        self._all_ids = None

    def _map(self, saved: snapshot.Snapshot) -> None:
        """The snapshot's vectors, mapped, and none in memory (the caller appends newer)."""
        self._replace(np.zeros(0, dtype=np.int64), np.zeros((0, 0), np.float16))
        self._base_ids, self._base = saved.ids, saved.matrix

    def _append(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        if not len(ids):
            return
        if np.isin(ids, self.ids).any():
            # Only removals replace a vector, and they force a reload; be safe regardless.
            assert self._model_id is not None
            self._replace(*self.store.vectors(self._model_id, np.float16))
            return
        needed = self._tail + len(ids)
        if needed > len(self._tail_ids) or self._rows.shape[1:] != matrix.shape[1:]:
            # Some headroom, so indexing one batch at a time does not copy the whole matrix
            # every batch; small enough to keep memory near 1 KB a photo.
            capacity = needed + max(APPEND_HEADROOM_ROWS, needed // 16)
            ids_buffer = np.zeros(capacity, dtype=np.int64)
            rows = np.zeros((capacity, matrix.shape[1]), dtype=np.float16)
            if self._tail:
                ids_buffer[: self._tail] = self._tail_ids[: self._tail]
                rows[: self._tail] = self._rows[: self._tail]
            self._tail_ids, self._rows = ids_buffer, rows
        self._tail_ids[self._tail : needed] = ids
        self._rows[self._tail : needed] = matrix
        self._tail = needed
        self._all_ids = None

    # -- the snapshot on disk -------------------------------------------------

    def _snapshot_path(self, model_id: int) -> Path | None:
        if self.snapshot_dir is None:
            return None
        return self.snapshot_dir / f"{self.store.library_id()}-model{model_id}.vectors"

    def _load_snapshot(self, model_id: int) -> bool:
        path = self._snapshot_path(model_id)
        saved = snapshot.load(path) if path is not None else None
        if saved is None:
            return False
        if saved.revision > self.store.revision() or self.store.removed_since(saved.revision):
            return False
        self._map(saved)
        self._append(*self.store.vectors(model_id, np.float16, since=saved.revision))
        return True

    def _save_snapshot(self, model_id: int, revision: int) -> None:
        path = self._snapshot_path(model_id)
        if path is None or len(self) < SNAPSHOT_MIN_PHOTOS:
            return
        path.with_suffix(".npz").unlink(missing_ok=True)  # the layout before core.index.snapshot
        if snapshot.save(path, self.ids, self.segments(), revision):
            saved = snapshot.load(path)
            if saved is not None:  # from now on mapped: the rows in memory are freed
                self._map(saved)

    def top(
        self, query: np.ndarray, k: int, exclude: frozenset[int] = frozenset()
    ) -> list[tuple[int, float]]:
        """The k best (photo id, score) pairs, best first, without sorting every score."""
        self.refresh()
        if not len(self) or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32)
        scores = self.scores(query)
        ids = self.ids
        if exclude:
            scores[np.isin(ids, list(exclude))] = -np.inf
        # Only the best are sorted: enough to fill k and to re-score the head exactly.
        pool = min(len(scores), max(k, RESCORED))
        best = np.argpartition(-scores, pool - 1)[:pool]
        best = best[np.argsort(-scores[best], kind="stable")]
        best = best[np.isfinite(scores[best])]
        return rescore_head(self.store, self._model_id, ids[best], scores[best], query, k)

    def sample_scores(self, query: np.ndarray, size: int = SCORE_SAMPLE) -> np.ndarray:
        """`query`'s scores over an even sample of about `size` photos (all of a smaller
        library): its score distribution, at a small fixed cost whatever the library's size."""
        self.refresh()
        if not len(self):
            return np.zeros(0, dtype=np.float32)
        step = max(1, len(self) // size)
        query = np.asarray(query, dtype=np.float32)
        return np.concatenate([m[::step].astype(np.float32) @ query for m in self.segments()])

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Every photo's dot product with `query`, as float32, in the order of `ids`."""
        parts = [dot_scores(m, query) for m in self.segments()]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


class Searcher:
    """Text and photo queries over a VectorIndex (or, with index="approximate", an HNSW graph
    kept in `index_dir`); encodes queries with a lazily loaded model.

    The graph is built or brought up to date when indexing ends (`Library.index`), never by
    a query: until it can answer without waiting (ApproximateIndex.can_answer_now), queries
    scan the exact index. Tags always read the exact index's matrix."""

    def __init__(
        self,
        store: Store,
        model_name: str,
        encoder: Callable[[], Encoder],
        text_encoder: Callable[[], TextEncoder] | None = None,
        snapshot_dir: Path | None = None,
        index: str = "exact",
        index_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.index = VectorIndex(store, model_name, snapshot_dir)
        self.approximate: ApproximateIndex | None = None
        self.use_index(index, index_dir)
        self._encoder = encoder
        self._text_encoder = text_encoder or encoder
        self._text_vectors: dict[str, np.ndarray] = {}

    def use_index(self, kind: str, index_dir: Path | None = None) -> None:
        """Switch between "exact" and "approximate" ranking. Raises ValueError for another
        kind, OptionalDependencyError when the approximate index's package is missing."""
        if kind not in INDEX_KINDS:
            raise ValueError(f"unknown index {kind!r}; use one of {', '.join(INDEX_KINDS)}")
        if kind == "exact":
            self.approximate = None
        elif self.approximate is None:
            if index_dir is None:
                raise ValueError("the approximate index needs a folder to keep its graph in")
            self.approximate = ApproximateIndex(self.store, self.index.model_name, index_dir)

    @property
    def index_kind(self) -> str:
        return "exact" if self.approximate is None else "approximate"

    def _ranker(self) -> VectorIndex | ApproximateIndex:
        if self.approximate is not None and self.approximate.can_answer_now():
            return self.approximate
        return self.index

    def text(self, query: str, top: int = 20) -> list[Hit]:
        query = query.strip()
        if not query:
            raise QueryError("the search text is empty")
        return self._hits(self._text_vectors_of([query])[0], top)

    def _text_vectors_of(self, texts: list[str]) -> list[np.ndarray]:
        # Typing pauses, Back and re-runs repeat queries: keep their vectors.
        missing = list(dict.fromkeys(t for t in texts if t not in self._text_vectors))
        if missing:
            for text, vector in zip(
                missing, self._text_encoder().encode_texts(missing), strict=True
            ):
                if len(self._text_vectors) >= 256:
                    self._text_vectors.pop(next(iter(self._text_vectors)))
                self._text_vectors[text] = vector
        return [self._text_vectors[t] for t in texts]

    def query(self, text: str, top: int = 20, exclude: frozenset[int] = frozenset()) -> list[Hit]:
        """Photos matching a query in the query language (see photofind.core.search.query):
        `beach + sunset - people`, `2:dog`, photo paths mixed with text. A query without
        operators or weights is a plain text search; photos named in it are not results,
        nor are those in `exclude` (e.g. photos without a tag asked for)."""
        vector, named = self.query_vector(text)
        return self._hits(vector, top, named | exclude)

    def query_vector(self, text: str | Query) -> tuple[np.ndarray, frozenset[int]]:
        """The unit vector a query searches with, and the library photos it names (which
        are left out of its results). Raises QueryError for a malformed query."""
        query = parse_query(text) if isinstance(text, str) else text
        if any(t.kind == "words" for t in query.terms):
            raise QueryError("quoted words are looked for in photos' text (core.search.finder)")
        if query.is_plain_text:
            return self._text_vectors_of([query.terms[0].value])[0], frozenset()
        texts = [t.value for t in query.terms if t.kind == "text"]
        by_text = dict(zip(texts, self._text_vectors_of(texts), strict=True))
        vectors, exclude = [], set()
        for term in query.terms:
            if term.kind == "text":
                vectors.append(by_text[term.value])
                continue
            try:
                vector, photo_id = self.photo_vector(term.value)
            except QueryError as exc:
                raise LocatedQueryError(
                    f"{exc} (position {term.start + 1})", term.start, term.end
                ) from exc
            vectors.append(vector)
            if photo_id is not None:
                exclude.add(photo_id)
        return combine(vectors, [t.weight for t in query.terms]), frozenset(exclude)

    def similar(
        self, photo: str | Path, top: int = 20, exclude: frozenset[int] = frozenset()
    ) -> list[Hit]:
        """Photos like `photo`, a path inside or outside the library; it is not its own result,
        nor are those in `exclude`."""
        vector, photo_id = self.photo_vector(photo)
        itself = frozenset({photo_id}) if photo_id is not None else frozenset()
        return self._hits(vector, top, itself | exclude)

    def photo_vector(self, photo: str | Path) -> tuple[np.ndarray, int | None]:
        """A photo's vector (stored, or encoded now if it is not in the library) and its id
        in the library, if it is there."""
        path = os.path.abspath(photo)
        photo_id = self.store.photo_id(path)
        model_id = self.store.find_model(self.index.model_name)
        vector = None
        if photo_id is not None and model_id is not None:
            vector = self.store.vector(photo_id, model_id)
        if vector is None:
            # The photo first: a path that is not a photo is told at once, without waiting
            # for the whole model to load.
            image = load_query_photo(path)
            vector = self._encoder().encode_images([image])[0]
        return vector, photo_id

    def rank(
        self, vector: np.ndarray, top: int, exclude: frozenset[int] = frozenset()
    ) -> list[Hit]:
        """The `top` photos nearest a query vector (from `query_vector` or `photo_vector`),
        best first, leaving out `exclude`."""
        return self._hits(vector, top, exclude)

    def sample_scores(self, vector: np.ndarray) -> np.ndarray:
        """A query vector's scores over a sample of the library (see VectorIndex)."""
        return self._ranker().sample_scores(vector, SCORE_SAMPLE)

    def _hits(
        self, vector: np.ndarray, top: int, exclude: frozenset[int] = frozenset()
    ) -> list[Hit]:
        ranked = self._ranker().top(vector, top, exclude)
        paths = self.store.paths([pid for pid, _ in ranked])
        return [Hit(pid, paths[pid], score) for pid, score in ranked if pid in paths]
