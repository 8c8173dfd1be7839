"""Model features as unit vectors, the form every score compares."""

from __future__ import annotations

from typing import Any

import numpy as np


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1, as float32."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def unit_features(output: Any) -> np.ndarray:
    """A torch model's features (a tensor, or an output holding them) as unit rows."""
    # transformers 5 returns a model output whose pooler_output holds the projected features.
    features = output if hasattr(output, "float") else output.pooler_output
    return unit_rows(features.float().cpu().numpy())
