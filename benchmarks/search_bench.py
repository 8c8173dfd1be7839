"""Warm search latency, vector memory and top-10 recall on large synthetic libraries.

Latency does not depend on what the vectors mean, so a library of 100,000 or 1,000,000
photos is made by writing synthetic unit vectors straight into photofind's schema (through
`Store` for the schema, raw executemany for speed). The vectors are shaped like CLIP's
rather than uniform on the sphere: a shared direction (unrelated CLIP photos still score
~0.4-0.5 against each other), clusters, and noise. That matters for recall once vectors are
quantised: a compressed score range makes near-ties, and near-ties are what rounding flips.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.index.store import Store
from photofind.core.model.encoder import Encoder
from photofind.core.model.text_tower import ClipTextTower
from photofind.core.search.search import Searcher

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
DIM = 512
CLUSTERS = 2000
SEED = 1_000_000
# Bump when the vector recipe changes, so cached libraries are rebuilt.
RECIPE_VERSION = 1
_CHUNK = 50_000


def library_path(n: int, files: bool = False) -> Path:
    """Each library size is a data dir of its own, kept between runs."""
    return CACHE / (f"files-{n}" if files else f"search-{n}")


# Photos of a library with files on disk (ensure_library(files=True)): one byte each, dated
# the same, 1,000 to a folder, as far as a scan can tell real photos already indexed.
FILE_MTIME = 1.7e9


def synthetic_vectors(start: int, count: int, seed: int = SEED) -> np.ndarray:
    """Rows start..start+count of the library's vectors; any chunking gives the same rows."""
    base = np.random.default_rng([seed, 0])
    shared = base.standard_normal(DIM).astype(np.float32)
    shared /= np.linalg.norm(shared)
    centres = base.standard_normal((CLUSTERS, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng([seed, 1, start, count])
    noise = rng.standard_normal((count, DIM)).astype(np.float32) / np.sqrt(DIM)
    which = rng.integers(0, CLUSTERS, count)
    vectors = 0.65 * shared + 0.45 * centres[which] + 0.6 * noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def photo_path(i: int, root: str = "/benchmark/library") -> str:
    return f"{root}/{i // 1000:04d}/IMG_{i:07d}.jpg"


def ensure_library(n: int, model_name: str, files: bool = False) -> Path:
    """A data dir whose library holds `n` photos with vectors for `model_name`. With
    `files`, the photos exist on disk too, in a library folder `photos` beside the data dir,
    so a `photofind index` finds every one of them unchanged."""
    data_dir = library_path(n, files)
    root = str(data_dir.with_name(data_dir.name + "-photos")) if files else "/benchmark/library"
    store = Store.open(data_dir)
    try:
        conn = store.conn
        meta = conn.execute("SELECT value FROM meta WHERE key = 'benchmark'").fetchone()
        if meta and meta[0] == f"{RECIPE_VERSION}:{n}":
            # The model is stored under its folder's absolute path; the cache may have moved.
            conn.execute("UPDATE models SET name = ?", (model_name,))
            return data_dir
        with conn:
            conn.execute("DELETE FROM vectors")
            conn.execute("DELETE FROM photos")
            conn.execute("DELETE FROM models")
        model_id = store.model_id(model_name, DIM)
        if files:
            _write_files(n, root)
            store.add_folder(root)
        size = 1 if files else 3_800_000
        mtime = FILE_MTIME if files else 1.7e9
        conn.execute("BEGIN")
        for start in range(0, n, _CHUNK):
            count = min(_CHUNK, n - start)
            vectors = synthetic_vectors(start, count)
            conn.executemany(
                # located: read for a position (none), as an index run of this version leaves it.
                "INSERT INTO photos(id, path, size, mtime, hash, width, height, taken_at,"
                " status, error, indexed_at, located) VALUES (?, ?, ?, ?, ?, 4000, 3000,"
                " NULL, 'ok', NULL, '2024-01-01T00:00:00+00:00', 1)",
                (
                    (start + i + 1, photo_path(start + i, root), size, mtime, f"{start + i:032x}")
                    for i in range(count)
                ),
            )
            conn.executemany(
                "INSERT INTO vectors(photo_id, model_id, vector) VALUES (?, ?, ?)",
                ((start + i + 1, model_id, vectors[i].tobytes()) for i in range(count)),
            )
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('revision', '1')"
            " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('benchmark', ?)",
            (f"{RECIPE_VERSION}:{n}",),
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return data_dir


def _write_files(n: int, root: str) -> None:
    shutil.rmtree(root, ignore_errors=True)
    for i in range(n):
        path = photo_path(i, root)
        if i % 1000 == 0:
            Path(path).parent.mkdir(parents=True)
        with open(path, "wb") as f:
            f.write(b"x")
        os.utime(path, (FILE_MTIME, FILE_MTIME))


QUERY_SUBJECTS = (
    "dog",
    "cat",
    "beach at sunset",
    "birthday cake with candles",
    "red car",
    "snowy mountain",
    "city street at night",
    "plate of pasta",
    "child on a swing",
    "old stone bridge",
)
QUERY_STYLES = ("a photo of a", "two people and a", "a blurry picture of a", "close-up of a", "my")


def queries(count: int) -> list[str]:
    pairs = [f"{s} {t}" for t in QUERY_SUBJECTS for s in QUERY_STYLES]
    return pairs[:count]


@dataclass
class SearchFigures:
    n: int
    vector_load: float  # first refresh: vectors from SQLite into the matrix (+ snapshot)
    snapshot_load: float  # a new process's first refresh, from the snapshot on disk
    text_ms: list[float]  # Searcher.text end to end
    text_encode_ms: list[float]  # of which: tokenizer + text tower
    rank_ms: list[float]  # of which: VectorIndex.top (matmul + partition)
    similar_ms: list[float]  # Searcher.similar on an indexed photo
    bytes_per_photo: float  # the matrix alone
    bytes_per_photo_with_ids: float
    matrix_dtype: str
    recall_text: float
    recall_similar: float

    @staticmethod
    def p(values: Sequence[float], q: float) -> float:
        return float(np.percentile(values, q))


def _ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def exact_top(store: Store, model_id: int, queries: np.ndarray, k: int) -> list[set[int]]:
    """Top-k photo ids per query by exact float32 dot products, streamed from SQLite in chunks
    so it does not hold a second copy of a million-row matrix."""
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    best_scores = np.zeros((len(queries), 0), dtype=np.float32)
    rows = store.conn.execute(
        "SELECT v.photo_id, v.vector FROM vectors v JOIN photos p ON p.id = v.photo_id"
        " WHERE v.model_id = ? AND p.status = 'ok' ORDER BY v.photo_id",
        (model_id,),
    )
    while chunk := rows.fetchmany(_CHUNK):
        ids = np.fromiter((r[0] for r in chunk), dtype=np.int64, count=len(chunk))
        mat = np.frombuffer(b"".join(r[1] for r in chunk), dtype=np.float32).reshape(len(chunk), -1)
        scores = np.concatenate([best_scores, queries @ mat.T], axis=1)
        all_ids = np.concatenate([best_ids, np.tile(ids, (len(queries), 1))], axis=1)
        keep = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(scores, keep, axis=1)
        best_ids = np.take_along_axis(all_ids, keep, axis=1)
    return [set(map(int, row)) for row in best_ids]


def measure_search(
    data_dir: Path, model_name: str, encoder: Encoder, n_queries: int, seed: int = 0
) -> SearchFigures:
    store = Store.open(data_dir)
    snapshots = Path(tempfile.mkdtemp(prefix="snapshots-", dir=data_dir))
    try:
        # Queries go through the text tower a search uses (core.model.text_tower for CLIP).
        text = ClipTextTower.load(encoder.name) or encoder
        searcher = Searcher(
            store, model_name, lambda: encoder, text_encoder=lambda: text, snapshot_dir=snapshots
        )
        index = searcher.index
        start = time.perf_counter()
        index.refresh()
        vector_load = time.perf_counter() - start
        again = Searcher(store, model_name, lambda: encoder, snapshot_dir=snapshots)
        start = time.perf_counter()
        again.index.refresh()
        snapshot_load = time.perf_counter() - start
        del again
        n = len(index)
        texts = queries(n_queries)
        # Warm-up with a query not in the timed set: the searcher may cache text vectors,
        # and every timed query should pay for its text tower as a new query does.
        searcher.text("warm-up query about nothing in particular")

        text_ms = [_ms(lambda q=q: searcher.text(q, 20)) for q in texts]
        encoded = [text.encode_texts([q])[0] for q in texts]
        text_encode_ms = [_ms(lambda q=q: text.encode_texts([q])) for q in texts]
        rank_ms = [_ms(lambda v=v: index.top(v, 20)) for v in encoded]

        rng = np.random.default_rng(seed)
        picks = rng.choice(index.ids, size=n_queries, replace=False)
        paths = store.paths([int(i) for i in picks])
        searcher.similar(paths[int(picks[0])])
        similar_ms = [_ms(lambda p=paths[int(i)]: searcher.similar(p, 20)) for i in picks]

        model_id = store.find_model(model_name)
        assert model_id is not None
        text_q = np.stack(encoded).astype(np.float32)
        sim_q = np.stack([store.vector(int(i), model_id) for i in picks]).astype(np.float32)
        exact_text = exact_top(store, model_id, text_q, 10)
        exact_sim = exact_top(store, model_id, sim_q, 10)

        def recall(qs: np.ndarray, exact: list[set[int]]) -> float:
            got = [{pid for pid, _ in index.top(q, 10)} for q in qs]
            return float(np.mean([len(g & e) / 10 for g, e in zip(got, exact, strict=True)]))

        return SearchFigures(
            n=n,
            vector_load=vector_load,
            snapshot_load=snapshot_load,
            text_ms=text_ms,
            text_encode_ms=text_encode_ms,
            rank_ms=rank_ms,
            similar_ms=similar_ms,
            bytes_per_photo=index.matrix.nbytes / n,
            bytes_per_photo_with_ids=index.nbytes / n,
            matrix_dtype=str(index.matrix.dtype),
            recall_text=recall(text_q, exact_text),
            recall_similar=recall(sim_q, exact_sim),
        )
    finally:
        store.close()
        shutil.rmtree(snapshots, ignore_errors=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
