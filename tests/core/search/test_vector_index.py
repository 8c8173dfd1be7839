"""The in-memory float16 index ranks like exact float32 ranking, and stays in sync."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from photofind.core.index.store import Encoded, Store
from photofind.core.photos.photo import PhotoInfo
from photofind.core.search.search import VectorIndex


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


@pytest.mark.slow
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


def _exact_top(store: Store, query: np.ndarray, k: int) -> list[int]:
    # Store.vectors itself, not the instance's (which a test may be counting calls of).
    ids, matrix = Store.vectors(store, store.find_model("m") or 0)
    return [int(ids[i]) for i in np.argsort(-(matrix @ query))[:k]]


def _add(store: Store, vectors: np.ndarray, first: int) -> None:
    info = PhotoInfo(1, 1, None)
    model = store.model_id("m", vectors.shape[1])
    batch = [
        Encoded(f"/new/{first + i}", 1, 1.0, f"n{first + i}", info, v)
        for i, v in enumerate(vectors)
    ]
    store.write(batch, model)


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _open(db: Path) -> Store:
    return Store(sqlite3.connect(db, isolation_level=None))


def test_photos_added_while_searching_are_appended_without_a_reload(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, _ = _library(400, dim=16)
    index = VectorIndex(store, "m")
    index.refresh()
    full_loads = []
    real_vectors = store.vectors
    monkeypatch.setattr(
        store,
        "vectors",
        lambda model_id, dtype=np.float32, since=0: (
            full_loads.append(since) or real_vectors(model_id, dtype, since)
        ),
    )
    rng = np.random.default_rng(3)
    for batch in range(5):  # indexing, one batch at a time, with a search after each
        new = rng.normal(size=(16, 16))
        _add(
            store, (new / np.linalg.norm(new, axis=1, keepdims=True)).astype(np.float32), batch * 16
        )
        query = new[0] / np.linalg.norm(new[0])
        assert [pid for pid, _ in index.top(query, 5)] == _exact_top(store, query, 5)
    assert len(index) == 400 + 5 * 16
    assert all(since > 0 for since in full_loads), "only the new rows were read"

    store.delete_photos([1, 2, 3])  # a removal: the next refresh reloads everything
    index.refresh()
    assert 0 in full_loads and len(index) == 400 + 5 * 16 - 3
    assert not {1, 2, 3} & set(index.ids.tolist())


def test_snapshot_starts_the_next_process_with_only_the_new_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photofind.core.search import search

    monkeypatch.setattr(search, "SNAPSHOT_MIN_PHOTOS", 100)
    db = tmp_path / "library.db"
    store = _open(db)
    rng = np.random.default_rng(4)
    vectors = _unit(rng.normal(size=(300, 16)))
    _add(store, vectors[:200], 0)
    first = VectorIndex(store, "m", tmp_path / "snapshots")
    first.refresh()
    assert len(list((tmp_path / "snapshots").glob("*.vectors"))) == 1
    _add(store, vectors[200:], 200)  # indexing went on after the snapshot

    later = VectorIndex(
        Store(sqlite3.connect(db, isolation_level=None)), "m", tmp_path / "snapshots"
    )
    reads = []
    real_vectors = later.store.vectors
    monkeypatch.setattr(
        later.store,
        "vectors",
        lambda model_id, dtype=np.float32, since=0: (
            reads.append(since) or real_vectors(model_id, dtype, since)
        ),
    )
    later.refresh()
    assert reads and all(since > 0 for since in reads), "the snapshot was used"
    assert sorted(later.ids.tolist()) == sorted(
        store.vectors(store.find_model("m") or 0)[0].tolist()
    )
    query = vectors[250]
    assert [pid for pid, _ in later.top(query, 5)] == _exact_top(store, query, 5)

    # A removal after the snapshot makes it useless: the store is read in full instead.
    store.delete_photos([int(later.ids[0])])
    fresh = VectorIndex(
        Store(sqlite3.connect(db, isolation_level=None)), "m", tmp_path / "snapshots"
    )
    fresh.refresh()
    assert len(fresh) == 299


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_snapshot_is_rebuilt_from_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    """A snapshot that cannot be read (a crash, a full disk, a bad sector) costs one slower
    start, logged: never a failed search."""
    from photofind.core.search import search

    monkeypatch.setattr(search, "SNAPSHOT_MIN_PHOTOS", 100)
    db = tmp_path / "library.db"
    store = _open(db)
    vectors = _unit(np.random.default_rng(7).normal(size=(200, 16)))
    _add(store, vectors, 0)
    VectorIndex(store, "m", tmp_path / "snapshots").refresh()
    (path,) = (tmp_path / "snapshots").glob("*.vectors")
    data = path.read_bytes()
    path.write_bytes(
        {"truncated": data[: len(data) // 2], "garbage": b"\x93NUMPY" + b"x" * 500, "empty": b""}[
            damage
        ]
    )

    later = VectorIndex(Store(sqlite3.connect(db, isolation_level=None)), "m", path.parent)
    query = vectors[42]
    assert [pid for pid, _ in later.top(query, 5)] == _exact_top(store, query, 5)
    assert "cannot be used" in caplog.text
    assert path.stat().st_size == len(data), "rewritten whole"
