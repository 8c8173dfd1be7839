"""Grouping rows by a cosine threshold: the tiled all-pairs product and the array union-find.
(What the groups mean is tested with the fixture model in tests/test_cli_duplicates.py.)"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from photofind.core.duplicates import DuplicatesCancelled, connected_labels, group_rows


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _planted(n: int, groups: list[list[int]], dim: int = 32, seed: int = 0) -> np.ndarray:
    """Orthogonal-ish rows (nothing alike) with `groups` made alike: each member is the
    group's first row plus a little noise (cosine ~0.99)."""
    rng = np.random.default_rng(seed)
    matrix = _unit(rng.standard_normal((n, dim)))
    for group in groups:
        for member in group[1:]:
            matrix[member] = matrix[group[0]] + 0.1 * rng.standard_normal(dim) / np.sqrt(dim)
    return _unit(matrix)


@pytest.mark.parametrize("tile", [3, 7, 64, 4096])
def test_groups_across_tile_boundaries(tile: int) -> None:
    planted = [[0, 1], [5, 40, 41, 99], [17, 63, 64]]
    matrix = _planted(100, planted)
    found = [g.tolist() for g in group_rows(matrix, 0.95, tile=tile)]
    assert found == sorted(planted)


def test_a_chain_of_pairs_is_one_group() -> None:
    # a~b and b~c but not a~c: single linkage puts all three together.
    angles = np.deg2rad([0.0, 15.0, 30.0, 90.0])
    matrix = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    assert np.cos(np.deg2rad(30.0)) < 0.95 < np.cos(np.deg2rad(15.0))
    assert [g.tolist() for g in group_rows(matrix, 0.95, tile=2)] == [[0, 1, 2]]


def test_the_threshold_is_inclusive_and_nothing_alike_gives_nothing() -> None:
    matrix = np.eye(3, dtype=np.float32)
    assert group_rows(matrix, 0.5) == []
    assert group_rows(matrix[:1], 0.5) == []
    assert [g.tolist() for g in group_rows(np.ones((2, 1), np.float32), 1.0)] == [[0, 1]]


def test_connected_labels_matches_a_plain_union_find() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    a, b = rng.integers(0, n, 1500), rng.integers(0, n, 1500)
    labels = connected_labels(n, a, b)
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = root(x), root(y)
        parent[max(rx, ry)] = min(rx, ry)
    assert labels.tolist() == [root(x) for x in range(n)]


def test_a_long_chain_in_random_order_takes_few_rounds() -> None:
    order = np.random.default_rng(4).permutation(100_000)
    labels = connected_labels(len(order), order[:-1], order[1:])
    assert (labels == 0).all()


def test_progress_is_reported_and_cancel_stops() -> None:
    matrix = _planted(50, [[0, 49]])
    seen: list[float] = []
    group_rows(matrix, 0.95, tile=10, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) == 6
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DuplicatesCancelled):
        group_rows(matrix, 0.95, tile=10, cancel=cancel)
