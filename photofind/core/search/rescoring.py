"""Exact scores for the head of a ranking.

Both rankers find their candidates from vectors held approximately: `search.VectorIndex` in
float16, `ann_index.ApproximateIndex` in an HNSW graph. Half precision blurs near-ties, so
the head of each ranking (what a person sees first) is re-scored from the stored float32
vectors: exact order and exact scores at the top, whichever ranker answered.
"""

from __future__ import annotations

from itertools import islice

import numpy as np

from photofind.core.index.store import Store

# How many of the best results get exact float32 scores, and how many more candidates are
# re-scored to find them.
EXACT_HEAD = 100
EXACT_MARGIN = 64
RESCORED = EXACT_HEAD + EXACT_MARGIN


def exact_scores(
    store: Store, model_id: int | None, ids: np.ndarray, query: np.ndarray
) -> np.ndarray:
    """`query`'s dot product with the stored float32 vectors of `ids`, in their order; -inf
    for a photo whose vector is no longer stored."""
    vectors = store.vectors_of(ids, model_id) if model_id else {}
    return np.array(
        [float(vectors[int(i)] @ query) if int(i) in vectors else -np.inf for i in ids],
        dtype=np.float32,
    )


def rescore_head(
    store: Store,
    model_id: int | None,
    ids: np.ndarray,
    scores: np.ndarray,
    query: np.ndarray,
    k: int,
) -> list[tuple[int, float]]:
    """The k best (photo id, score) pairs from candidates `ids`, best first by their
    approximate `scores`: the best min(k, EXACT_HEAD) of the first RESCORED candidates in
    exact order with exact scores, then the other candidates as they were ranked."""
    rescored = ids[:RESCORED]
    exact = exact_scores(store, model_id, rescored, query)
    best = np.argsort(-exact, kind="stable")[: min(k, EXACT_HEAD)]
    ranked = [(int(rescored[j]), float(exact[j])) for j in best if np.isfinite(exact[j])]
    chosen = {photo_id for photo_id, _ in ranked}
    rest = ((int(i), float(s)) for i, s in zip(ids, scores, strict=True) if int(i) not in chosen)
    return ranked + list(islice(rest, k - len(ranked)))
