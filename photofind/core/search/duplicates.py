"""Near-duplicate photos: groups whose stored vectors (of the current model) are nearly the same.

Two photos are near-duplicates when the cosine of their vectors is at least a threshold; a
group is a connected set of such pairs (so a chain a~b~c is one group). A chain can reach
photos that look nothing like the group's kept photo (its likeliest original), so each photo
says whether it is at least that alike the kept one itself. Paths to one file (hard links,
symbolic links to it) are one photo, never a pair of duplicates.

Nothing is encoded: only the stored unit vectors are compared, all against all, as tiles of
one matrix product (torch, float32) with only the pairs above the threshold kept, and the
groups found from those pairs by array-wide union-find (no Python loop over photos or pairs).

The time grows with the square of the count and is nearly all matrix products; memory beyond
the float32 matrix is one tile. Figures: benchmarks/PROFILE.md §8 (benchmarks/duplicates_bench.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from photofind.core.errors import PhotofindError
from photofind.core.index.store import Detail, Store

DEFAULT_THRESHOLD = 0.95
# Rows and columns of one tile of the all-pairs product: small enough that its scores stay in
# the CPU's cache for the threshold passes that follow each product (benchmarks/PROFILE.md §8).
TILE = 512


class DuplicatesCancelled(PhotofindError):
    """The search for duplicates was cancelled (its `cancel` event was set)."""


Identity = tuple[int, int]  # (st_dev, st_ino) of a file, its links followed


@dataclass(frozen=True)
class Duplicate:
    """One photo of a group, with the cosine of its vector to the group's first photo's."""

    photo_id: int
    path: str
    score: float
    width: int = 0  # upright pixels, 0 where unknown
    height: int = 0
    size: int = 0  # bytes, when indexed
    mtime: float = 0.0  # modification time, when indexed
    # The score is at least the threshold: alike the group's first photo itself, not only
    # through a chain of others.
    alike_kept: bool = True
    # Other paths to this same file in the library: hard links, and symbolic links to it.
    aliases: tuple[str, ...] = ()
    identity: Identity | None = None  # of the file when found; None where it was unreadable

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path of the photo: trashing it takes them all."""
        return (self.path, *self.aliases)


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
    cosine to that first one, and whether that is at least the threshold (those that are
    come first). Paths to one file are one photo, with its other paths as its aliases; a
    group of paths to one file is none. Groups come largest first. `progress` hears the
    fraction done (0..1) now and then; setting `cancel` stops the search with
    DuplicatesCancelled. Runs on the calling thread, which needs no model and may be any
    thread (it opens no store of its own: give it a Store that thread may use)."""
    ids, matrix = duplicate_candidates(store, model_name, threshold)
    if not len(ids):
        return []
    groups = group_rows(matrix, threshold, progress=progress, cancel=cancel)
    return describe_groups(store, ids, matrix, groups, threshold)


def duplicate_candidates(
    store: Store, model_name: str, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """The photo ids and vectors find_duplicates groups: reading them needs the store, the
    grouping (group_rows) only them, so a caller may group on another thread."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"the threshold must be above 0 and at most 1, not {threshold}")
    model_id = store.find_model(model_name)
    if model_id is None:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
    return store.vectors(model_id, np.float32)


def describe_groups(
    store: Store,
    ids: np.ndarray,
    matrix: np.ndarray,
    groups: list[np.ndarray],
    threshold: float,
) -> list[list[Duplicate]]:
    """group_rows' groups (rows of `ids` and `matrix`) as find_duplicates returns them."""
    if not groups:
        return []
    members = np.concatenate(groups)
    details = store.photo_details(ids[members])
    found = []
    for rows in groups:
        photos = _one_per_file([int(ids[r]) for r in rows], details)
        if len(photos) < 2:
            continue  # only paths to one file
        row_of = {int(ids[r]): r for r in rows}
        vectors = matrix[[row_of[d.photo_id] for d in photos]]
        scores = np.minimum(vectors @ vectors[0], 1.0)
        scores[0] = 1.0  # the kept photo itself, whatever float32 rounding says
        group = [
            replace(d, score=float(s), alike_kept=bool(s >= threshold))
            for d, s in zip(photos, scores, strict=True)
        ]
        # The kept photo, then those alike it, then those reached only through others.
        found.append(group[:1] + sorted(group[1:], key=lambda d: not d.alike_kept))
    found.sort(key=lambda g: (-len(g), g[0].path))
    return found


