"""Scores of every stored vector against a query: the dot products of a float16 matrix with
a float32 vector, run by onnxruntime (core.model.onnx_graph) a block of rows at a time.

numpy has no fast float16 kernels (converting a block to float32 costs more than the
product), and torch would put its import on every search's path. onnxruntime converts each
block with SIMD instructions and accumulates in float32; blocks small enough to stay in the
CPU's cache keep that conversion cheap (benchmarks/PROFILE.md §7).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from photofind.core.model.onnx_graph import GraphBuilder, cpu_session

BLOCK_ROWS = 8192

_session: Any = None
_lock = threading.Lock()


def dot_scores(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """`matrix` (N, dim) float16 rows · `query` (dim,), as float32 (N,)."""
    scores = np.empty(len(matrix), dtype=np.float32)
    if not len(matrix):
        return scores
    column = np.ascontiguousarray(query, dtype=np.float32).reshape(-1, 1)
    session = _scorer()
    for start in range(0, len(matrix), BLOCK_ROWS):
        block = np.ascontiguousarray(matrix[start : start + BLOCK_ROWS], dtype=np.float16)
        out = session.run(None, {"rows": block, "query": column})[0]
        scores[start : start + len(block)] = out[:, 0]
    return scores


def _scorer() -> Any:
    global _session
    with _lock:
        if _session is None:
            g = GraphBuilder()
            rows = g.input("rows", np.float16, ["rows", "dim"])
            query = g.input("query", np.float32, ["dim", 1])
            g.output(g.op("MatMul", g.op("Cast", rows, to=1), query))  # 1: float32
            _session = cpu_session(g)
        return _session
