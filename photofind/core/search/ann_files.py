"""Saving and opening the approximate index's graphs.

In `index_dir` (beside the database): a small JSON manifest per library and model,
`<library id>-model<id>.ann.json`, written last and atomically (temporary file, fsync,
`os.replace`), names the graph (`…-r<revision>-<token>.usearch`) and the photo ids in it
(`….ids.npy`), both named by the store revision they reflect. A manifest whose library,
model, vector size and graph settings match is opened as a memory-mapped view, which the
index then brings up to date with the store (see ann_index).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from photofind.core.atomic import write_atomically
from photofind.core.index.store import Store
from photofind.core.search.ann_graph import AnnSettings

log = logging.getLogger(__name__)

FORMAT = 1


@dataclass(frozen=True)
class SavedGraph:
    """A graph as its manifest names it: a read-only memory-mapped view, the photo ids in it
    (sorted), the store revision it reflects, how many photos were taken out of it since its
    build, and the names of the files that hold graph and ids."""

    graph: Any
    ids: np.ndarray
    revision: int
    tombstones: int
    graph_file: str
    ids_file: str


class GraphFiles:
    """One library's saved graphs for one model name, in `index_dir`."""

    def __init__(
        self, index_dir: Path, store: Store, model_name: str, settings: AnnSettings, usearch: Any
    ) -> None:
        self.index_dir = index_dir
        self.store = store
        self.model_name = model_name
        self.settings = settings
        self._usearch = usearch

    def _name(self, model_id: int) -> str:
        return f"{self.store.library_id()}-model{model_id}"

    def _manifest_file(self, model_id: int) -> Path:
        return self.index_dir / f"{self._name(model_id)}.ann.json"

    def _manifest_fields(self, model_id: int) -> dict[str, Any]:
        s = self.settings
        return {
            "format": FORMAT,
            "library_id": self.store.library_id(),
            "model_id": model_id,
            "dim": self.store.model_dim(model_id),
            "dtype": s.dtype,
            "metric": s.metric,
            "connectivity": s.connectivity,
        }

    def is_saved(self, model_id: int) -> bool:
        """Whether a graph for this model is saved, of any revision."""
        return self._manifest_file(model_id).is_file()

    def open(self, model_id: int, revision: int) -> SavedGraph | None:
        """The saved graph, if it was built for this library, model and settings and reflects
        the store at `revision` or earlier; None if there is none that fits."""
        try:
            manifest = json.loads(self._manifest_file(model_id).read_text())
            wanted = self._manifest_fields(model_id)
            if any(manifest.get(key) != value for key, value in wanted.items()):
                return None
            saved_revision, tombstones = int(manifest["revision"]), int(manifest["tombstones"])
            ids = np.load(self.index_dir / manifest["ids"], allow_pickle=False)
            graph_path = str(self.index_dir / manifest["graph"])
            graph = self._usearch.Index.restore(graph_path, view=True)
        except FileNotFoundError:
            return None  # none saved yet
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError) as exc:
            # Damaged or from another version: the store has everything to build it again.
            log.warning(
                "approximate index in %s cannot be used (%s); rebuilding it", self.index_dir, exc
            )
            return None
        if (
            graph is None
            or saved_revision > revision  # a database put back from a backup
            or ids.dtype != np.int64
            or len(graph) != len(ids)
        ):
            return None
        graph.expansion_search = self.settings.expansion_search
        return SavedGraph(
            graph, ids, saved_revision, tombstones, manifest["graph"], manifest["ids"]
        )

    def write(
        self,
        model_id: int,
        revision: int,
        graph: Any,
        ids: np.ndarray,
        tombstones: int,
        saved_files: tuple[str | None, str | None],
    ) -> tuple[str, str]:
        """Save the graph and its ids, each only where `saved_files` (graph's, ids') names no
        file that holds it already, then the manifest naming them; returns the two file names.
        Raises OSError or RuntimeError if a file cannot be written."""
        self.index_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = self._name(model_id)
        stem = f"{name}-r{revision}-{secrets.token_hex(4)}"
        started = time.time()
        graph_file, ids_file = saved_files
        if graph_file is None:
            graph_file = f"{stem}.usearch"
            write_atomically(self.index_dir / graph_file, lambda t: graph.save(str(t)))
        if ids_file is None:
            ids_file = f"{stem}.ids.npy"
            write_atomically(self.index_dir / ids_file, lambda t: _save_ids(t, ids))
        manifest = {
            **self._manifest_fields(model_id),
            "model_name": self.model_name,
            "revision": revision,
            "tombstones": tombstones,
            "count": len(ids),
            "library": f"usearch {getattr(self._usearch, '__version__', '')}".strip(),
            "settings": asdict(self.settings),
            "graph": graph_file,
            "ids": ids_file,
        }
        # The manifest is the commit point: until it is replaced, the old files stand.
        text = json.dumps(manifest, indent=1)
        write_atomically(self._manifest_file(model_id), lambda t: t.write_text(text))
        self._remove_old_files(name, keep={graph_file, ids_file}, before=started)
        return graph_file, ids_file

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


def _save_ids(path: Path, ids: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, ids, allow_pickle=False)