def photos_for_trash(store: Store, photo_ids: Sequence[int]) -> list[Duplicate]:
    """Photos chosen outside a group (in the grid, in the viewer) as check_trash takes them:
    their indexed size and time, their identity now, and the paths among them to one file
    made one photo."""
    if not photo_ids:
        return []
    details = store.photo_details(photo_ids)
    return _one_per_file([int(i) for i in photo_ids if int(i) in details], details)


def _one_per_file(photo_ids: list[int], details: dict[int, Detail]) -> list[Duplicate]:
    """The photos of a group (scores to come), the paths to one file made one photo, the
    likeliest original first.

    Of a file's paths, a real one is shown rather than a symbolic link to it: it is the file
    the user means."""
    by_file: dict[Identity | int, list[int]] = {}
    identities: dict[int, Identity | None] = {}
    for pid in photo_ids:
        identities[pid] = identity_of(details[pid][0])
        # A file that cannot be read now is a photo of its own: nothing says which file it is.
        by_file.setdefault(identities[pid] or pid, []).append(pid)
    photos = []
    for same in by_file.values():
        if len(same) > 1:
            same.sort(key=lambda pid: (os.path.islink(details[pid][0]), _rank(details[pid])))
        path, width, height, size, mtime = details[same[0]]
        aliases = tuple(sorted(details[pid][0] for pid in same[1:]))
        identity = identities[same[0]]
        photos.append(
            Duplicate(
                same[0], path, 0.0, width, height, size, mtime, aliases=aliases, identity=identity
            )
        )
    photos.sort(key=lambda d: _rank(details[d.photo_id]))
    return photos


def _rank(detail: Detail) -> tuple[int, int, int, str]:
    # Between equal files, the shorter name: "IMG_0042.jpg" is the original more often than
    # "IMG_0042 copy.jpg" or "IMG_0042 (1).jpg".
    path, width, height, size, _ = detail
    return (-width * height, -size, len(os.path.basename(path)), path)


KEPT_BECAUSE = ("pixels", "size", "name", "path")  # _rank's keys, in its order


def why_kept(group: Sequence[Duplicate]) -> str | None:
    """What put a group's first photo before the others, by _rank: "pixels" (more than any
    other), "size" (the largest file of those with as many pixels), "name" (as large as
    another, with a shorter name) or "path"; None if it does not come first, as when the
    photo first kept has gone from the group."""
    first, *others = (_rank((d.path, d.width, d.height, d.size, d.mtime)) for d in group)
    deciding = []
    for other in others:
        if other <= first:
            return None
        pairs = enumerate(zip(first, other, strict=True))
        deciding.append(next(i for i, (mine, theirs) in pairs if mine != theirs))
    return KEPT_BECAUSE[max(deciding, default=0)]


def identity_of(path: str) -> Identity | None:
    """The (device, inode) of the file at `path`, links followed; None where it cannot be
    read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def check_trash(
    group: Sequence[Duplicate], chosen: Sequence[Duplicate]
) -> tuple[list[Duplicate], list[tuple[str, str]]]:
    """Of the photos `chosen` from `group` for the trash, those that may go now, and the path
    of each of the others with why not.

    A photo may go only while it is the file that was indexed and found (the same size and
    modification time as indexed, the same identity as found, every other path of it still
    that file), and is no file of a photo of the group that stays: a photo kept by mistake
    is better than a photo lost."""
    kept: set[Identity | None] = set()
    for dup in group:
        if dup not in chosen:
            kept.add(dup.identity)
            kept.update(identity_of(path) for path in dup.paths)
    kept.discard(None)
    safe, refused = [], []
    for dup in chosen:
        why = _why_not_trash(dup, kept)
        if why is None:
            safe.append(dup)
        else:
            refused.append((dup.path, why))
    return safe, refused


def _why_not_trash(dup: Duplicate, kept: set[Identity | None]) -> str | None:
    try:
        st = os.stat(dup.path)
    except FileNotFoundError:
        return "it is no longer there"
    except OSError as exc:
        return exc.strerror or str(exc)
    if dup.identity is None or (st.st_dev, st.st_ino) != dup.identity:
        return "another file is at its path now"
    if (st.st_size, st.st_mtime) != (dup.size, dup.mtime):
        return "it changed since it was indexed"
    for alias in dup.aliases:
        if identity_of(alias) != dup.identity:
            return f"its other path {alias} is no longer the same file"
    if dup.identity in kept:
        return "it is the same file as a photo that is kept"
    return None


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
