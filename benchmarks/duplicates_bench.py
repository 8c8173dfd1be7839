"""Near-duplicate grouping (core.search.duplicates.group_rows) on a large synthetic library.

    python -m benchmarks.duplicates_bench              # 100,000 photos
    python -m benchmarks.duplicates_bench --n 20000    # quicker

The vectors are search_bench's CLIP-like ones (a shared direction, clusters, noise: unrelated
photos score ~0.4-0.6, nothing near the threshold), with near-duplicates planted: groups of
2-4 copies of one vector, each with a little noise (cosine ~0.97-0.99 to it). Reports the
time and whether exactly the planted groups came back. The time grows with the square of the
count; it does not depend on the threshold (only on how many pairs pass it, here few).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.search_bench import DIM, synthetic_vectors
from photofind.core.search.duplicates import DEFAULT_THRESHOLD, group_rows


def planted_library(n: int, groups: int, seed: int = 7) -> tuple[np.ndarray, list[set[int]]]:
    matrix = synthetic_vectors(0, n)
    rng = np.random.default_rng(seed)
    rows = rng.permutation(n)
    planted, used = [], 0
    for _ in range(groups):
        size = int(rng.integers(2, 5))
        members = rows[used : used + size]
        used += size
        source = matrix[members[0]].copy()
        for m in members[1:]:
            copy = source + 0.15 * rng.standard_normal(DIM).astype(np.float32) / np.sqrt(DIM)
            matrix[m] = copy / np.linalg.norm(copy)
        planted.append({int(m) for m in members})
    return matrix, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args()
    matrix, planted = planted_library(args.n, args.groups)
    group_rows(matrix[:2000], args.threshold)  # warm up torch
    start = time.perf_counter()
    found = group_rows(matrix, args.threshold)
    seconds = time.perf_counter() - start
    exact = {frozenset(g.tolist()) for g in found} == {frozenset(g) for g in planted}
    print(
        f"{args.n:,} photos × {DIM} dims, threshold {args.threshold}: {seconds:.1f} s; "
        f"{len(found)} groups found, {len(planted)} planted, "
        f"{'exactly the planted ones' if exact else 'NOT the planted ones'}"
    )


if __name__ == "__main__":
    main()
