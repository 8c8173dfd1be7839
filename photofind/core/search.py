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


@dataclass(frozen=True)
class Hit:
    photo_id: int
    path: str
    score: float


class VectorIndex:
    """The active model's vectors as one in-memory matrix, reloaded when the store changes."""

    def __init__(self, store: Store, model_name: str) -> None:
        self.store = store
        self.model_name = model_name
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self._revision: int | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def refresh(self) -> None:
        revision = self.store.revision()
        if revision == self._revision:
            return
        model_id = self.store.find_model(self.model_name)
        if model_id is None:
            self.ids, self.matrix = np.zeros(0, dtype=np.int64), np.zeros((0, 0), np.float32)
        else:
            self.ids, self.matrix = self.store.vectors(model_id)
        self._revision = revision

    def top(
        self, query: np.ndarray, k: int, exclude: frozenset[int] = frozenset()
    ) -> list[tuple[int, float]]:
        """The k best (photo id, score) pairs, best first, without sorting every score."""
        self.refresh()
        if not len(self.ids) or k <= 0:
            return []
        scores = self.matrix @ np.asarray(query, dtype=np.float32)
        if exclude:
            scores[np.isin(self.ids, list(exclude))] = -np.inf
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in best if np.isfinite(scores[i])]


class Searcher:
    """Text and photo queries over a VectorIndex; encodes queries with a lazily loaded model."""

    def __init__(self, store: Store, model_name: str, encoder: Callable[[], Encoder]) -> None:
        self.store = store
        self.index = VectorIndex(store, model_name)
        self._encoder = encoder

    def text(self, query: str, top: int = 20) -> list[Hit]:
        if not query.strip():
            raise QueryError("the search text is empty")
        vector = self._encoder().encode_texts([query.strip()])[0]
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
