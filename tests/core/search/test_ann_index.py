"""The approximate (HNSW) index ranks like exact ranking, follows the store, and is saved."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from photofind.core.errors import OptionalDependencyError
from photofind.core.index.store import Encoded, Store
from photofind.core.photos.photo import PhotoInfo

needs_usearch = pytest.mark.skipif(
    find_spec("usearch") is None,
    reason="usearch is not installed: the approximate index is the optional extra "
    "photofind[ann] (pip install 'photofind[ann]'; the dev extra includes it)",
)


def _vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    # Clustered unit vectors, like CLIP's, where near-ties are common.
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, dim))
    vectors = centres[rng.integers(0, 50, n)] + 0.6 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _write(store: Store, model: int, vectors: np.ndarray, first: int = 0) -> None:
    info = PhotoInfo(1, 1, None)
    store.write(
        [
            Encoded(f"/p/{first + i}", 1, 1.0, f"{first + i:032x}", info, v)
            for i, v in enumerate(vectors)
        ],
        model,
    )


def _library(vectors: np.ndarray) -> Store:
    store = Store(sqlite3.connect(":memory:", isolation_level=None))
    _write(store, store.model_id("m", vectors.shape[1]), vectors)
    return store


def _index(store: Store, index_dir: Path, **kwargs: object):
    from photofind.core.search.ann_index import ApproximateIndex

    return ApproximateIndex(store, "m", index_dir, **kwargs)


def _exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return [int(i) + 1 for i in np.argsort(-(vectors @ query), kind="stable")[:k]]  # ids from 1


@pytest.fixture
def index_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data" / "ann"


def _manifest(index_dir: Path) -> dict:
    (file,) = index_dir.glob("*.ann.json")
    return json.loads(file.read_text())


@needs_usearch
@pytest.mark.slow
def test_top10_recall_on_random_unit_vectors(index_dir: Path) -> None:
    vectors = _vectors(3000, 512)
    store = _library(vectors)
    index = _index(store, index_dir)
    index.refresh()
    assert len(index) == 3000 and index.last_refresh == "built"
    rng = np.random.default_rng(1)
    # Photo-like queries (library photos) and text-like ones (directions no photo is near).
    similar = vectors[rng.choice(len(vectors), 100, replace=False)]
    text = rng.normal(size=(100, 512)).astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    for queries in (similar, text):
        recall = [
            len(set(_exact_top(vectors, q, 10)) & {pid for pid, _ in index.top(q, 10)}) / 10
            for q in queries
        ]
        assert np.mean(recall) >= 0.99


@needs_usearch
def test_head_scores_are_exact_and_sorted(index_dir: Path) -> None:
    vectors = _vectors(500, 64)
    index = _index(_library(vectors), index_dir)
    ranked = index.top(vectors[7], 150)
    assert len(ranked) == 150 and len({pid for pid, _ in ranked}) == 150
    scores = [s for _, s in ranked]
    assert scores[:100] == sorted(scores[:100], reverse=True)
    for pid, score in ranked[:100]:
        assert score == pytest.approx(float(vectors[pid - 1] @ vectors[7]), abs=1e-6)
    assert index.top(vectors[7], 0) == [] and len(index.top(vectors[7], 10_000)) == 500


@needs_usearch
def test_matches_exact_ranking_on_the_fixture_models_vectors(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    from photofind.core.library import Library

    library = Library(tmp_path / "data", str(model_dir), "cpu")
    try:
        library.add_folders([str(shapes_dir)])
        list(library.index())
        exact = library.searcher.index
        index = _index(library.store, library.data_dir / "ann")
        index.model_name = library.model_name
        encoder = library.text_encoder()
        texts = ["a photo of a red circle", "a blue square", "green triangle", "yellow star"]
        for query in encoder.encode_texts(texts):
            assert [p for p, _ in index.top(query, 10)] == [p for p, _ in exact.top(query, 10)]
        model_id = library.store.find_model(library.model_name)
        assert model_id is not None
        ids, _ = library.store.vectors(model_id)
        for pid in ids[::7]:
            query = library.store.vector(int(pid), model_id)
            assert query is not None
            skip = frozenset({int(pid)})
            got, want = index.top(query, 10, exclude=skip), exact.top(query, 10, exclude=skip)
            assert [p for p, _ in got] == [p for p, _ in want] and int(pid) not in dict(got)
            assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-6)
    finally:
        library.close()


@needs_usearch
def test_exclude_leaves_photos_out_and_still_returns_k(index_dir: Path) -> None:
    vectors = _vectors(400, 32)
    index = _index(_library(vectors), index_dir)
    best = _exact_top(vectors, vectors[0], 5)
    ranked = index.top(vectors[0], 10, exclude=frozenset(best))
    assert len(ranked) == 10 and not set(best) & {pid for pid, _ in ranked}
    assert [p for p, _ in ranked] == [
        p for p in _exact_top(vectors, vectors[0], 15) if p not in best
    ]


@needs_usearch
def test_follows_new_changed_and_deleted_photos_without_rebuilding(index_dir: Path) -> None:
    vectors = _vectors(1000, 32)
    store = _library(vectors)
    model = store.find_model("m")
    assert model is not None
    index = _index(store, index_dir)
    index.refresh()
    assert index.last_refresh == "built"

    # New photos: a few near-copies of photo 1's vector, so they rank first for it.
    extra = vectors[0] + 0.01 * _vectors(3, 32, seed=5)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    _write(store, model, extra, first=1000)
    ranked = [pid for pid, _ in index.top(vectors[0], 4)]
    assert index.last_refresh == "updated" and len(index) == 1003
    assert set(ranked) == {1, 1001, 1002, 1003}

    # Deleted photos leave; a re-encoded photo (same path, new content) moves.
    store.delete_photos([1001, 1002])
    info = PhotoInfo(1, 1, None)
    store.write([Encoded("/p/500", 1, 2.0, "changed", info, vectors[0])], model)
    ranked = [pid for pid, _ in index.top(vectors[0], 3)]
    assert index.last_refresh == "updated" and len(index) == 1001
    assert set(ranked) == {1, 501, 1003}

    # A photo that failed on re-indexing loses its vector.
    from photofind.core.index.store import Failed

    store.write([Failed("/p/0", 1, 3.0, None, "truncated")], model)
    assert 1 not in {pid for pid, _ in index.top(vectors[0], 10)}
    assert len(index) == 1000

    # A fresh process sees the same as this one.
    fresh = _index(store, index_dir)
    for q in vectors[:20]:
        assert fresh.top(q, 10) == index.top(q, 10)


@needs_usearch
def test_many_removals_rebuild_the_graph(index_dir: Path) -> None:
    vectors = _vectors(400, 16)
    store = _library(vectors)
    index = _index(store, index_dir)
    index.refresh()
    store.delete_photos(list(range(1, 41)))  # 10 %: taken out in place
    index.refresh()
    assert index.last_refresh == "updated" and len(index) == 360
    store.delete_photos(list(range(41, 121)))  # 30 % of the graph gone since its build
    index.refresh()
    assert index.last_refresh == "built" and len(index) == 280
    assert min(pid for pid, _ in index.top(vectors[0], 280)) == 121


@needs_usearch
def test_saved_index_reopens_without_rebuilding(index_dir: Path) -> None:
    vectors = _vectors(800, 32)
    store = _library(vectors)
    first = _index(store, index_dir)
    assert not first.is_saved()
    expected = [first.top(q, 10) for q in vectors[:10]]
    assert first.is_saved()
    manifest = _manifest(index_dir)
    assert manifest["model_id"] == store.find_model("m")
    assert manifest["revision"] == store.revision() and manifest["count"] == 800
    assert manifest["library_id"] == store.library_id()
    assert (index_dir / manifest["graph"]).is_file()
    assert f"-model{manifest['model_id']}-r{manifest['revision']}-" in manifest["graph"]

    second = _index(store, index_dir)
    second.refresh()
    assert second.last_refresh == "opened"  # not "built": the saved graph was reused
    assert [second.top(q, 10) for q in vectors[:10]] == expected

    # Another process changed the library since: the saved index is updated, not rebuilt.
    model = store.find_model("m")
    assert model is not None
    _write(store, model, _vectors(5, 32, seed=9), first=800)
    third = _index(store, index_dir)
    third.refresh()
    assert third.last_refresh == "updated" and len(third) == 805
    third.save()
    fourth = _index(store, index_dir)
    fourth.refresh()
    assert fourth.last_refresh == "opened" and len(fourth) == 805
    # Only the files the manifest names are left (earlier saves are removed).
    manifest = _manifest(index_dir)
    assert sorted(p.name for p in index_dir.iterdir() if not p.name.endswith(".json")) == sorted(
        [manifest["graph"], manifest["ids"]]
    )


@needs_usearch
def test_stale_or_foreign_saved_index_is_rebuilt(index_dir: Path) -> None:
    from photofind.core.search.ann_index import AnnSettings

    vectors = _vectors(300, 16)
    store = _library(vectors)
    _index(store, index_dir).refresh()

    other = _index(store, index_dir, settings=AnnSettings(connectivity=8))
    other.refresh()
    assert other.last_refresh == "built"  # other graph parameters

    # Another library (another database) in the same folder gets its own graph.
    other_library = _library(_vectors(300, 16, seed=3))
    own = _index(other_library, index_dir)
    own.refresh()
    assert own.last_refresh == "built" and len(list(index_dir.glob("*.ann.json"))) == 2
    assert own.top(vectors[0], 1)[0][0] != _index(store, index_dir).top(vectors[0], 1)[0][0]
    for file in index_dir.glob(f"{other_library.library_id()}*"):
        file.unlink()

    # A library database put back from an older backup (its revision is behind the graph's).
    model = store.find_model("m")
    assert model is not None
    _write(store, model, _vectors(3, 16, seed=4), first=300)
    saved = _index(store, index_dir)
    saved.refresh()
    saved.save()
    assert _manifest(index_dir)["revision"] == store.revision() == 2
    store.conn.execute("UPDATE meta SET value = '1' WHERE key = 'revision'")
    behind = _index(store, index_dir)
    behind.refresh()
    assert behind.last_refresh == "built" and len(behind) == 303

    # A damaged manifest or graph file.
    (manifest_file,) = index_dir.glob("*.ann.json")
    manifest_file.write_text("{not json")
    broken = _index(store, index_dir)
    broken.refresh()
    assert broken.last_refresh == "built"
    manifest = _manifest(index_dir)
    (index_dir / manifest["graph"]).write_bytes(b"\0" * 100)
    damaged = _index(store, index_dir)
    damaged.refresh()
    assert damaged.last_refresh == "built" and len(damaged) == 303
    # An ids file cut short (a crash, a full disk): numpy raises EOFError for it.
    damaged.save()
    (index_dir / _manifest(index_dir)["ids"]).write_bytes(b"")
    cut = _index(store, index_dir)
    cut.refresh()
    assert cut.last_refresh == "built" and len(cut) == 303


@needs_usearch
def test_an_unwritable_folder_only_costs_the_saving(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    vectors = _vectors(100, 8)
    index = _index(_library(vectors), blocker / "ann")
    assert index.top(vectors[3], 1)[0][0] == 4 and not index.is_saved()


@needs_usearch
def test_empty_and_unknown_model(index_dir: Path) -> None:
    store = Store(sqlite3.connect(":memory:", isolation_level=None))
    index = _index(store, index_dir)
    assert index.top(np.ones(8, np.float32), 5) == [] and len(index) == 0
    model = store.model_id("m", 8)
    assert index.top(np.ones(8, np.float32), 5) == []
    _write(store, model, _vectors(20, 8))
    assert len(index.top(np.ones(8, np.float32), 5)) == 5


@needs_usearch
def test_progress_is_reported_while_building(index_dir: Path) -> None:
    seen: list[tuple[int, int]] = []
    index = _index(
        _library(_vectors(200, 16)), index_dir, progress=lambda d, t: seen.append((d, t))
    )
    index.refresh()
    assert seen and seen[-1] == (200, 200)


def test_missing_usearch_raises_a_typed_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in [m for m in sys.modules if m == "usearch" or m.startswith("usearch.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "usearch", None)  # import fails, as when not installed
    monkeypatch.setitem(sys.modules, "usearch.index", None)
    from photofind.core.search.ann_index import ApproximateIndex

    store = Store(sqlite3.connect(":memory:", isolation_level=None))
    with pytest.raises(OptionalDependencyError) as caught:
        ApproximateIndex(store, "m", tmp_path / "ann")
    message = str(caught.value)
    assert "pip install 'photofind[ann]'" in message and "\n" not in message
