"""Near-duplicate photos: groups whose stored vectors (of the current model) are nearly the same.

Two photos are near-duplicates when the cosine of their vectors is at least a threshold; a
group is a connected set of such pairs (so a chain a~b~c is one group). Nothing is encoded:
only the stored unit vectors are compared, all against all, as tiles of one matrix product
(torch, float32) with only the pairs above the threshold kept, and the groups found from those
pairs by array-wide union-find (no Python loop over photos or pairs).

Measured with benchmarks/duplicates_bench.py (512-dimensional CLIP-like vectors, 1,000
planted groups, all found and nothing else) on a 2-core AVX2 machine shared with other work
(load ~3.5): 20,000 photos in 5.6 s, 100,000 photos in 134 s, nearly all of it the 5 TFLOP of
matrix products (~40 GFLOP/s there). Memory beyond the float32 matrix (200 MB at 100,000) is
one 64 MB tile. The time grows with the square of the count.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from photofind.core.errors import PhotofindError
from photofind.core.store import Store

DEFAULT_THRESHOLD = 0.95
# Rows and columns of one tile of the all-pairs product. 512² float32 scores (1 MB) stay in
# the CPU's cache for the threshold passes that follow each product: on 2 cores, 50,000
# photos took 10.2 s with 512, 13.0 s with 4096 (64 MB tiles) and 12.2 s with 256.
TILE = 512


class DuplicatesCancelled(PhotofindError):
    """The search for duplicates was cancelled (its `cancel` event was set)."""


@dataclass(frozen=True)
class Duplicate:
    """One photo of a group, with the cosine of its vector to the group's first photo's."""

    photo_id: int
    path: str
    score: float
    width: int = 0  # upright pixels, 0 where unknown
    height: int = 0
    size: int = 0  # bytes


def find_duplicates(
    store: Store,
    model_name: str,
    threshold: float = DEFAULT_THRESHOLD,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[list[Duplicate]]:
    """Groups of near-identical photos of the library, by their stored vectors of `model_name`
    (photos not yet encoded with it are left out).

    Each group lists its photos, first the one with the most pixels (then the largest file,
    the shorter name, the path): the likeliest original, the one to keep; each with its
    cosine to that first one. Groups come largest first. `progress` hears the fraction done
    (0..1) now and then; setting `cancel` stops the search with DuplicatesCancelled. Runs on
    the calling thread, which needs no model and may be any thread (it opens no store of its
    own: give it a Store that thread may use)."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"the threshold must be above 0 and at most 1, not {threshold}")
    model_id = store.find_model(model_name)
    if model_id is None:
        return []
    ids, matrix = store.vectors(model_id, np.float32)
    groups = group_rows(matrix, threshold, progress=progress, cancel=cancel)
    if not groups:
        return []
    members = np.concatenate(groups)
    details = _details(store, ids[members])
    found = []
    for rows in groups:
        # The likeliest original first: most pixels, largest file, shortest name, then path.
        rows = sorted(rows, key=lambda r: _rank(details[int(ids[r])]))
        scores = matrix[rows] @ matrix[rows[0]]
        found.append(
            [
                Duplicate(int(ids[r]), *_head(details[int(ids[r])], float(s)))
                for r, s in zip(rows, scores, strict=True)
            ]
        )
    found.sort(key=lambda g: (-len(g), g[0].path))
    return found


_Detail = tuple[str, int, int, int]  # path, width, height, file size


def _details(store: Store, photo_ids: np.ndarray) -> dict[int, _Detail]:
    """Path, upright size in pixels and file size of some photos."""
    paths = store.paths([int(i) for i in photo_ids])
    sizes: dict[int, tuple[int, int, int]] = {}
    for start in range(0, len(photo_ids), 900):
        chunk = [int(i) for i in photo_ids[start : start + 900]]
        marks = ",".join("?" * len(chunk))
        rows = store.conn.execute(
            f"SELECT id, COALESCE(width, 0), COALESCE(height, 0), size FROM photos"
            f" WHERE id IN ({marks})",
            chunk,
        )
        sizes.update((pid, (w, h, size)) for pid, w, h, size in rows)
    return {pid: (path, *sizes.get(pid, (0, 0, 0))) for pid, path in paths.items()}


def _head(detail: _Detail, score: float) -> tuple[str, float, int, int, int]:
    path, width, height, size = detail
    return path, min(score, 1.0), width, height, size


def _rank(detail: _Detail) -> tuple[int, int, int, str]:
    # Between equal files, the shorter name: "IMG_0042.jpg" is the original more often than
    # "IMG_0042 copy.jpg" or "IMG_0042 (1).jpg".
    path, width, height, size = detail
    return (-width * height, -size, len(os.path.basename(path)), path)


def group_rows(
    matrix: np.ndarray,
    threshold: float,
    tile: int = TILE,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[np.ndarray]:
    """Groups (sorted arrays of row numbers, two rows or more) of the rows of `matrix` (unit
    vectors) connected by pairs whose dot product is at least `threshold` (> 0). Groups come
    in the order of their first rows. `progress` and `cancel`: as for find_duplicates."""
    import torch

    n = len(matrix)
    if n < 2:
        return []
    vectors = torch.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32))
    firsts, seconds = [], []
    starts = range(0, n, tile)
    # Tile row r0 holds the pairs of its rows with every later row: its share of the work.
    work = np.cumsum([n - r0 for r0 in starts], dtype=np.float64)
    with torch.inference_mode():
        for step, r0 in enumerate(starts):
            if cancel is not None and cancel.is_set():
                raise DuplicatesCancelled("the search for duplicates was cancelled")
            if progress is not None:
                progress(float(work[step - 1] / work[-1]) if step else 0.0)
            rows = vectors[r0 : r0 + tile]
            # Only the upper triangle: each pair once, never a photo with itself.
            for c0 in range(r0, n, tile):
                scores = rows @ vectors[c0 : c0 + tile].T
                if c0 == r0:
                    scores.fill_diagonal_(-2.0)
                # Most tiles hold no close pair: a row maximum is far cheaper than finding
                # every score above the threshold, which is done only for rows that have one.
                hit = torch.nonzero(scores.amax(dim=1) >= threshold).flatten()
                if not len(hit):
                    continue
                r, c = torch.nonzero(scores[hit] >= threshold, as_tuple=True)
                r, c = hit[r].numpy().astype(np.int64) + r0, c.numpy().astype(np.int64) + c0
                keep = r < c  # each pair once (a tile on the diagonal holds both orders)
                firsts.append(r[keep])
                seconds.append(c[keep])
    if progress is not None:
        progress(1.0)
    if not firsts:
        return []
    labels = connected_labels(n, np.concatenate(firsts), np.concatenate(seconds))
    members = np.flatnonzero(np.bincount(labels, minlength=n)[labels] > 1)
    order = members[np.argsort(labels[members], kind="stable")]
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, cuts)


def connected_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For n nodes and edges a[k]–b[k]: each node's component, named by its smallest node.

    Union-find over whole arrays: every round hooks each edge's two roots onto the smaller
    one, then halves paths until every node points at its root; a few rounds suffice even for
    long chains, since paths are compressed completely in between."""
    parent = np.arange(n, dtype=np.int64)
    while True:
        root_a, root_b = parent[a], parent[b]
        apart = root_a != root_b
        if not apart.any():
            return parent
        root_a, root_b = root_a[apart], root_b[apart]
        low = np.minimum(root_a, root_b)
        np.minimum.at(parent, np.maximum(root_a, root_b), low)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
