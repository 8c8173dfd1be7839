"""The in-memory float16 index ranks like exact float32 ranking, and stays in sync."""

from __future__ import annotations

import sqlite3

import numpy as np

from photofind.core.imaging import PhotoInfo
from photofind.core.search import VectorIndex
from photofind.core.store import Encoded, Store


def _library(n: int, dim: int = 512) -> tuple[Store, np.ndarray]:
    # A numerical check of the half-precision fast path, not a test of meaning: clustered
    # unit vectors, like CLIP's, where near-ties are common.
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, dim))
    vectors = centres[rng.integers(0, 50, n)] + 0.6 * rng.normal(size=(n, dim))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    store = Store(sqlite3.connect(":memory:", isolation_level=None))
    model = store.model_id("m", dim)
    info = PhotoInfo(1, 1, None)
    store.write([Encoded(f"/p/{i}", 1, 1.0, str(i), info, v) for i, v in enumerate(vectors)], model)
    return store, vectors


def test_float16_top10_matches_exact_float32_ranking() -> None:
    store, vectors = _library(5000)
    index = VectorIndex(store, "m")
    index.refresh()
    assert index.matrix.dtype == np.float16 and index.matrix.nbytes == 5000 * 512 * 2
    rng = np.random.default_rng(1)
    recalls = []
    for q in vectors[rng.choice(len(vectors), 100, replace=False)]:
        exact = set(np.argsort(-(vectors @ q))[:10] + 1)  # photo ids start at 1
        got = {pid for pid, _ in index.top(q, 10)}
        recalls.append(len(exact & got) / 10)
    assert np.mean(recalls) >= 0.99


def test_top_is_sorted_excludes_and_follows_the_store() -> None:
    store, vectors = _library(300, dim=16)
    index = VectorIndex(store, "m")
    ranked = index.top(vectors[0], 5, exclude=frozenset({1}))
    assert 1 not in [pid for pid, _ in ranked]
    scores = [s for _, s in ranked]
    assert scores == sorted(scores, reverse=True)
    store.delete_photos([pid for pid, _ in ranked])
    assert not {pid for pid, _ in ranked} & {pid for pid, _ in index.top(vectors[0], 5)}
