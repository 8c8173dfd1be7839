"""Ranking indexed photos against a text or photo query by dot product."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.encoder import Encoder
from photofind.core.errors import PhotoLoadError, QueryError
from photofind.core.imaging import load_photo_file
from photofind.core.store import Store

# How many of the best results get exact float32 scores, and how many more candidates are
# re-scored to find them.
EXACT_HEAD = 100
EXACT_MARGIN = 64


@dataclass(frozen=True)
class Hit:
    photo_id: int
    path: str
    score: float


class VectorIndex:
    """The active model's vectors as one in-memory matrix, reloaded when the store changes.

    Held in float16: half the memory of float32 (1 KB a photo at 512 dimensions) and, through
    torch's half-precision matrix-vector kernel, faster to scan than float32 in numpy. Unit
    vectors lose nothing that changes a ranking in practice (top-10 recall against float32 is
    measured by the benchmarks)."""

    def __init__(self, store: Store, model_name: str) -> None:
        self.store = store
        self.model_name = model_name
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float16)
        self._model_id: int | None = None
        self._revision: int | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def refresh(self) -> None:
        revision = self.store.revision()
        if revision == self._revision:
            return
        model_id = self.store.find_model(self.model_name)
        if model_id is None:
            self.ids, self.matrix = np.zeros(0, dtype=np.int64), np.zeros((0, 0), np.float16)
        else:
            self.ids, self.matrix = self.store.vectors(model_id, np.float16)
        self._model_id = model_id
        self._revision = revision

    def top(
        self, query: np.ndarray, k: int, exclude: frozenset[int] = frozenset()
    ) -> list[tuple[int, float]]:
        """The k best (photo id, score) pairs, best first, without sorting every score."""
        self.refresh()
        if not len(self.ids) or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32)
        scores = self.scores(query)
        if exclude:
            scores[np.isin(self.ids, list(exclude))] = -np.inf
        # Half precision blurs near-ties, so the head of the ranking (what a person sees
        # first) is re-scored from the stored float32 vectors: exact order, exact scores.
        head = min(k, EXACT_HEAD)
        pool = min(len(scores), max(k, head + EXACT_MARGIN))
        best = np.argpartition(-scores, pool - 1)[:pool]
        best = best[np.argsort(-scores[best], kind="stable")]
        best = best[np.isfinite(scores[best])]
        rescored = best[: head + EXACT_MARGIN]
        exact = self._exact_scores(self.ids[rescored], query)
        order = [j for j in np.argsort(-exact, kind="stable")[:head] if np.isfinite(exact[j])]
        ranked = [(int(self.ids[rescored[j]]), float(exact[j])) for j in order]
        chosen = {int(rescored[j]) for j in order}
        tail = [i for i in best if int(i) not in chosen][: k - len(ranked)]
        return ranked + [(int(self.ids[i]), float(scores[i])) for i in tail]

    def _exact_scores(self, ids: np.ndarray, query: np.ndarray) -> np.ndarray:
        vectors = self.store.vectors_of(ids, self._model_id) if self._model_id else {}
        return np.array(
            [float(vectors[int(i)] @ query) if int(i) in vectors else -np.inf for i in ids],
            dtype=np.float32,
        )

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Every photo's dot product with `query`, as float32."""
        import torch

        matrix = torch.from_numpy(self.matrix)
        vector = torch.from_numpy(np.asarray(query, dtype=np.float16))
        return torch.mv(matrix, vector).float().numpy()


class Searcher:
    """Text and photo queries over a VectorIndex; encodes queries with a lazily loaded model."""

    def __init__(self, store: Store, model_name: str, encoder: Callable[[], Encoder]) -> None:
        self.store = store
        self.index = VectorIndex(store, model_name)
        self._encoder = encoder
        self._text_vectors: dict[str, np.ndarray] = {}

    def text(self, query: str, top: int = 20) -> list[Hit]:
        query = query.strip()
        if not query:
            raise QueryError("the search text is empty")
        # Typing pauses, Back and re-runs repeat queries: keep their vectors.
        vector = self._text_vectors.get(query)
        if vector is None:
            vector = self._encoder().encode_texts([query])[0]
            if len(self._text_vectors) >= 256:
                self._text_vectors.pop(next(iter(self._text_vectors)))
            self._text_vectors[query] = vector
        return self._hits(vector, top)

    def similar(self, photo: str | Path, top: int = 20) -> list[Hit]:
        """Photos like `photo`, a path inside or outside the library; it is not its own result."""
        path = os.path.abspath(photo)
        photo_id = self.store.photo_id(path)
        model_id = self.store.find_model(self.index.model_name)
        vector = None
        if photo_id is not None and model_id is not None:
            vector = self.store.vector(photo_id, model_id)
        if vector is None:
            if not os.path.isfile(path):
                raise QueryError(f"photo not found: {path}")
            try:
                image = load_photo_file(Path(path)).image
            except PhotoLoadError as exc:
                raise QueryError(f"cannot read {path} as a photo: {exc}") from exc
            vector = self._encoder().encode_images([image])[0]
        exclude = frozenset({photo_id}) if photo_id is not None else frozenset()
        return self._hits(vector, top, exclude)

    def _hits(
        self, vector: np.ndarray, top: int, exclude: frozenset[int] = frozenset()
    ) -> list[Hit]:
        ranked = self.index.top(vector, top, exclude)
        paths = self.store.paths([pid for pid, _ in ranked])
        return [Hit(pid, paths[pid], score) for pid, score in ranked if pid in paths]
