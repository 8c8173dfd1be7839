"""Grouping rows by a cosine threshold: the tiled all-pairs product and the array union-find;
groups of a library's photos (real files, real links, planted vectors), and what of them may
go to the trash. (What the groups mean is tested with the fixture model in
tests/test_cli_duplicates.py.)"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from planted import MODEL, chain, photo, plant

from photofind.core.index.store import Store
from photofind.core.search.duplicates import (
    Duplicate,
    DuplicatesCancelled,
    check_trash,
    connected_labels,
    find_duplicates,
    group_rows,
)


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


# -- photos of a library: real files, planted vectors --------------------------------------


def _find(data_dir: Path, threshold: float = 0.95) -> list[list[Duplicate]]:
    store = Store.open(data_dir)
    try:
        return find_duplicates(store, MODEL, threshold)
    finally:
        store.close()


def test_in_a_chain_only_the_photos_alike_the_kept_one_are_marked_alike_it(
    tmp_path: Path,
) -> None:
    # A burst of six frames, each 0.96 alike the next: at 0.95 all six are one group, but the
    # third frame on scores 0.84, 0.63, 0.36 and 0.06 against the first.
    frames = [photo(tmp_path / f"frame{k}.jpg", (320 - 20 * k, 240 - 15 * k)) for k in range(6)]
    plant(tmp_path / "data", dict(zip(frames, chain(6, 0.96), strict=True)))
    (group,) = _find(tmp_path / "data")
    assert [d.path for d in group] == [str(f) for f in frames]  # the largest first: kept
    angle = np.arccos(0.96)
    assert [d.score for d in group] == pytest.approx(np.cos(angle * np.arange(6)), abs=1e-5)
    assert [d.alike_kept for d in group] == [True, True, False, False, False, False]


def test_paths_to_one_file_are_one_photo(tmp_path: Path) -> None:
    # As seen: best.jpg, a link to the camera's file, was kept (the shorter name) and the file
    # it points to ticked for the trash.
    folder = tmp_path / "photos"
    real = photo(folder / "IMG_20230101_120000.jpg", (320, 240))
    (folder / "best.jpg").symlink_to(real.name)
    hard = folder / "IMG_20230101_120000 (hard link).jpg"
    os.link(real, hard)
    vector = chain(1, 1.0)[0]
    plant(tmp_path / "alone", {folder / name: vector for name in os.listdir(folder)})
    assert _find(tmp_path / "alone") == []  # three paths, one photo: no duplicates

    copy = photo(tmp_path / "elsewhere" / "copy.jpg", (160, 120))
    plant(tmp_path / "data", {**{folder / n: vector for n in os.listdir(folder)}, copy: vector})
    (group,) = _find(tmp_path / "data")
    kept, other = group
    assert kept.path == str(real)  # the file itself, not a link to it
    assert sorted(kept.aliases) == sorted([str(folder / "best.jpg"), str(hard)])
    assert kept.paths[0] == str(real) and set(kept.paths[1:]) == set(kept.aliases)
    assert (other.path, other.aliases) == (str(copy), ())


def test_check_trash_lets_go_only_unchanged_files_that_no_kept_photo_is(tmp_path: Path) -> None:
    names = ["kept", "fine", "edited", "replaced", "now_kept", "relinked"]
    files = [photo(tmp_path / f"{n}.jpg", (320 - 10 * k, 240)) for k, n in enumerate(names)]
    kept, fine, edited, replaced, now_kept, relinked = files
    (tmp_path / "relinked link.jpg").symlink_to(relinked)
    vectors = {f: chain(1, 1.0)[0] for f in files}
    plant(tmp_path / "data", {**vectors, tmp_path / "relinked link.jpg": vectors[relinked]})
    (group,) = _find(tmp_path / "data")
    assert [d.path for d in group] == [str(f) for f in files]

    with edited.open("ab") as out:
        out.write(b"\0")  # re-saved by an editor, say
    # Another file at its path, of the same size and time: only its identity tells.
    stat = replaced.stat()
    shutil.copy(fine, tmp_path / "new.jpg")
    os.truncate(tmp_path / "new.jpg", stat.st_size)
    os.utime(tmp_path / "new.jpg", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(tmp_path / "new.jpg", replaced)
    # The kept photo's path is now a link to a ticked one: trashing it would lose the photo.
    kept.unlink()
    kept.symlink_to(now_kept)
    (tmp_path / "relinked link.jpg").unlink()
    (tmp_path / "relinked link.jpg").symlink_to(fine)

    safe, refused = check_trash(group, group[1:])
    assert [d.path for d in safe] == [str(fine)]
    assert dict(refused) == {
        str(edited): "it changed since it was indexed",
        str(replaced): "another file is at its path now",
        str(now_kept): "it is the same file as a photo that is kept",
        str(
            relinked
        ): f"its other path {tmp_path / 'relinked link.jpg'} is no longer the same file",
    }
    edited.unlink()
    assert check_trash(group, [group[2]])[1] == [(str(edited), "it is no longer there")]
