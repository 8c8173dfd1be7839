"""An approximate (graph) index for very large libraries, behind VectorIndex's interface.

Exact ranking (`search.VectorIndex`, every vector scanned) stays the default. Beyond about a
million photos a graph index (HNSW, through the optional `usearch` package:
`pip install 'photofind[ann]'`) answers in about the same time whatever the library's size
and opens a saved graph without reading every vector, at the price of a long build, more
memory a photo, and recall that is measured rather than guaranteed (`python -m
benchmarks.ann_bench`, benchmarks/ANN.md has the figures): queries near no photo at all are
its weak point. The graph only proposes candidates: the head of the ranking is re-scored
exactly from the stored float32 vectors (rescoring), as VectorIndex's is, so every score
shown is exact and the only possible error is a photo the graph never proposed.

The graph is saved in `index_dir` (ann_files) and reopened by the next process; if the store
has changed since, the graph is brought up to date from the store's record of what was
written after the revision it reflects (`Store.vectors(since=…)`, `Store.removed_since`)
instead of being rebuilt, and rebuilt only when much of it changed. ann_graph holds the
graph's settings and the one import of usearch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from photofind.core.index.store import Store
from photofind.core.search.ann_files import GraphFiles
from photofind.core.search.ann_graph import AnnSettings, load_usearch, new_graph
from photofind.core.search.rescoring import (
    EXACT_HEAD,
    EXACT_MARGIN,
    exact_scores,
    rescore_head,
)

__all__ = ["AnnSettings", "ApproximateIndex", "Progress"]

# More changed photos than this share of the graph: build anew rather than update in place.
REBUILD_FRACTION = 0.5
# Photos taken out of the graph since it was built, as a share of it, before it is rebuilt:
# a removed node stays behind as a tombstone that searches still walk through.
TOMBSTONE_FRACTION = 0.25
# An updated graph is saved once this many photos changed since it was last saved (and
# always after a build): the next process pays to add whatever was not saved
# (the build times in benchmarks/ANN.md).
SAVE_AFTER_CHANGES = 2000
# Vectors added to the graph per call: between calls the app's library thread answers
# queries, so a chunk is kept to a few seconds.
ADD_CHUNK = 4096
# A query brings a saved graph up to date itself only when this few photos changed since;
# with more, the exact index answers until indexing ends and brings the graph up to date: a
# query never waits for a build.
QUERY_CATCH_UP = 256


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
        self._usearch = load_usearch()  # fails now, with the install command, if it is missing
        self.store = store
        self.model_name = model_name
        self.index_dir = Path(index_dir)
        self.settings = settings or AnnSettings()
        self.progress = progress
        self.files = GraphFiles(self.index_dir, store, model_name, self.settings, self._usearch)
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
        return model_id is not None and self.files.is_saved(model_id)

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
        dim = (matrix.shape[1] if matrix.ndim == 2 else 0) or self.store.model_dim(model_id)
        graph = new_graph(self._usearch, self.settings, dim)
        yield from self._add(graph, ids, matrix)
        self.graph, self.ids, self._viewed = graph, ids, False
        self._graph_file = self._ids_file = None
        self._revision, self._tombstones, self._unsaved = revision, 0, len(ids)
        self.last_refresh = "built"

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

    # -- on disk ----------------------------------------------------------------

    def _open_saved(self, model_id: int, revision: int) -> bool:
        """Open the saved graph if it was built for this library, model and settings; False
        if there is none that fits. One saved at an earlier revision is caught up later."""
        self.graph, self.ids, self._viewed = None, np.zeros(0, dtype=np.int64), False
        self._graph_file = self._ids_file = self._saved_revision = self._revision = None
        saved = self.files.open(model_id, revision)
        if saved is None:
            return False
        self.graph, self.ids, self._viewed = saved.graph, saved.ids, True
        self._graph_file, self._ids_file = saved.graph_file, saved.ids_file
        self._revision = self._saved_revision = saved.revision
        self._tombstones, self._unsaved = saved.tombstones, 0
        return True

    def _save(self, model_id: int, revision: int) -> None:
        # Saving only spares the next process a build or a catch-up: if it fails (disk full,
        # a file held open on Windows), searching goes on with the graph in memory.
        with contextlib.suppress(OSError, RuntimeError):
            graph_saved = self._graph_file is not None
            self._graph_file, self._ids_file = self.files.write(
                model_id,
                revision,
                self.graph,
                self.ids,
                self._tombstones,
                (self._graph_file, self._ids_file),
            )
            self._saved_revision = revision
            if not graph_saved:
                self._unsaved = 0

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
                scores = np.concatenate(
                    [scores, exact_scores(self.store, self._model_id, missing, query)]
                )
        if exclude:
            kept = ~np.isin(ids, list(exclude))
            ids, scores = ids[kept], scores[kept]
        return rescore_head(self.store, self._model_id, ids, scores, query, k)

    def sample_scores(self, query: np.ndarray, size: int) -> np.ndarray:
        """`query`'s scores over an even sample of about `size` photos, read from the graph
        (see search.VectorIndex.sample_scores)."""
        self.refresh()
        if not len(self):
            return np.zeros(0, dtype=np.float32)
        sample = self.ids[:: max(1, len(self) // size)]
        vectors = np.asarray(self.graph.get(sample.astype(np.uint64)), dtype=np.float32)
        return vectors.reshape(len(sample), -1) @ np.asarray(query, dtype=np.float32)
