"""An approximate (graph) index for very large libraries, behind VectorIndex's interface.

Exact ranking (`search.VectorIndex`: every vector scanned, ~66 ms a query at 1M photos on two
cores) stays the default. Beyond about a million photos a graph index (HNSW, through the
optional `usearch` package: `pip install 'photofind[ann]'`) answers in 10-25 ms whatever the
library's size and opens a saved graph without reading every vector, at the price of a build
(about half an hour at 1M photos on two cores), ~1.6 KB a photo, and recall that is measured
rather than guaranteed (`python -m benchmarks.ann_bench`, `benchmarks/ANN.md`): queries near
no photo at all are its weak point. The graph only proposes candidates:
the head of the ranking is re-scored exactly from the stored float32 vectors, as VectorIndex
does, so every score shown is exact and the only possible error is a photo the graph never
proposed.

On disk, in `index_dir` (beside the database): a small JSON manifest per library and model,
`<library id>-model<id>.ann.json`, written last and atomically (temporary file, fsync,
`os.replace`), names the graph (`…-r<revision>-<token>.usearch`) and the photo ids in it
(`….ids.npy`), both named by the store revision they reflect. A manifest whose library,
model, vector size and graph settings match is opened as a memory-mapped view; if the store
has changed since, the graph is brought up to date from the store's record of what was
written after that revision (`Store.vectors(since=…)`, `Store.removed_since`) instead of
being rebuilt, and rebuilt only when much of it changed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from photofind.core.atomic import write_atomically
from photofind.core.errors import OptionalDependencyError
from photofind.core.index.store import Store

log = logging.getLogger(__name__)

FORMAT = 1
# As in search.VectorIndex: how many of the best results get exact float32 scores, and how
# many more candidates are re-scored to find them.
EXACT_HEAD = 100
EXACT_MARGIN = 64
# More changed photos than this share of the graph: build anew rather than update in place.
REBUILD_FRACTION = 0.5
# Photos taken out of the graph since it was built, as a share of it, before it is rebuilt:
# a removed node stays behind as a tombstone that searches still walk through.
TOMBSTONE_FRACTION = 0.25
# An updated graph is saved once this many photos changed since it was last saved (and
# always after a build): adding to the graph costs 1.5-2 ms a photo on two cores, which is
# what the next process pays to catch up with changes that were not saved.
SAVE_AFTER_CHANGES = 2000
# Vectors added to the graph per call: between calls the app's library thread answers
# queries, so a chunk is kept to a few seconds (adding costs 1.5-2 ms a photo on two cores).
ADD_CHUNK = 4096
# A query brings a saved graph up to date itself only when this few photos changed since
# (adding costs 1.5-2 ms a photo); with more, the exact index answers until indexing ends and
# brings the graph up to date: a query never waits for a build.
QUERY_CATCH_UP = 256

INSTALL_HINT = "pip install 'photofind[ann]'"


def _usearch() -> Any:
    try:
        import usearch.index
    except ImportError as exc:
        raise OptionalDependencyError(
            f"the approximate index needs the usearch package: {INSTALL_HINT}"
        ) from exc
    return usearch.index


@dataclass(frozen=True)
class AnnSettings:
    """The graph's parameters. `dtype` is how vectors are held in it: "f16" (1 KB a photo at
    512 dimensions, as VectorIndex) or "i8" (half that). `connectivity` is HNSW's M (links
    per node, fixed at build); `expansion_add` and `expansion_search` are its efConstruction
    and ef: search breadth, the recall/latency dial (measured in benchmarks/ANN.md). `threads`
    builds with that many threads (0: every core)."""

    # At a million synthetic CLIP-like photos, M=16 stays under 0.99 top-10 recall on
    # similar-photo queries whatever ef; M=32 with ef=1024 reaches it (benchmarks/ANN.md).
    dtype: str = "f16"
    connectivity: int = 32
    expansion_add: int = 128
    expansion_search: int = 1024
    threads: int = 0

    @property
    def metric(self) -> str:
        # usearch quantises to int8 for the cosine metric; on unit vectors it is the dot
        # product.
        return "cos" if self.dtype == "i8" else "ip"


Progress = Callable[[int, int], None]


class ApproximateIndex:
    """The active model's vectors in an HNSW graph, kept up to date with the store and saved
    in `index_dir` (see the module's documentation). Same interface as `search.VectorIndex`:
    `refresh()`, `top(query, k, exclude)` and `len()`.

    `progress(done, total)`, when given, is called as vectors are added to the graph: a build
    at a million photos takes minutes."""

    def __init__(
        self,
        store: Store,
        model_name: str,
        index_dir: Path,
        settings: AnnSettings | None = None,
        progress: Progress | None = None,
    ) -> None:
        self._lib = _usearch()  # fails now, with the install command, if it is missing
        self.store = store
        self.model_name = model_name
        self.index_dir = Path(index_dir)
        self.settings = settings or AnnSettings()
        self.progress = progress
        self.graph: Any = None
        self.ids = np.zeros(0, dtype=np.int64)  # the photo ids in the graph, sorted
        # What the last refresh did: "empty", "opened" (the saved graph, as it was),
        # "updated" (brought up to date in place), "built" or "unchanged".
        self.last_refresh = ""
        self._model_id: int | None = None
        self._revision: int | None = None  # the store revision the graph reflects
        self._tombstones = 0  # photos taken out of the graph since it was built
        self._unsaved = 0  # photos changed in the graph since it was saved
        self._saved_revision: int | None = None
        # The saved files that hold the graph and its ids as they are in memory (None when
        # those changed since), and whether the graph is a read-only memory-mapped view.
        self._graph_file: str | None = None
        self._ids_file: str | None = None
        self._viewed = False
        self._building = False  # bring_up_to_date is under way

    def __len__(self) -> int:
        return len(self.ids)

    # -- keeping up with the store ------------------------------------------------

    def refresh(self) -> None:
        for _ in self._refreshing():
            pass

    def _refreshing(self) -> Iterator[tuple[int, int]]:
        """refresh(), yielding (vectors added, to add) between chunks of a build or update."""
        revision = self.store.revision()
        if revision == self._revision:
            self.last_refresh = "unchanged"
            return
        model_id = self.store.find_model(self.model_name)
        if model_id is None:
            self.graph, self.ids = None, np.zeros(0, dtype=np.int64)
            self._model_id, self._revision = None, revision
            self.last_refresh = "empty"
            return
        if self.graph is None or model_id != self._model_id:
            self._model_id = model_id
            if not self._open_saved(model_id, revision):
                yield from self._build(model_id, revision)
                self._save(model_id, revision)
                return
            if self._revision == revision:
                self.last_refresh = "opened"
                return
        yield from self._catch_up(model_id, revision)

    def can_answer_now(self) -> bool:
        """Whether a query can use the graph without waiting: it is up to date, or a saved
        one is at most QUERY_CATCH_UP photos behind the store and nothing was removed; never
        while `bring_up_to_date` is under way."""
        if self._building:
            return False
        revision = self.store.revision()
        if self.graph is not None and revision == self._revision:
            return True
        model_id = self.store.find_model(self.model_name)
        if model_id is None:
            return False
        if self.graph is None or model_id != self._model_id:
            self._model_id = model_id
            if not self._open_saved(model_id, revision):
                return False
        assert self._revision is not None
        if self.store.removed_since(self._revision):
            return False
        return self.store.written_since(model_id, self._revision) <= QUERY_CATCH_UP

    def bring_up_to_date(self) -> Iterator[tuple[int, int]]:
        """Build or update the graph and save it: what indexing does once it is done. Yields
        (vectors added, to add) between chunks, so the thread running it can answer queries
        meanwhile (with the exact index: see can_answer_now)."""
        self._building = True
        try:
            yield from self._refreshing()
            self.save()
        finally:
            self._building = False

    def is_saved(self) -> bool:
        """Whether a graph for this library and model is saved (of any revision: opening it
        then costs only catching up), so choosing the approximate index will not build one
        on the first query."""
        model_id = self.store.find_model(self.model_name)
        return (
            model_id is not None and (self.index_dir / f"{self._name(model_id)}.ann.json").is_file()
        )

    def save(self) -> None:
        """Write the graph now if it has changes that are not on disk yet."""
        if self.graph is None or self._model_id is None or self._revision is None:
            return
        if self._saved_revision != self._revision or self._graph_file is None:
            self._save(self._model_id, self._revision)

    def _catch_up(self, model_id: int, revision: int) -> Iterator[tuple[int, int]]:
        assert self._revision is not None
        since = self._revision
        added, matrix = self.store.vectors(model_id, np.float16, since=since)
        graph_ids = np.union1d(self.ids, added)
        gone = np.zeros(0, dtype=np.int64)
        if self.store.removed_since(since):
            gone = np.setdiff1d(graph_ids, self.store.vector_ids(model_id), assume_unique=True)
            kept = ~np.isin(added, gone, assume_unique=True)
            added, matrix = added[kept], matrix[kept]
        # Photos written again (new content, or a reused id) are taken out and added anew.
        out = np.union1d(np.intersect1d(self.ids, gone), np.intersect1d(self.ids, added))
        size = max(len(self.ids), 1)
        if (
            len(out) + len(added) > REBUILD_FRACTION * size
            or self._tombstones + len(out) > TOMBSTONE_FRACTION * size
        ):
            yield from self._build(model_id, revision)
            self._save(model_id, revision)
            return
        if len(out) or len(added):
            self._mutable()
            if len(out):
                self.graph.remove(out.astype(np.uint64))
            yield from self._add(self.graph, added, matrix)
            self.ids = np.union1d(np.setdiff1d(self.ids, out, assume_unique=True), added)
            self._graph_file = self._ids_file = None
            self._tombstones += len(out)
            self._unsaved += len(out) + len(added)
            self.last_refresh = "updated"
        else:
            self.last_refresh = "unchanged"
        self._revision = revision
        # With nothing unsaved in the graph, saving is only a new manifest.
        if self._graph_file is not None or self._unsaved >= SAVE_AFTER_CHANGES:
            self._save(model_id, revision)

    def _build(self, model_id: int, revision: int) -> Iterator[tuple[int, int]]:
        ids, matrix = self.store.vectors(model_id, np.float16)
        graph = self._new_graph(matrix.shape[1] if matrix.ndim == 2 else 0, model_id)
        yield from self._add(graph, ids, matrix)
        self.graph, self.ids, self._viewed = graph, ids, False
        self._graph_file = self._ids_file = None
        self._revision, self._tombstones, self._unsaved = revision, 0, len(ids)
        self.last_refresh = "built"

    def _new_graph(self, dim: int, model_id: int) -> Any:
        s = self.settings
        return self._lib.Index(
            ndim=dim or self._dim(model_id),
            metric=s.metric,
            dtype=s.dtype,
            connectivity=s.connectivity,
            expansion_add=s.expansion_add,
            expansion_search=s.expansion_search,
        )

    def _mutable(self) -> None:
        """A memory-mapped graph is read-only: copy it into memory to change it (from the
        mapping, so even if another process has replaced the file since)."""
        if self._viewed:
            graph = self.graph.copy()
            graph.expansion_search = self.settings.expansion_search
            self.graph, self._viewed = graph, False

    def _add(self, graph: Any, ids: np.ndarray, matrix: np.ndarray) -> Iterator[tuple[int, int]]:
        total = len(ids)
        for start in range(0, total, ADD_CHUNK):
            end = min(start + ADD_CHUNK, total)
            graph.add(
                ids[start:end].astype(np.uint64),
                np.ascontiguousarray(matrix[start:end], dtype=np.float32),
                threads=self.settings.threads,
            )
            if self.progress is not None:
                self.progress(end, total)
            yield end, total

    def _dim(self, model_id: int) -> int:
        row = self.store.conn.execute("SELECT dim FROM models WHERE id = ?", (model_id,))
        return int(row.fetchone()[0])

    # -- on disk ----------------------------------------------------------------

    def _name(self, model_id: int) -> str:
        return f"{self.store.library_id()}-model{model_id}"

    def _manifest_fields(self, model_id: int) -> dict[str, Any]:
        s = self.settings
        return {
            "format": FORMAT,
            "library_id": self.store.library_id(),
            "model_id": model_id,
            "dim": self._dim(model_id),
            "dtype": s.dtype,
            "metric": s.metric,
            "connectivity": s.connectivity,
        }

    def _open_saved(self, model_id: int, revision: int) -> bool:
        """Open the saved graph if it was built for this library, model and settings; False
        if there is none that fits. One saved at an earlier revision is caught up later."""
        self.graph, self.ids, self._viewed = None, np.zeros(0, dtype=np.int64), False
        self._graph_file = self._ids_file = self._saved_revision = self._revision = None
        manifest_file = self.index_dir / f"{self._name(model_id)}.ann.json"
        try:
            manifest = json.loads(manifest_file.read_text())
            wanted = self._manifest_fields(model_id)
            if any(manifest.get(key) != value for key, value in wanted.items()):
                return False
            saved_revision, tombstones = int(manifest["revision"]), int(manifest["tombstones"])
            ids = np.load(self.index_dir / manifest["ids"], allow_pickle=False)
            graph = self._lib.Index.restore(str(self.index_dir / manifest["graph"]), view=True)
        except FileNotFoundError:
            return False  # none saved yet
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError) as exc:
            # Damaged or from another version: the store has everything to build it again.
            log.warning(
                "approximate index in %s cannot be used (%s); rebuilding it", self.index_dir, exc
            )
            return False
        if (
            graph is None
            or saved_revision > revision  # a database put back from a backup
            or ids.dtype != np.int64
            or len(graph) != len(ids)
        ):
            return False
        graph.expansion_search = self.settings.expansion_search
        self.graph, self.ids, self._viewed = graph, ids, True
        self._graph_file, self._ids_file = manifest["graph"], manifest["ids"]
        self._revision = self._saved_revision = saved_revision
        self._tombstones, self._unsaved = tombstones, 0
        return True

    def _save(self, model_id: int, revision: int) -> None:
        # Saving only spares the next process a build or a catch-up: if it fails (disk full,
        # a file held open on Windows), searching goes on with the graph in memory.
        with contextlib.suppress(OSError, RuntimeError):
            self._write(model_id, revision)

    def _write(self, model_id: int, revision: int) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = self._name(model_id)
        stem = f"{name}-r{revision}-{secrets.token_hex(4)}"
        started = time.time()

        def save_ids(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.save(f, self.ids, allow_pickle=False)

        if self._graph_file is None:
            write_atomically(self.index_dir / f"{stem}.usearch", lambda t: self.graph.save(str(t)))
            self._graph_file, self._unsaved = f"{stem}.usearch", 0
        if self._ids_file is None:
            write_atomically(self.index_dir / f"{stem}.ids.npy", save_ids)
            self._ids_file = f"{stem}.ids.npy"
        manifest = {
            **self._manifest_fields(model_id),
            "model_name": self.model_name,
            "revision": revision,
            "tombstones": self._tombstones,
            "count": len(self),
            "library": f"usearch {getattr(self._lib, '__version__', '')}".strip(),
            "settings": asdict(self.settings),
            "graph": self._graph_file,
            "ids": self._ids_file,
        }
        # The manifest is the commit point: until it is replaced, the old files stand.
        text = json.dumps(manifest, indent=1)
        write_atomically(self.index_dir / f"{name}.ann.json", lambda t: t.write_text(text))
        self._saved_revision = revision
        self._remove_old_files(name, keep={self._graph_file, self._ids_file}, before=started)

    def _remove_old_files(self, name: str, keep: set[str], before: float) -> None:
        # Files of earlier saves, but not any another process wrote while this one saved.
        leftovers = [*self.index_dir.glob(f"{name}-r*"), *self.index_dir.glob(f"{name}.*.tmp")]
        for file in leftovers:
            if file.name in keep or not file.name.endswith((".usearch", ".ids.npy", ".tmp")):
                continue
            try:
                if file.stat().st_mtime < before:
                    file.unlink()
            except OSError:
                pass  # gone already, or still open elsewhere (Windows)

    # -- ranking ----------------------------------------------------------------

    def top(
        self, query: np.ndarray, k: int, exclude: frozenset[int] = frozenset()
    ) -> list[tuple[int, float]]:
        """The k best (photo id, score) pairs, best first: the graph's candidates, the head
        re-scored exactly from the stored float32 vectors."""
        self.refresh()
        if not len(self) or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32)
        # At least EXACT_HEAD + EXACT_MARGIN candidates, whatever k: the graph's breadth
        # grows with the count asked for, and the extra exact scores are cheap.
        count = min(len(self), max(k, EXACT_HEAD) + EXACT_MARGIN + len(exclude))
        matches = self.graph.search(query, count, threads=1)
        ids = np.asarray(matches.keys, dtype=np.int64)
        scores = 1.0 - np.asarray(matches.distances, dtype=np.float32)
        if count >= len(self):
            # Asked for every photo: a graph search can miss a few, so add them, scored
            # exactly, after the ones it found.
            missing = np.setdiff1d(self.ids, ids)
            if len(missing):
                ids = np.concatenate([ids, missing])
                scores = np.concatenate([scores, self._exact_scores(missing, query)])
        if exclude:
            kept = ~np.isin(ids, list(exclude))
            ids, scores = ids[kept], scores[kept]
        rescored = ids[: EXACT_HEAD + EXACT_MARGIN]
        exact = self._exact_scores(rescored, query)
        head = min(k, EXACT_HEAD)
        order = [j for j in np.argsort(-exact, kind="stable")[:head] if np.isfinite(exact[j])]
        ranked = [(int(rescored[j]), float(exact[j])) for j in order]
        chosen = {int(rescored[j]) for j in order}
        tail = [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
        return ranked + [(i, s) for i, s in tail if i not in chosen][: k - len(ranked)]

    def sample_scores(self, query: np.ndarray, size: int) -> np.ndarray:
        """`query`'s scores over an even sample of about `size` photos, read from the graph
        (see search.VectorIndex.sample_scores)."""
        self.refresh()
        if not len(self):
            return np.zeros(0, dtype=np.float32)
        sample = self.ids[:: max(1, len(self) // size)]
        vectors = np.asarray(self.graph.get(sample.astype(np.uint64)), dtype=np.float32)
        return vectors.reshape(len(sample), -1) @ np.asarray(query, dtype=np.float32)

    def _exact_scores(self, ids: np.ndarray, query: np.ndarray) -> np.ndarray:
        vectors = self.store.vectors_of(ids, self._model_id) if self._model_id else {}
        return np.array(
            [float(vectors[int(i)] @ query) if int(i) in vectors else -np.inf for i in ids],
            dtype=np.float32,
        )
